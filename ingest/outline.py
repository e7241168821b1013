"""A document's outline as passages: a numbered heading's numbered sub-headings, listed under it.

"Which service and skill sets support the strategy?" is answered by a document's structure,
not by any one sentence: the chapter "4. Service and Skill Sets" has the sections "4.1 Start Up
and Grow Up!", "4.2 Go Global!", "4.3 Innovate!" and "4.4 Get Talent!", each pages long, and no
sentence lists them. For every numbered heading whose sub-headings are numbered under it from 1
without a gap (4.1, 4.2, …; at least two), the chunker adds one section: the heading as a lead-in
and its sub-headings as list items, on the heading's page. Children are found by their numbers,
not by the nesting the loader inferred (a PDF's heading levels are guessed from font sizes and
are often flat), and the unbroken sequence from 1 guards against numbered lines that are not
headings. Unnumbered headings give no outline: without numbers nothing says which of them are
siblings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.documents import Section

PATH_SEPARATOR = " > "
_NUMBERED = re.compile(r"^\s*(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+(\S.{0,150})$")
MIN_CHILDREN = 2


@dataclass(frozen=True)
class _Heading:
    number: tuple[int, ...]
    title: str
    path: str
    """The heading path up to and including this heading."""
    section: Section
    """The first section under it (its page is the outline's)."""


def _numbered_headings(sections: Sequence[Section]) -> dict[tuple[int, ...], _Heading]:
    """Every numbered heading of the document by its number, first appearance winning."""
    found: dict[tuple[int, ...], _Heading] = {}
    for section in sections:
        if section.navigation or not section.heading:
            continue
        path = section.heading.split(PATH_SEPARATOR)
        for depth, part in enumerate(path):
            match = _NUMBERED.match(part)
            if not match:
                continue
            number = tuple(int(n) for n in match.group(1).split("."))
            if number not in found:
                found[number] = _Heading(
                    number,
                    match.group(2).strip(),
                    PATH_SEPARATOR.join(path[: depth + 1]),
                    section,
                )
    return found


def outline_sections(sections: Sequence[Section]) -> list[Section]:
    """One section per numbered heading with numbered sub-headings (see the module)."""
    headings = _numbered_headings(sections)
    outlines = []
    for number, parent in headings.items():
        children = sorted(
            (h for n, h in headings.items() if len(n) == len(number) + 1 and n[:-1] == number),
            key=lambda h: h.number,
        )
        if len(children) < MIN_CHILDREN:
            continue
        if [h.number[-1] for h in children] != list(range(1, len(children) + 1)):
            continue
        lines = [f"{parent.title.rstrip(':.')}:"]
        lines += [f"- {'.'.join(map(str, h.number))} {h.title}" for h in children]
        outlines.append(
            Section(
                text="\n".join(lines),
                heading=parent.path,
                page=parent.section.page,
                page_label=parent.section.page_label,
            )
        )
    return outlines
