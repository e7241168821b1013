"""Markdown with YAML front matter; the body is split into sections at its headings."""

from __future__ import annotations

from pathlib import Path

import frontmatter
from langchain_text_splitters import MarkdownHeaderTextSplitter

from ingest.cleaning import normalize_unicode
from ingest.documents import LoadedDocument, Section
from ingest.errors import FailureReason, LoadError
from ingest.loaders.metadata import resolve_metadata
from ingest.loaders.text import read_utf8

_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3"), ("####", "h4")]


def split_markdown_sections(body: str, title: str) -> list[Section]:
    """Sections keyed by their heading path; a level-1 heading equal to the title is dropped."""
    splitter = MarkdownHeaderTextSplitter(_HEADERS, strip_headers=True)
    sections: list[Section] = []
    for piece in splitter.split_text(body):
        levels = [str(piece.metadata[key]) for _, key in _HEADERS if key in piece.metadata]
        if levels and levels[0].strip().lower() == title.strip().lower():
            levels = levels[1:]
        text = piece.page_content.strip()
        if text:
            sections.append(Section(text=text, heading=" > ".join(levels) or None))
    return sections


def load_markdown(path: Path) -> LoadedDocument:
    """Load a Markdown file; front matter becomes the document's metadata."""
    raw = read_utf8(path)
    try:
        post = frontmatter.loads(raw)
    except Exception as exc:
        raise LoadError(
            FailureReason.INVALID_METADATA, f"the YAML front matter cannot be parsed: {exc}"
        ) from exc
    meta = resolve_metadata(path, post.metadata)
    body = normalize_unicode(post.content)
    if not body.strip():
        raise LoadError(FailureReason.EMPTY, "the document has no body text")
    sections = split_markdown_sections(body, meta["title"])
    if not sections:
        raise LoadError(FailureReason.EMPTY, "the document has headings but no text")
    return LoadedDocument(path=path, format="md", sections=sections, **meta)
