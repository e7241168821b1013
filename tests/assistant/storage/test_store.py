from pathlib import Path

import httpx
import numpy as np
import pytest

from assistant.errors import InvalidFilterError, StoreUnavailableError
from assistant.settings import ChromaSettings
from assistant.storage.store import ChunkStore, build_where, read_again_once
from assistant.types import Chunk
from tests.conftest import make_settings
from tests.factories import chunk


def _chunks(n: int) -> list[Chunk]:
    """`n` chunks of one document, ids `d:0` … `d:{n-1}`."""
    return [chunk(f"text {i}", i) for i in range(n)]


def _random_vectors(n: int, seed: int = 7) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(n, 384)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


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
    chunks = _chunks(3)
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


@pytest.mark.unit
def test_a_read_is_sent_again_once_after_a_transport_failure() -> None:
    calls: list[int] = []

    def flaky() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ReadError("[Errno 9] Bad file descriptor")
        return 7

    assert read_again_once(flaky) == 7 and len(calls) == 2

    def down() -> int:
        raise httpx.ConnectError("connection refused")

    with pytest.raises(httpx.ConnectError):
        read_again_once(down)

    def wrong() -> int:
        calls.append(1)
        raise ValueError("not a transport failure")

    calls.clear()
    with pytest.raises(ValueError):
        read_again_once(wrong)
    assert len(calls) == 1


@pytest.mark.unit
def test_a_page_the_store_cannot_give_is_reported_as_the_store_unavailable(
    tmp_path: Path,
) -> None:
    """Paged reads (every chunk, chunks by id) fail as every other read does: the store's 503
    with the reason, not an exception the API would turn into a 500."""

    class Broken:
        def get(self, **_: object) -> dict[str, list[object]]:
            raise RuntimeError("database disk image is malformed")

    store = ChunkStore(make_settings(tmp_path))
    store._collection = Broken()
    with pytest.raises(StoreUnavailableError, match="disk image is malformed"):
        store.all_chunks()
    with pytest.raises(StoreUnavailableError, match="disk image is malformed"):
        store.get(["d:0"])


@pytest.mark.integration
@pytest.mark.enable_socket
def test_reads_from_a_chroma_server_go_on_after_it_restarts(tmp_path: Path) -> None:
    """A real `chroma run`: the store's client keeps pooled connections across the restart,
    and its reads (count, query, get) answer afterwards."""
    from cli.cluster import chroma_server, free_port

    port = free_port()
    server = chroma_server(tmp_path / "chroma-server", port, tmp_path / "chroma.log")
    server.start()
    try:
        server.wait_ready(60)
        settings = make_settings(tmp_path / "data").model_copy(
            update={"chroma": ChromaSettings(mode="http", port=port)}
        )
        store = ChunkStore(settings)
        one = chunk("Clusters grow.", doc_id="doc", id="c1", title="Doc")
        vector = np.ones(384, dtype=np.float32) / np.sqrt(384)
        store.upsert([one], vector[None, :])
        assert store.count() == 1
        server.stop()
        server.start()
        server.wait_ready(60)
        assert store.count() == 1
        assert [h.chunk.id for h in store.query(vector, 1)] == ["c1"]
        assert store.ids_where({"doc_id": "doc"}) == ["c1"]
    finally:
        server.stop()


@pytest.mark.integration
def test_search_is_exhaustive_so_it_repeats_and_old_stores_are_updated(tmp_path: Path) -> None:
    """A store under Chroma's sync threshold rebuilds its HNSW graph on every load; with the
    default candidate list (100) the nearest passages then differed between processes. The store
    searches with `chroma.ef_search` (1000): the exact nearest neighbours."""
    settings = make_settings(tmp_path / "data")
    # A store made with Chroma's default candidate list, opened with the setting.
    before = settings.model_copy(update={"chroma": ChromaSettings(ef_search=100)})
    assert ChunkStore(before).collection.configuration_json["hnsw"]["ef_search"] == 100
    store = ChunkStore(settings)
    assert store.collection.configuration_json["hnsw"]["ef_search"] == 1000
    # 900 vectors, 40 nearest (the retrievers' candidates): at 100, 10 of these 20 queries got
    # another list than the exact one.
    vectors = _random_vectors(900)
    store.upsert(_chunks(900), vectors)
    rng = np.random.default_rng(11)
    for query in rng.normal(size=(20, 384)).astype(np.float32):
        query /= np.linalg.norm(query)
        exact = [f"d:{i}" for i in np.argsort(-(vectors @ query))[:40]]
        assert [hit.chunk.id for hit in ChunkStore(settings).query(query, 40)] == exact
