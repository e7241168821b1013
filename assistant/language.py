"""Which language a text is in: questions (to answer and to word notices in theirs) and
passages (filled in at ingest when a document's front matter does not say).

Detection uses py3langid (BSD-3-Clause, the langid.py model bundled in the wheel, numpy only),
restricted to the 24 official EU languages. lingua-language-detector was measured first and set
aside: its accurate mode holds ~600 MB resident for the 23 EU languages it knows (no Maltese),
and its low-accuracy mode read "What services do cluster organisations offer?" as French
(2026-12-03, AMD EPYC 2 cores; py3langid: 14/14 of the same sample, 0.13 ms a question).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

EU_LANGUAGES: dict[str, str] = {
    "bg": "Bulgarian",
    "cs": "Czech",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "et": "Estonian",
    "fi": "Finnish",
    "fr": "French",
    "ga": "Irish",
    "hr": "Croatian",
    "hu": "Hungarian",
    "it": "Italian",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "mt": "Maltese",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "sk": "Slovak",
    "sl": "Slovenian",
    "sv": "Swedish",
}
"""The 24 official languages of the EU, by ISO 639-1 code."""

MIN_CONFIDENCE = 0.5
"""Below this normalised probability a text's language is undetermined (a name alone, "RIS3",
"And in Palma?"); the caller then falls back (the conversation's language, then a default)."""


@dataclass(frozen=True)
class Detected:
    """A detected language and the detector's normalised probability."""

    code: str
    confidence: float


def normalise(tag: str | None) -> str | None:
    """The ISO 639-1 code of a BCP 47 tag ("fr-BE" → "fr"), if it is an EU language."""
    if not tag:
        return None
    code = tag.strip().replace("_", "-").split("-")[0].lower()
    return code if code in EU_LANGUAGES else None


def preferred(accept_language: str | None) -> str | None:
    """The EU language a client prefers most, from an `Accept-Language` header (RFC 9110:
    "fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5"): ranges by weight, ties in their order; a range
    with q=0, a wildcard or a language outside the EU is passed over."""
    if not accept_language:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        code = normalise(tag)
        if code and weight > 0:
            ranked.append((-weight, position, code))
    return min(ranked)[2] if ranked else None


class LanguageDetector:
    """py3langid over the EU languages, loaded on first use (thread-safe)."""

    def __init__(self, min_confidence: float = MIN_CONFIDENCE) -> None:
        self._min_confidence = min_confidence
        self._identifier: Any = None
        self._lock = threading.RLock()

    def warm_up(self) -> None:
        """Load the model now (about 0.7 s)."""
        self._model()

    def _model(self) -> Any:
        if self._identifier is None:
            with self._lock:
                if self._identifier is None:
                    from py3langid.langid import MODEL_FILE, LanguageIdentifier

                    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                    identifier.set_languages(sorted(EU_LANGUAGES))
                    self._identifier = identifier
        return self._identifier

    def detect(self, text: str) -> Detected | None:
        """The language of `text`, or None when the detector is unsure (or there is no text)."""
        if not text or not any(ch.isalpha() for ch in text):
            return None
        with self._lock:
            code, confidence = self._model().classify(text)
        if float(confidence) < self._min_confidence:
            return None
        return Detected(str(code), float(confidence))

    def code(self, text: str) -> str | None:
        """The ISO 639-1 code of `text`'s language, or None when unsure."""
        found = self.detect(text)
        return found.code if found else None

    def dominant(self, texts: Iterable[str]) -> str | None:
        """The language most of `texts` are in, weighted by length (a document's language)."""
        weight: dict[str, int] = {}
        for text in texts:
            code = self.code(text)
            if code:
                weight[code] = weight.get(code, 0) + len(text)
        return max(weight, key=lambda c: weight[c]) if weight else None


@cache
def detector(min_confidence: float = MIN_CONFIDENCE) -> LanguageDetector:
    """One detector per process (the model is shared)."""
    return LanguageDetector(min_confidence)


def question_language(
    question: str,
    earlier: Iterable[str] = (),
    requested: str | None = None,
    default: str = "en",
    min_confidence: float = MIN_CONFIDENCE,
    preferred: str | None = None,
) -> str:
    """The language to answer `question` in: the requested one (BCP 47, when an EU language),
    else the question's detected language, else that of the latest earlier user turn whose
    language is clear (a follow-up like "And in Palma?"), else the client's `preferred` one
    (its `Accept-Language`), else `default`."""
    chosen = normalise(requested)
    if chosen:
        return chosen
    found = detector(min_confidence).code(question)
    if found:
        return found
    for text in reversed(list(earlier)):
        found = detector(min_confidence).code(text)
        if found:
            return found
    return normalise(preferred) or default
