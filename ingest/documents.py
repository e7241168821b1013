"""What a loader produces: a document's metadata and its text, section by section."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from assistant.types import PageStarts, page_at


@dataclass(frozen=True)
class Section:
    """A run of text under one heading path, on one page (PDFs) or none (Markdown, text).

    `page` is the 1-based PDF page index (what a viewer opens); `page_label` the page number
    printed on it ("12", "8–9" for a spread of two printed pages), when known. `navigation` marks
    a table of contents or an index: indexed, but not meant to answer from.
    """

    text: str
    heading: str | None = None
    page: int | None = None
    navigation: bool = False
    page_label: str | None = None
    page_starts: PageStarts = ()
    """For a section that runs over page breaks (a list continued on the next page): where each
    later page starts, as (line of `text`, page, printed label). Empty: all on `page`."""

    def page_at(self, line: int) -> tuple[int | None, str | None]:
        """The page (and printed label) that line `line` of the text stands on."""
        return page_at(line, self.page, self.page_label, self.page_starts)


@dataclass
class LoadedDocument:
    """A parsed file, ready to be chunked."""

    path: Path
    format: str
    doc_id: str
    title: str
    doc_type: str
    source: str
    year: int | None = None
    language: str | None = None
    sections: list[Section] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    replaced_title: str | None = None
    """The title the file's own metadata gave, when the loader replaced it (a file name, a
    credit, words on no page)."""
    structure: dict[str, int] = field(default_factory=dict)
    """What the loader found beyond text, for reports (PDFs: tables placed, layout frames
    rejected, tables found but not placed, lists and tables joined across page breaks)."""

    @property
    def has_text(self) -> bool:
        """Whether any section holds non-blank text."""
        return any(s.text.strip() for s in self.sections)


_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    """A stable id from a file name: ``My Guide (2016).pdf`` → ``my-guide-2016``."""
    return _SLUG.sub("-", name.lower()).strip("-") or "document"


def title_from_stem(stem: str) -> str:
    """A readable title from a file name when the file carries none."""
    words = re.sub(r"[_\-]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else stem
