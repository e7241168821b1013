"""Loaders turn one file into a `LoadedDocument`, or raise `LoadError` with the reason."""

from __future__ import annotations

from pathlib import Path

from assistant.settings import Settings
from ingest.documents import LoadedDocument
from ingest.errors import FailureReason, LoadError
from ingest.loaders.markdown import load_markdown
from ingest.loaders.pdf import DEFAULT_MEMORY_MB, load_pdf
from ingest.loaders.text import load_text

MAX_TEXT_MB = 20.0
"""The largest Markdown or text file read (`ingest.max_text_mb`)."""
SUPPORTED_SUFFIXES = {".md": "md", ".markdown": "md", ".txt": "txt", ".pdf": "pdf"}

# When two files carry the same document id, the format earlier in this list is indexed:
# a PDF keeps page numbers for citations, Markdown keeps headings.
FORMAT_PREFERENCE = ("pdf", "md", "txt")


def format_of(path: Path) -> str | None:
    """The loader name for a path, or None when the type is not supported."""
    return SUPPORTED_SUFFIXES.get(path.suffix.lower())


def load_document(
    path: Path,
    pdf_timeout_s: float = 60.0,
    pdf_memory_mb: int = DEFAULT_MEMORY_MB,
    max_text_mb: float = MAX_TEXT_MB,
    keep_parse: bool = False,
) -> LoadedDocument:
    """Load any supported file; raises `LoadError` when it cannot be read (a PDF parsed in a
    worker process within `pdf_timeout_s` and `pdf_memory_mb`, a text no larger than
    `max_text_mb`). `keep_parse`: a PDF's parse is kept for the next load of the same bytes
    (a checked upload, ingested next)."""
    fmt = format_of(path)
    if fmt in ("md", "txt"):
        size = path.stat().st_size
        if size > max_text_mb * 1024 * 1024:
            raise LoadError(
                FailureReason.TOO_LARGE,
                f"{size / 1024 / 1024:.0f} MB of text is more than the {max_text_mb:g} MB limit",
            )
    if fmt == "md":
        return load_markdown(path)
    if fmt == "txt":
        return load_text(path)
    if fmt == "pdf":
        return load_pdf(path, pdf_timeout_s, pdf_memory_mb, keep=keep_parse)
    raise LoadError(FailureReason.UNSUPPORTED, f"unsupported file type {path.suffix!r}")


def parse_limits(settings: Settings) -> tuple[float, int, float]:
    """`load_document`'s limits from the settings: PDF time and memory, text size."""
    ingest = settings.ingest
    return ingest.pdf_timeout_s, ingest.pdf_memory_mb, ingest.max_text_mb


__all__ = [
    "FORMAT_PREFERENCE",
    "SUPPORTED_SUFFIXES",
    "format_of",
    "load_document",
    "parse_limits",
]
