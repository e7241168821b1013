"""One version of each document per retrieval (unit)."""

from __future__ import annotations

import pytest

from assistant.retrieval.versions import one_version
from assistant.types import Chunk, ScoredChunk

pytestmark = pytest.mark.unit


def hit(doc: str, version: str, rank: int) -> ScoredChunk:
    chunk = Chunk(
        f"{doc}:{version}:{rank}", "text", doc, doc, "guide", "s", f"{doc}.md", rank,
        version=version,
    )  # fmt: skip
    return ScoredChunk(chunk, 1.0 - rank / 10, rank)


def test_each_document_keeps_the_version_of_its_best_chunk() -> None:
    hits = [hit("a", "new", 0), hit("b", "v1", 1), hit("a", "old", 2), hit("a", "new", 3)]
    kept = one_version(hits)
    assert [(h.chunk.doc_id, h.chunk.version) for h in kept] == [
        ("a", "new"),
        ("b", "v1"),
        ("a", "new"),
    ]
    assert [h.rank for h in kept] == [0, 1, 2]


def test_one_version_everywhere_is_left_as_it_is() -> None:
    hits = [hit("a", "v", 0), hit("b", "w", 1), hit("a", "v", 2)]
    assert one_version(hits) == hits
