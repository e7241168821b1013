"""Loaders turn one file into a `LoadedDocument`, or raise `LoadError` with the reason."""

from __future__ import annotations

from pathlib import Path

from ingest.documents import LoadedDocument
from ingest.errors import FailureReason, LoadError
from ingest.loaders.markdown import load_markdown
from ingest.loaders.pdf import load_pdf
from ingest.loaders.text import load_text

SUPPORTED_SUFFIXES = {".md": "md", ".markdown": "md", ".txt": "txt", ".pdf": "pdf"}

# When two files carry the same document id, the format earlier in this list is indexed:
# a PDF keeps page numbers for citations, Markdown keeps headings.
FORMAT_PREFERENCE = ("pdf", "md", "txt")


def format_of(path: Path) -> str | None:
    """The loader name for a path, or None when the type is not supported."""
    return SUPPORTED_SUFFIXES.get(path.suffix.lower())


def load_document(path: Path, pdf_timeout_s: float = 60.0) -> LoadedDocument:
    """Load any supported file; raises `LoadError` when it cannot be read."""
    fmt = format_of(path)
    if fmt == "md":
        return load_markdown(path)
    if fmt == "txt":
        return load_text(path)
    if fmt == "pdf":
        return load_pdf(path, timeout_s=pdf_timeout_s)
    raise LoadError(FailureReason.UNSUPPORTED, f"unsupported file type {path.suffix!r}")


__all__ = ["FORMAT_PREFERENCE", "SUPPORTED_SUFFIXES", "format_of", "load_document"]
