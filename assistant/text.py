"""Sentence splitting and Markdown clean-up for answer composition."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType

import pysbd

# Bullet glyphs: the usual ones, dashes, arrows and checks, and private-use code points (the
# Symbol and Wingdings bullets of word processors, extracted as they are).
BULLETS = "-*+•▪◦●‣·–—○■□➢➤►✓✔❖\ue000-\uf8ff"
# A list item's opening marker: a bullet, "1." / "1)", "a)" or "(i)".
LIST_MARKER = re.compile(
    rf"^\s*(?:[{BULLETS}]|\d{{1,3}}[.)]|[a-z][)]|\((?:[ivx]{{1,4}}|[a-z])\))\s+"
)
# The two halves of a Do/Don't pair, by their opening words.
DONT = re.compile(r"^\W*(?:don[’']?t|do not)\b", re.IGNORECASE)
DO = re.compile(r"^\W*do\b(?!n)", re.IGNORECASE)
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)(.+?)\1")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
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
    """Markdown inline markup removed: emphasis, code ticks, images and links (their alt text
    and link text are kept, their addresses dropped)."""
    text = _IMAGE.sub(r"\1", text)
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
            row = row_text(cells(line))
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


def cells(row: str) -> list[str]:
    """The cells of a Markdown table row, markup removed."""
    return [plain(c) for c in row.strip().strip("|").split("|")]


def row_text(values: Sequence[str], labels: Sequence[str] | None = None) -> str:
    """A table row as one unit: its first cell, then each other cell with its column's label
    ("Creating new jobs — Indicator: 3 000"); without labels, the cells joined by dashes."""
    if not labels:
        return " — ".join(c for c in values if c)
    parts = []
    for k, value in enumerate(values[1:], start=1):
        label = labels[k] if k < len(labels) else ""
        if value:
            parts.append(f"{label}: {value}" if label and label != value else value)
    head = values[0] if values else ""
    if not parts:
        return head
    return f"{head} — {'; '.join(parts)}" if head else "; ".join(parts)


@dataclass(frozen=True)
class TextUnit:
    """One answerable unit of a chunk: its text, position, whether it is a list item, and the
    line of the chunk's text it starts on (which gives its page, `Chunk.page_of_line`)."""

    text: str
    index: int
    is_item: bool
    line: int = 0
    items: tuple[int, ...] = ()
    """For a list unit (a lead-in with its items, or a sentence that enumerates after a colon):
    the indexes of its item units (none for an enumerating sentence)."""
    is_list: bool = False
    is_row: bool = False
    """A table row, carrying its column labels."""


CHUNK_UNITS_CACHED = 8192
"""Chunks whose units are kept in memory: sentence splitting (pysbd) was about a third of a warm
answer's time when every retrieved chunk was split again on every question."""


def chunk_units(chunk_text: str) -> list[TextUnit]:
    """The units an answer may quote from a chunk, numbered in reading order.

    Lead-ins ending with a colon ("… has three objectives:") and one-word fragments of prose say
    nothing alone and are left out; a one-word list item ("Internationalisation") is kept. The turns
    of a staged conversation (`CHAT_TURN`) give no unit; the numbering skips their units, so
    stored unit vectors keep their keys.
    """
    return list(_chunk_units(chunk_text))


ENUMERATION_MIN_PARTS = 3
ENUMERATION_MAX_WORDS = 8
_SERIES = re.compile(r"\s*[,;]\s*")


def enumeration(sentence: str) -> bool:
    """Whether a sentence enumerates after a colon ("… were identified, namely: A, B, C and D"):
    at least `ENUMERATION_MIN_PARTS` comma-separated parts of a few words each, after a lead of
    three words or more."""
    lead, colon, series = sentence.rpartition(": ")
    if not colon or len(lead.split()) < 3:
        return False
    parts = [p for p in _SERIES.split(series.rstrip(" .;")) if p]
    return len(parts) >= ENUMERATION_MIN_PARTS and all(
        len(p.split()) <= ENUMERATION_MAX_WORDS for p in parts
    )


