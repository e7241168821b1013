"""Sentence splitting and Markdown clean-up for answer composition."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pysbd

# A list item's opening marker: a bullet or "1." / "1)".
LIST_MARKER = re.compile(r"^\s*(?:[-*+•▪◦●‣]|\d{1,3}[.)])\s+")
# The two halves of a Do/Don't pair, by their opening words.
DONT = re.compile(r"^\W*(?:don[’']?t|do not)\b", re.IGNORECASE)
DO = re.compile(r"^\W*do\b(?!n)", re.IGNORECASE)
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)(.+?)\1")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")
_END_PUNCT = re.compile(r"([.!?:;…]+)$")
# Citation markers as written by the composer or a model: "[1]", "[1, 3]", "[2][4]".
MARKERS = re.compile(r"\s*\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")


SNIPPET_CHARS = 320


def snippet(text: str) -> str:
    """`text` flattened to one line and cut to a citation card's length."""
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1].rstrip() + "…"


def before_stop(text: str, mark: str) -> str:
    """`text` with ` mark` inserted before its final punctuation."""
    if not mark:
        return text
    match = _END_PUNCT.search(text)
    if match:
        return f"{text[: match.start()].rstrip()} {mark}{match.group(1)}"
    return f"{text} {mark}"


def cite(text: str, numbers: list[int] | int) -> str:
    """`text` with citation markers inserted before its final punctuation."""
    return before_stop(
        text, "".join(f"[{n}]" for n in ([numbers] if isinstance(numbers, int) else numbers))
    )


def cited_numbers(text: str) -> list[int]:
    """The citation numbers in `text`, in order of appearance, without repeats."""
    found: list[int] = []
    for group in MARKERS.findall(text):
        for part in re.split(r"[,;]", group):
            n = int(part)
            if n not in found:
                found.append(n)
    return found


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def plain(text: str) -> str:
    """Markdown inline markup removed: emphasis, code ticks, links (their text is kept)."""
    text = _LINK.sub(r"\1", text)
    previous = None
    while previous != text:
        previous, text = text, _EMPHASIS.sub(r"\2", text)
    return text.strip()


def sentences(text: str) -> list[str]:
    """The sentences of one paragraph."""
    return [s.strip() for s in _segmenter().segment(text) if s.strip()]


def split_units(chunk_text: str) -> list[str]:
    """A chunk's answerable units: sentences of paragraphs, whole list items, table rows."""
    units: list[str] = []
    for raw in chunk_text.split("\n"):
        line = raw.strip()
        if not line or _TABLE_RULE.match(line):
            continue
        if line.startswith("|"):
            cells = [plain(c) for c in line.strip("|").split("|")]
            row = " — ".join(c for c in cells if c)
            if row:
                units.append(row)
            continue
        is_item = bool(LIST_MARKER.match(line))
        line = plain(LIST_MARKER.sub("", line, count=1))
        if is_item:
            units.append(line)
            continue
        units.extend(sentences(line))
    return units


@dataclass(frozen=True)
class TextUnit:
    """One answerable unit of a chunk: its text, position, and whether it is a list item."""

    text: str
    index: int
    is_item: bool


CHUNK_UNITS_CACHED = 8192
"""Chunks whose units are kept in memory: sentence splitting (pysbd) was about a third of a warm
answer's time when every retrieved chunk was split again on every question."""


def chunk_units(chunk_text: str) -> list[TextUnit]:
    """The units an answer may quote from a chunk, numbered in reading order.

    Lead-ins ending with a colon ("… has three objectives:") and one-word fragments of prose say
    nothing alone and are left out; a one-word list item ("Internationalisation") is kept.
    """
    return list(_chunk_units(chunk_text))


@lru_cache(maxsize=CHUNK_UNITS_CACHED)
def _chunk_units(chunk_text: str) -> tuple[TextUnit, ...]:
    """`chunk_units`, computed once per chunk text (a pure function of it)."""
    units: list[TextUnit] = []
    index = 0
    for line in chunk_text.split("\n"):
        is_item = bool(LIST_MARKER.match(line))
        for unit in split_units(line):
            if (is_item or len(unit.split()) >= 2) and not unit.endswith(":"):
                units.append(TextUnit(unit, index, is_item))
            index += 1
    return tuple(units)
