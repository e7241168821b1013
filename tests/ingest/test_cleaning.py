import pytest

from ingest.cleaning import (
    clean_text,
    collapse_whitespace,
    dehyphenate,
    mark_bullets,
    normalize_unicode,
)

pytestmark = pytest.mark.unit


def test_ligatures_are_unfolded() -> None:
    assert normalize_unicode("ﬁnancial eﬃciency ﬂow") == "financial efficiency flow"


def test_other_symbols_survive_normalisation() -> None:
    assert normalize_unicode("13.5% · €5 · ²") == "13.5% · €5 · ²"


def test_words_split_across_lines_are_joined() -> None:
    assert dehyphenate("cluster organi-\nsations") == "cluster organisations"
    assert dehyphenate("soft\u00adhyphen") == "softhyphen"


def test_hyphen_before_capital_or_number_is_kept() -> None:
    assert dehyphenate("EU-\nIndia") == "EU-\nIndia"
    assert dehyphenate("2023-\n2024") == "2023-\n2024"


def test_whitespace_is_collapsed() -> None:
    assert collapse_whitespace("a  \t b\u00a0c  \n\n\n\nd ") == "a b c\n\nd"


def test_clean_text_combines_all_steps() -> None:
    assert clean_text("  The ﬁrst  organi-\nsation\r\n\r\n\r\nends ") == (
        "The first organisation\n\nends"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "types:\n\x7f\nImproving the\nbusiness.\n\x7f\nRunning.",
            "types:\n- Improving the\nbusiness.\n- Running.",
        ),
        ("• First\n\uf0b7 Second", "- First\n- Second"),
        ("a sentence with • inside", "a sentence with • inside"),
    ],
)
def test_bullet_glyphs_become_list_markers(raw: str, expected: str) -> None:
    assert mark_bullets(raw) == expected
    assert clean_text(raw) == expected
