"""The message catalogues: every EU language, every key, the same placeholders."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest

from assistant.language import EU_LANGUAGES
from assistant.messages import LOCALES_DIR, available, catalogue, language_names, message

pytestmark = pytest.mark.unit

WIDGET = Path(__file__).resolve().parents[2] / "api" / "static" / "widget.js"
# The widget's welcome texts: in every language they must be its own, never the English ones.
WELCOME = ["ui.hello", "ui.hint", "ui.suggestion_1", "ui.suggestion_2", "ui.suggestion_3"]


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


def _widget_english() -> dict[str, str]:
    """The widget's own English table `EN` (api/static/widget.js), its "…" + "…" joined."""
    source = WIDGET.read_text(encoding="utf-8")
    block = re.search(r"\n  var EN = \{\n(.*?)\n  \};\n", source, re.S)
    assert block, "no `var EN = {…};` in widget.js"
    entries = re.split(r"\n    (?=\w+: )", "\n" + block.group(1))
    table: dict[str, str] = {}
    for entry in filter(str.strip, entries):
        key, _, rest = entry.strip().partition(": ")
        literals = re.findall(r'"((?:[^"\\]|\\.)*)"', rest)
        assert literals, entry
        table[key] = "".join(json.loads(f'"{text}"') for text in literals)
    return table


def test_english_ui_keys_are_the_widget_table() -> None:
    """Every text of the widget is in the catalogues, worded as the widget's English fallback."""
    english = catalogue("en")
    ui = {k[3:]: v for k, v in english.items() if k.startswith("ui.")}
    assert ui == _widget_english()


@pytest.mark.parametrize("code", sorted(set(EU_LANGUAGES) - {"en"}))
def test_welcome_texts_are_translated(code: str) -> None:
    english, own = catalogue("en"), catalogue(code)
    for key in WELCOME:
        assert own[key] != english[key], (code, key)


def test_message_fills_placeholders_and_falls_back() -> None:
    assert message("not_member", "en", item="Estonia").startswith("Estonia is not among")
    assert message("refusal", "fr") != message("refusal", "en")
    assert message("refusal", "fr-CA") == message("refusal", "fr")
    assert message("refusal", "ja") == message("refusal", "en")
    assert catalogue("xx") == catalogue("en")


def test_language_names_are_endonyms_without_repeats() -> None:
    assert language_names(["en", "de", "en"]) == "English, Deutsch"
    assert language_names(["en", "de"], "fr") == "anglais, allemand"  # named in French
    assert language_names(["en"], "pl") == "angielski"
    assert language_names(["en", "xx"], "el") == "Αγγλικά, xx"
