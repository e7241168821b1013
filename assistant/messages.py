"""The fixed texts of answers and of the widget, in the 24 official EU languages.

One JSON catalogue per language in `assistant/locales/<code>.json`, each with the keys of
`en.json` and the same `{placeholders}` (a test checks both). A missing language or key falls
back to English. The widget reads the `ui.*` keys through `GET /v1/locales/{code}`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path

from assistant.language import EU_LANGUAGES, normalise

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
FALLBACK = "en"


@cache
def catalogue(code: str) -> dict[str, str]:
    """The messages of one language (English for a language without a catalogue)."""
    path = LOCALES_DIR / f"{code}.json"
    if code not in EU_LANGUAGES or not path.is_file():
        path = LOCALES_DIR / f"{FALLBACK}.json"
    data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return data


def available() -> list[str]:
    """The languages that have a catalogue."""
    return sorted(p.stem for p in LOCALES_DIR.glob("*.json") if p.stem in EU_LANGUAGES)


def message(key: str, language: str | None = None, **values: str) -> str:
    """The text of `key` in `language` (BCP 47 or ISO 639-1), its placeholders filled."""
    code = normalise(language) or FALLBACK
    text = catalogue(code).get(key) or catalogue(FALLBACK)[key]
    return text.format(**values) if values else text


def language_names(codes: Iterable[str], in_language: str | None = None) -> str:
    """The languages' names, comma-separated, in the given order without repeats: as
    `in_language` names them ("anglais" in French; CLDR's names, through Babel), else each
    language's own name."""
    seen: list[str] = []
    for code in codes:
        name = _name_in(code, in_language) if in_language else None
        if name is None:
            name = catalogue(code).get("language_name", code) if code in EU_LANGUAGES else code
        if name not in seen:
            seen.append(name)
    return ", ".join(seen)


@lru_cache(maxsize=1024)
def _name_in(code: str, language: str) -> str | None:
    """CLDR's name of language `code` in `language` (None when either is not an EU language)."""
    if code not in EU_LANGUAGES or language not in EU_LANGUAGES:
        return None
    from babel import Locale

    name = Locale.parse(language).languages.get(code)
    return str(name) if name else None
