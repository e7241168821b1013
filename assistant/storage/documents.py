"""The document catalogue: which documents the store holds, with their metadata and passages.

Built from the chunk store (the store is the truth: a document is listed while it has chunks) and
kept in memory until the store changes (`ChunkStore.signature`, as for the BM25 index).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import PurePath

from assistant.storage.store import ChunkStore
from assistant.types import Chunk


@dataclass(frozen=True)
class DocumentInfo:
    """One document's metadata, as the catalogue lists it."""

    doc_id: str
    title: str
    doc_type: str
    source: str
    year: int | None
    language: str | None
    file: str
    """Base name of the file the document was read from."""
    chunks: int
    pages: int | None
    """The highest page number a passage comes from (PDFs); None for Markdown and text."""


@dataclass(frozen=True)
class Passage:
    """One chunk of a document, in reading order."""

    chunk_id: str
    position: int
    page: int | None
    section: str | None
    text: str


@dataclass(frozen=True)
class DocumentPage:
    """A slice of the catalogue."""

    items: list[DocumentInfo]
    total: int
    limit: int
    offset: int


def _info(doc_id: str, chunks: list[Chunk]) -> DocumentInfo:
    first = min(chunks, key=lambda c: c.position)
    pages = [c.page for c in chunks if c.page is not None]
    return DocumentInfo(
        doc_id=doc_id,
        title=first.title or doc_id,
        doc_type=first.doc_type,
        source=first.source,
        year=first.year,
        language=first.language,
        file=PurePath(first.source_path.replace("\\", "/")).name,
        chunks=len(chunks),
        pages=max(pages) if pages else None,
    )


class DocumentCatalog:
    """Lists documents and reads one document's passages, from the chunk store."""

    def __init__(self, store: ChunkStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._built_for: object = None
        self._infos: dict[str, DocumentInfo] = {}

    def _catalogue(self) -> dict[str, DocumentInfo]:
        """Every document by id, rebuilt when the store changed."""
        signature = self._store.signature()
        if signature == self._built_for:
            return self._infos
        with self._lock:
            if signature != self._built_for:
                by_doc: dict[str, list[Chunk]] = {}
                for chunk in self._store.all_chunks():
                    by_doc.setdefault(chunk.doc_id, []).append(chunk)
                self._infos = {doc_id: _info(doc_id, chunks) for doc_id, chunks in by_doc.items()}
                self._built_for = signature
            return self._infos

    def by_id(self) -> dict[str, DocumentInfo]:
        """Every document's metadata, by id."""
        return dict(self._catalogue())

    def count(self) -> int:
        """Number of documents in the store."""
        return len(self._catalogue())

    def list_documents(
        self, limit: int = 20, offset: int = 0, doc_type: str | None = None
    ) -> DocumentPage:
        """Documents sorted by title (then id), optionally of one type, `limit` from `offset`."""
        infos = sorted(
            (i for i in self._catalogue().values() if doc_type is None or i.doc_type == doc_type),
            key=lambda i: (i.title.casefold(), i.doc_id),
        )
        return DocumentPage(infos[offset : offset + limit], len(infos), limit, offset)

    def document(self, doc_id: str) -> tuple[DocumentInfo, list[Passage]] | None:
        """A document's metadata and its passages ordered by position; None when unknown."""
        chunks = sorted(self._store.chunks_of(doc_id), key=lambda c: (c.position, c.id))
        if not chunks:
            return None
        passages = [Passage(c.id, c.position, c.page, c.section, c.text) for c in chunks]
        return _info(doc_id, chunks), passages
