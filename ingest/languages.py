"""Passages' languages, filled in from their text.

A document's language is its front matter's (or PDF metadata's) when given, else the language
most of its text is in. Each chunk carries the language most of its units (sentences, list
items) are in, weighted by length, each unit counted when the detector is sure of it: an English
strategy with a Dutch annex has Dutch chunks, and a chunk's language follows most of its text
rather than the detector's verdict on the whole; with no sure unit, the document's.
Reading uses it to choose the model a question–passage pair is scored with
(`assistant.answer.scoring`), and answers to say which language their quotes are in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from assistant.language import LanguageDetector, normalise
from assistant.text import split_units
from assistant.types import Chunk


def with_languages(chunks: Sequence[Chunk], detector: LanguageDetector) -> list[Chunk]:
    """`chunks` with `language` set on each (see the module's docstring)."""
    if not chunks:
        return []
    own = [detector.dominant(split_units(c.text)) for c in chunks]
    declared = normalise(chunks[0].language) or chunks[0].language
    document = declared or detector.dominant(c.text for c in chunks)
    return [replace(c, language=code or document) for c, code in zip(chunks, own, strict=True)]
