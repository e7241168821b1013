"""The message catalogues: every EU language, every key, the same placeholders."""

from __future__ import annotations

import json
import string

import pytest

from assistant.language import EU_LANGUAGES
from assistant.messages import LOCALES_DIR, available, catalogue, language_names, message

pytestmark = pytest.mark.unit


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_official_language_has_a_catalogue() -> None:
    assert available() == sorted(EU_LANGUAGES)


@pytest.mark.parametrize("code", sorted(EU_LANGUAGES))
def test_catalogue_has_english_keys_and_placeholders(code: str) -> None:
    english = json.loads((LOCALES_DIR / "en.json").read_text(encoding="utf-8"))
    own = json.loads((LOCALES_DIR / f"{code}.json").read_text(encoding="utf-8"))
    assert list(own) == list(english)
    for key, text in english.items():
        assert own[key].strip(), (code, key)
        assert _placeholders(own[key]) == _placeholders(text), (code, key)


def test_message_fills_placeholders_and_falls_back() -> None:
    assert message("not_member", "en", item="Estonia").startswith("Estonia is not among")
    assert message("refusal", "fr") != message("refusal", "en")
    assert message("refusal", "fr-CA") == message("refusal", "fr")
    assert message("refusal", "ja") == message("refusal", "en")
    assert catalogue("xx") == catalogue("en")


def test_language_names_are_endonyms_without_repeats() -> None:
    assert language_names(["en", "de", "en"]) == "English, Deutsch"
