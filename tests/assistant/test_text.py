import pytest

from assistant.text import _chunk_units, chunk_units, plain, split_units

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


def test_chunk_units_are_split_once_per_text_and_returned_as_fresh_lists() -> None:
    text = "First sentence here. Second sentence here.\n- an item\n- another item"
    before = _chunk_units.cache_info().hits
    first = chunk_units(text)
    first.append(first[0])  # a caller's list is its own
    second = chunk_units(text)
    assert len(second) == 4 and second == chunk_units(text)
    assert _chunk_units.cache_info().hits >= before + 2