LIST_UNIT_MIN_ITEMS = 2
"""A lead-in followed by at least this many items is also one unit: the whole list."""
CHAT_TURN = re.compile(r"^(?P<role>system|assistant|user|human|ai|developer)\s*:", re.IGNORECASE)
"""A line written as a turn of a conversation with a model ("System: …", "Assistant: Sure. …"):
the labels of chat prompt formats, a closed class. A passage staging a conversation — an
assistant's turn and a turn of another role — is a prompt injection's staged reply, not
something the document states; its turns stay searchable but are never quoted as an answer
(`tests/assistant/test_injection.py`). One such line alone is not a conversation: a glossary's
"AI: artificial intelligence" is quoted as any line."""


def _staged_turns(lines: Sequence[str]) -> set[int]:
    """The lines (by number) of a staged conversation: every `CHAT_TURN` line, when the lines
    hold an assistant's turn and a turn of another role; none otherwise."""
    turns = {
        number: m.group("role").lower()
        for number, line in enumerate(lines)
        if (m := CHAT_TURN.match(plain(LIST_MARKER.sub("", line.strip(), count=1))))
    }
    roles = set(turns.values())
    return set(turns) if "assistant" in roles and len(roles) >= 2 else set()


@lru_cache(maxsize=CHUNK_UNITS_CACHED)
def _chunk_units(chunk_text: str) -> tuple[TextUnit, ...]:
    """`chunk_units`, computed once per chunk text (a pure function of it).

    A table row under a header (a row followed by a rule) carries its column labels; the header
    itself is no unit. A lead-in ending with a colon and the items that follow it are also one
    list unit, after its items (a question about the whole list is answered by it).
    """
    units: list[TextUnit] = []
    index = 0
    labels: list[str] | None = None
    lines = chunk_text.split("\n")
    staged_lines = _staged_turns(lines)
    lead: tuple[int, str] | None = None  # the open lead-in: its line and text
    items: list[TextUnit] = []

    def close_list() -> None:
        nonlocal index, lead
        if lead is not None and len(items) >= LIST_UNIT_MIN_ITEMS:
            whole = f"{lead[1]} {'; '.join(u.text.rstrip('.;,') for u in items)}."
            members = tuple(u.index for u in items)
            units.append(TextUnit(whole, index, False, lead[0], members, True))
            index += 1
        lead = None
        items.clear()

    for number, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("|"):
            close_list()
            following = lines[number + 1] if number + 1 < len(lines) else ""
            if _TABLE_RULE.match(stripped):
                continue
            if _TABLE_RULE.match(following.strip()):
                labels = cells(stripped)
                continue
            row = row_text(cells(stripped), labels)
            if row:
                units.append(TextUnit(row, index, False, number, is_row=True))
            index += 1
            continue
        labels = None
        is_item = bool(LIST_MARKER.match(line))
        if not is_item and stripped:
            close_list()
        staged = number in staged_lines
        for unit in split_units(line):
            if (is_item or len(unit.split()) >= 2) and not unit.endswith(":") and not staged:
                enumerates = not is_item and enumeration(unit)
                units.append(TextUnit(unit, index, is_item, number, is_list=enumerates))
                if is_item and lead is not None:
                    items.append(units[-1])
            index += 1
        if not is_item and stripped.endswith(":"):
            lead = (number, plain(stripped))
    close_list()
    return tuple(units)


@lru_cache(maxsize=1)
def english_stop_words() -> frozenset[str]:
    """scikit-learn's English stop list, read from its data module alone: importing
    `sklearn.feature_extraction` (numpy, scipy, ...) cost two seconds of every start-up."""
    package = importlib.util.find_spec("sklearn")
    if package is not None and package.origin is not None:
        path = Path(package.origin).parent / "feature_extraction" / "_stop_words.py"
        spec = importlib.util.spec_from_file_location("_sklearn_stop_words", path)
        if path.is_file() and spec is not None and spec.loader is not None:
            module = ModuleType(spec.name)
            spec.loader.exec_module(module)
            words = getattr(module, "ENGLISH_STOP_WORDS", None)
            if isinstance(words, frozenset):
                return words
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS  # pragma: no cover

    return frozenset(ENGLISH_STOP_WORDS)  # pragma: no cover
