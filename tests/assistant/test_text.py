import pytest

from assistant.text import plain, split_units

pytestmark = pytest.mark.unit


def test_markup_is_removed() -> None:
    assert (
        plain("**Don't:** see [the guide](http://x) and `code`") == "Don't: see the guide and code"
    )


def test_units_are_sentences_items_and_rows() -> None:
    text = (
        "The ECA joins 23 associations. It represents e.g. 900 clusters.\n"
        "- **Networking** and matchmaking\n| Portugal | Portugal Clusters |\n|---|---|"
    )
    assert split_units(text) == [
        "The ECA joins 23 associations.",
        "It represents e.g. 900 clusters.",
        "Networking and matchmaking",
        "Portugal — Portugal Clusters",
    ]
