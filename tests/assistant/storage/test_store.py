from pathlib import Path

import numpy as np
import pytest

from assistant.errors import InvalidFilterError
from assistant.storage.store import ChunkStore, build_where
from assistant.types import Chunk
from tests.conftest import make_settings


@pytest.mark.unit
def test_no_filters_means_no_clause() -> None:
    assert build_where(None) is None and build_where({}) is None


@pytest.mark.unit
def test_single_and_multiple_filters() -> None:
    assert build_where({"doc_type": "event"}) == {"doc_type": "event"}
    assert build_where({"doc_type": ["event", "directory"], "year": 2024}) == {
        "$and": [{"doc_type": {"$in": ["event", "directory"]}}, {"year": 2024}]
    }


@pytest.mark.unit
@pytest.mark.parametrize(
    "filters",
    [{"colour": "red"}, {"year": "2024"}, {"doc_type": 3}, {"doc_type": []}, {"year": True}],
)
def test_bad_filters_are_rejected(filters: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidFilterError):
        build_where(filters)


@pytest.mark.integration
def test_signature_changes_with_every_write_and_is_seen_by_another_process(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path / "data")
    store = ChunkStore(settings)
    empty = store.signature()
    vectors = np.eye(3, 384, dtype=np.float32)
    chunks = [
        Chunk(
            id=f"d:{i}",
            text=f"text {i}",
            doc_id="d",
            title="D",
            doc_type="other",
            source="test",
            source_path="d.md",
            position=i,
        )
        for i in range(3)
    ]
    store.upsert(chunks, vectors)
    written = store.signature()
    assert written != empty and written[0] == 3
    store.get(["d:0"])
    store.query(vectors[0], 2)
    assert store.signature() == written  # reads change nothing
    # Rewriting the same chunks keeps the count but is still a change.
    store.upsert(chunks, vectors)
    rewritten = store.signature()
    assert rewritten[0] == 3 and rewritten != written
    # A second adapter on the same store (another worker) sees the same signature.
    other = ChunkStore(settings)
    assert other.signature() == rewritten
    other.delete_ids(["d:0"])
    assert store.signature() == other.signature() != rewritten
