"""Plain-text files: one document, paragraphs as they come."""

from __future__ import annotations

from pathlib import Path

from ingest.cleaning import clean_text
from ingest.documents import LoadedDocument, Section
from ingest.errors import FailureReason, LoadError
from ingest.loaders.metadata import resolve_metadata


def read_utf8(path: Path) -> str:
    """The file's text; undecodable bytes are replaced rather than failing the file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(FailureReason.CORRUPT, f"cannot read the file: {exc.strerror}") from exc
    if b"\x00" in data[:4096]:
        raise LoadError(FailureReason.CORRUPT, "binary content in a text file")
    return data.decode("utf-8-sig", errors="replace")


def load_text(path: Path) -> LoadedDocument:
    """Load a ``.txt`` file."""
    text = clean_text(read_utf8(path))
    if not text:
        raise LoadError(FailureReason.EMPTY, "the file holds no text")
    meta = resolve_metadata(path, {})
    return LoadedDocument(path=path, format="txt", sections=[Section(text=text)], **meta)
