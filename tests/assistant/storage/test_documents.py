"""The document catalogue over the chunk store."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.storage.documents import DocumentCatalog
from assistant.types import Chunk
from tests.conftest import Stack


def chunk(doc_id: str, position: int, title: str, page: int | None = None) -> Chunk:
    return Chunk(
        id=f"{doc_id}:{position}",
        text=f"text {position}",
        doc_id=doc_id,
        title=title,
        doc_type="other",
        source="Test",
        source_path=f"corpus/sub/{doc_id}.{'pdf' if page else 'md'}",
        position=position,
        page=page,
    )


class FakeStore:
    """All the catalogue reads: signature, all_chunks, chunks_of."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks
        self.reads = 0

    def signature(self) -> tuple[int, None]:
        return len(self.chunks), None

    def all_chunks(self) -> list[Chunk]:
        self.reads += 1
        return list(self.chunks)

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        return [c for c in self.chunks if c.doc_id == doc_id]


@pytest.mark.unit
def test_listing_is_cached_until_the_store_changes(tmp_path: Path) -> None:
    store = FakeStore(
        [chunk("b", 0, "Beta"), chunk("a", 1, "alpha", page=3), chunk("a", 0, "alpha", page=1)]
    )
    catalog = DocumentCatalog(store)  # type: ignore[arg-type]
    page = catalog.list_documents()
    assert [i.doc_id for i in page.items] == ["a", "b"] and page.total == 2
    alpha = page.items[0]
    assert (alpha.chunks, alpha.pages, alpha.file) == (2, 3, "a.pdf")
    assert page.items[1].pages is None
    catalog.list_documents(limit=1, offset=1)
    assert store.reads == 1
    store.chunks.append(chunk("c", 0, "Gamma"))
    assert catalog.count() == 3 and store.reads == 2
    info, passages = catalog.document("a") or (None, [])
    assert info is not None and [p.position for p in passages] == [0, 1]
    assert catalog.document("zzz") is None


@pytest.mark.integration
def test_catalogue_of_the_starter_corpus(indexed: Stack) -> None:
    catalog = indexed.container.documents
    assert catalog.count() == 32
    events = catalog.list_documents(limit=100, doc_type="event")
    assert events.total == len(events.items) > 0
    assert all(i.doc_type == "event" for i in events.items)
    found = catalog.document("cluster-policy-dos-and-donts")
    assert found is not None
    info, passages = found
    assert info.file.endswith(".pdf") and info.pages and len(passages) == info.chunks
