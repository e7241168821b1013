"""The vector store adapter: one Chroma collection of chunks, embedded or behind a server.

Ingestion writes through it, retrieval reads through it, and the API asks it for health. Chroma's
own embedding function is never used (it downloads a model): vectors are always passed in, the
collection is in cosine space, and telemetry is off.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

import httpx
import numpy as np

from assistant.errors import InvalidFilterError, StoreUnavailableError
from assistant.language import EU_LANGUAGES
from assistant.settings import Settings
from assistant.text import TextUnit
from assistant.types import FILTERABLE_FIELDS, Chunk, ScoredChunk

log = logging.getLogger(__name__)

Filters = Mapping[str, str | int | Sequence[str | int]]

REVISION_KEY = "revision"
"""Collection metadata key: a fresh token stamped by every write (see `ChunkStore.signature`)."""
READER_MODEL_KEY = "reader_model"
"""Reader collection metadata key: the name of the reader that made its vectors."""
MULTILINGUAL_MODEL_KEY = "multilingual_model"
"""Metadata key of the multilingual collections: the model that made their vectors."""
READ_PAGE = 5000
"""Rows per read: Chroma refuses one query with more SQL variables than SQLite allows."""
LAYOUT_VERSION = "3"
"""What a stored chunk holds (ids, metadata keys, unit vectors): bump it when that changes, and
every store built before is re-ingested (it is part of the ingest fingerprint)."""

T = TypeVar("T")
RETRY_DELAY_S = 0.05


def read_again_once(read: Callable[[], T]) -> T:
    """`read()`, made once more when the connection to a Chroma server failed under it.

    The server's client reuses keep-alive connections, and a request sent on one that has just
    gone away fails in transport (seen once in 72,049 soak requests against `serve-cluster`:
    "[Errno 9] Bad file descriptor", a 503). A read changes nothing, so it is sent again, on a
    fresh connection; a second failure is the store's and is reported."""
    try:
        return read()
    except httpx.TransportError:
        time.sleep(RETRY_DELAY_S)
        return read()


def answered(read: Callable[[], T], failure: str = "the Chroma store did not answer") -> T:
    """`read()` sent once more after a transport failure (`read_again_once`), any other failure
    reported as the store's (`StoreUnavailableError`, "`failure`: …"); a filter Chroma rejects
    and a store already reported unavailable pass through as they are."""
    try:
        return read_again_once(read)
    except (InvalidFilterError, StoreUnavailableError):
        raise
    except Exception as exc:
        raise StoreUnavailableError(f"{failure}: {exc}") from exc


def build_where(filters: Filters | None) -> dict[str, Any] | None:
    """Translate ``{"doc_type": "event", "year": [2023, 2024]}`` into a Chroma ``where`` clause."""
    if not filters:
        return None
    clauses: list[dict[str, Any]] = []
    for key, value in filters.items():
        expected = FILTERABLE_FIELDS.get(key)
        if expected is None:
            allowed = ", ".join(sorted(FILTERABLE_FIELDS))
            raise InvalidFilterError(f"unknown filter {key!r}; allowed: {allowed}")
        values = list(value) if isinstance(value, list | tuple) else [value]
        if not values:
            raise InvalidFilterError(f"filter {key!r} has no values")
        for item in values:
            if not isinstance(item, expected) or isinstance(item, bool):
                raise InvalidFilterError(
                    f"filter {key!r} takes {expected.__name__} values, got {item!r}"
                )
        clauses.append({key: values[0]} if len(values) == 1 else {key: {"$in": values}})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def matches(chunk: Chunk, filters: Filters | None) -> bool:
    """Whether a chunk satisfies the filters (the same rules as `build_where`)."""
    if not filters:
        return True
    build_where(filters)
    for key, value in filters.items():
        allowed = list(value) if isinstance(value, list | tuple) else [value]
        if getattr(chunk, key) not in allowed:
            return False
    return True


class ChunkStore:
    """CRUD and similarity search over the chunk collection.

    A companion collection (``<name>__units``) holds the vectors of each chunk's sentences and list
    items, embedded at ingest time so that answering never embeds passage text; a second one
    (``<name>__reader``) holds the same units under the bi-encoder reader when one is used. Both
    are written and deleted together with the chunks they belong to.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: Any = None
        self._collection: Any = None
        self._units: Any = None
        self._reader: Any = None
        self._e5: Any = None
        self._e5_units: Any = None
        self._lock = threading.Lock()

    def _make_client(self) -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaClientSettings

        cfg = self._settings.chroma
        client_settings = ChromaClientSettings(anonymized_telemetry=False, allow_reset=True)
        try:
            if cfg.mode == "http":
                return chromadb.HttpClient(
                    host=cfg.host, port=cfg.port, ssl=cfg.ssl, settings=client_settings
                )
            path = self._settings.chroma_path
            path.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(path), settings=client_settings)
        except Exception as exc:
            where = (
                f"{cfg.host}:{cfg.port}" if cfg.mode == "http" else str(self._settings.chroma_path)
            )
            raise StoreUnavailableError(f"cannot open the Chroma store at {where}: {exc}") from exc

    def _open(self, name: str) -> Any:
        """Get or create a collection in cosine space (our vectors, never Chroma's embedder)."""
        if self._client is None:
            self._client = self._make_client()
        ef_search = self._settings.chroma.ef_search
        try:
            collection = self._client.get_or_create_collection(
                name,
                configuration={"hnsw": {"space": "cosine", "ef_search": ef_search}},
                embedding_function=None,
            )
        except Exception as exc:
            raise StoreUnavailableError(f"cannot open the collection {name!r}: {exc}") from exc
        # A collection made before the setting (or with another value) keeps its own: set it.
        hnsw = (getattr(collection, "configuration_json", None) or {}).get("hnsw") or {}
        if hnsw.get("ef_search") != ef_search:
            try:
                collection.modify(configuration={"hnsw": {"ef_search": ef_search}})
            except Exception as exc:  # a read-only store still answers, approximately
                log.warning("could not set ef_search on %r: %s", name, exc)
        return collection

    @property
    def collection(self) -> Any:
        """The chunk collection, created on first use."""
        if self._collection is None:
            with self._lock:
                if self._collection is None:
                    self._collection = self._open(self._settings.chroma.collection)
        return self._collection

    @property
    def units(self) -> Any:
        """The companion collection of unit vectors."""
        if self._units is None:
            with self._lock:
                if self._units is None:
                    self._units = self._open(f"{self._settings.chroma.collection}__units")
        return self._units

    @property
    def reader_units(self) -> Any:
        """The companion collection of unit vectors under the reader's embedder."""
        if self._reader is None:
            with self._lock:
                if self._reader is None:
                    self._reader = self._open(f"{self._settings.chroma.collection}__reader")
        return self._reader

    @property
    def multilingual(self) -> Any:
        """The companion collection of chunk vectors under the multilingual model (with the
        chunks' metadata, so that filters apply to its searches)."""
        if self._e5 is None:
            with self._lock:
                if self._e5 is None:
                    self._e5 = self._open(f"{self._settings.chroma.collection}__e5")
        return self._e5

    @property
    def multilingual_units(self) -> Any:
        """The companion collection of unit vectors under the multilingual model."""
        if self._e5_units is None:
            with self._lock:
                if self._e5_units is None:
                    self._e5_units = self._open(f"{self._settings.chroma.collection}__e5units")
        return self._e5_units

    def upsert_multilingual(
        self,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        units: Sequence[tuple[Chunk, TextUnit]],
        unit_vectors: np.ndarray,
        model: str,
    ) -> None:
        """Store chunks' and units' vectors under the multilingual `model` (stamped on both)."""
        if len(chunks) != len(vectors) or len(units) != len(unit_vectors):
            raise ValueError("one vector per chunk and per unit is required")
        batch = self._batch_size()
        for start in range(0, len(chunks), batch):
            part = chunks[start : start + batch]
            self.multilingual.upsert(
                ids=[c.id for c in part],
                metadatas=[{**c.metadata(), "chunk_id": c.id} for c in part],
                embeddings=vectors[start : start + batch].tolist(),
            )
        for start in range(0, len(units), batch):
            rows = units[start : start + batch]
            self.multilingual_units.upsert(
                ids=[f"{chunk.id}#{unit.index}" for chunk, unit in rows],
                metadatas=[
                    {"chunk_id": chunk.id, "index": unit.index, "source_path": chunk.source_path}
                    for chunk, unit in rows
                ],
                embeddings=unit_vectors[start : start + batch].tolist(),
            )
        for collection in (self.multilingual, self.multilingual_units):
            collection.modify(metadata={MULTILINGUAL_MODEL_KEY: model})

    def _multilingual_current(self, model: str) -> bool:
        metadata = self.multilingual.metadata or {}
        return metadata.get(MULTILINGUAL_MODEL_KEY) == model

    def multilingual_unit_vectors(
        self, chunk_ids: Sequence[str], model: str
    ) -> dict[tuple[str, int], np.ndarray]:
        """Stored multilingual vectors of the chunks' units (none when made by another model)."""
        if not self._multilingual_current(model):
            return {}
        return self._vectors_of(self.multilingual_units, chunk_ids)

    def multilingual_chunk_vectors(
        self, chunk_ids: Sequence[str], model: str
    ) -> dict[str, np.ndarray]:
        """Stored multilingual vectors of chunks by id (none when made by another model)."""
        if not chunk_ids or not self._multilingual_current(model):
            return {}
        result = answered(
            lambda: self.multilingual.get(ids=list(chunk_ids), include=["embeddings"])
        )
        vectors = result["embeddings"] if result["embeddings"] is not None else []
        return {
            str(cid): np.asarray(vector, dtype=np.float32)
            for cid, vector in zip(result["ids"], vectors, strict=True)
        }

    def has_language_other_than(self, code: str) -> bool:
        """Whether any chunk's language is known and is not `code` (an undetermined one, a
        name alone, is not counted: Chroma's `$ne` would match a missing key)."""
        others = [c for c in EU_LANGUAGES if c != code]
        found = answered(
            lambda: self.multilingual.get(where={"language": {"$in": others}}, limit=1, include=[])
        )
        return bool(found["ids"])

    def query_multilingual(
        self, vector: np.ndarray, k: int, model: str, filters: Filters | None = None
    ) -> list[tuple[str, float]]:
        """Ids of the `k` chunks nearest to `vector` under the multilingual model, with their
        cosine, best first (none when the store's multilingual vectors are another model's or
        absent: the store was built without them)."""
        if not self._multilingual_current(model):
            return []
        result = answered(
            lambda: self.multilingual.query(
                query_embeddings=[vector.tolist()],
                n_results=k,
                where=build_where(filters),
                include=["distances"],
            ),
            "the Chroma query failed",
        )
        pairs = zip(result["ids"][0], (result["distances"] or [[]])[0], strict=True)
        return sorted(((str(c), 1.0 - float(d)) for c, d in pairs), key=lambda p: (-p[1], p[0]))

    def upsert_units(
        self,
        rows: Sequence[tuple[Chunk, TextUnit]],
        vectors: np.ndarray,
        reader_vectors: np.ndarray | None = None,
        reader_model: str = "",
    ) -> None:
        """Store the vectors of chunks' units (ids ``<chunk id>#<unit index>``), and their reader
        vectors when given, made by `reader_model` (stamped on the reader collection)."""
        if len(rows) != len(vectors) or (
            reader_vectors is not None and len(rows) != len(reader_vectors)
        ):
            raise ValueError("one vector per unit is required")
        batch = self._batch_size()
        targets = [(self.units, vectors)]
        if reader_vectors is not None:
            targets.append((self.reader_units, reader_vectors))
        for start in range(0, len(rows), batch):
            part = rows[start : start + batch]
            ids = [f"{chunk.id}#{unit.index}" for chunk, unit in part]
            documents = [unit.text for _, unit in part]
            metadatas = [
                {"chunk_id": chunk.id, "index": unit.index, "source_path": chunk.source_path}
                for chunk, unit in part
            ]
            for collection, matrix in targets:
                collection.upsert(
                    ids=ids,
                    documents=documents,
                    metadatas=metadatas,
                    embeddings=matrix[start : start + batch].tolist(),
                )
        if reader_vectors is not None:
            self.reader_units.modify(metadata={READER_MODEL_KEY: reader_model})
        self._stamp()

    def unit_vectors(self, chunk_ids: Sequence[str]) -> dict[tuple[str, int], np.ndarray]:
        """Stored unit vectors of the given chunks, keyed by (chunk id, unit index)."""
        return self._vectors_of(self.units, chunk_ids)

    def reader_vectors(
        self, chunk_ids: Sequence[str], model: str
    ) -> dict[tuple[str, int], np.ndarray]:
        """Stored reader vectors of the given chunks' units, keyed by (chunk id, unit index); none
        when they were made by another reader than `model` (a reader changed or retrained since
        the last ingest: its units are then encoded on the spot until the store is rebuilt)."""
        metadata = self.reader_units.metadata or {}
        if metadata.get(READER_MODEL_KEY) != model:
            return {}
        return self._vectors_of(self.reader_units, chunk_ids)

    def _vectors_of(
        self, collection: Any, chunk_ids: Sequence[str]
    ) -> dict[tuple[str, int], np.ndarray]:
        if not chunk_ids:
            return {}
        result = answered(
            lambda: collection.get(
                where={"chunk_id": {"$in": list(chunk_ids)}},
                include=["metadatas", "embeddings"],
            )
        )
        vectors = result["embeddings"] if result["embeddings"] is not None else []
        return {
            (str(meta["chunk_id"]), int(meta["index"])): np.asarray(vector, dtype=np.float32)
            for meta, vector in zip(result["metadatas"] or [], vectors, strict=True)
        }

    def signature(self) -> tuple[int, str | None]:
        """Changes whenever the store's content changes: the chunk count and the revision token.

        Every write through this adapter stamps a new random token on the collection's metadata,
        so every process reading the same store (embedded, or several API workers on one Chroma
        server) sees a change without shared files; caches (the BM25 index, the document
        catalogue) rebuild when it differs from the one they were built for.
        """
        name = self._settings.chroma.collection
        cached = self.collection
        current = answered(lambda: self._client.get_collection(name, embedding_function=None))
        if current.id != cached.id:  # dropped and re-created by another process (a rebuild)
            with self._lock:
                self._collection, self._units, self._reader = current, None, None
                self._e5, self._e5_units = None, None
        metadata = current.metadata or {}
        return int(answered(current.count)), metadata.get(REVISION_KEY)

    def _stamp(self) -> None:
        """Mark the store as changed (a new revision token on the chunk collection)."""
        self.collection.modify(metadata={REVISION_KEY: uuid.uuid4().hex})

    def count(self) -> int:
        """Number of chunks stored."""
        return int(answered(self.collection.count))

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Insert or replace chunks with their vectors, in batches Chroma accepts."""
        if len(chunks) != len(vectors):
            raise ValueError("one vector per chunk is required")
        batch = self._batch_size()
        for start in range(0, len(chunks), batch):
            part = chunks[start : start + batch]
            self.collection.upsert(
                ids=[c.id for c in part],
                documents=[c.text for c in part],
                metadatas=[c.metadata() for c in part],
                embeddings=vectors[start : start + batch].tolist(),
            )
        self._stamp()

    def _batch_size(self) -> int:
        """Rows per write: Chroma's own limit, at most 1000."""
        _ = self.collection
        try:
            limit = int(self._client.get_max_batch_size())
        except Exception:
            limit = 1000
        return max(1, min(limit, 1000))

    def _get_all(self, collection: Any = None, **kwargs: Any) -> dict[str, list[Any]]:
        """`get` over every matching row of `collection` (default: the chunks), a page at a
        time: one unbounded get of a large collection fails inside Chroma ("too many SQL
        variables" at 100k chunks). A page the store cannot give is its 503 (`answered`)."""
        source = self.collection if collection is None else collection
        merged: dict[str, list[Any]] = {"ids": [], "documents": [], "metadatas": []}
        offset = 0
        while True:
            page = answered(partial(source.get, limit=READ_PAGE, offset=offset, **kwargs))
            ids = list(page["ids"])
            merged["ids"] += ids
            for field in ("documents", "metadatas"):
                merged[field] += list(page.get(field) or [])
            if len(ids) < READ_PAGE:
                return merged
            offset += READ_PAGE

    def _get_ids(self, ids: Sequence[str], include: list[str]) -> dict[str, list[Any]]:
        """`collection.get` by id, in batches of `READ_PAGE` ids (failures as in `_get_all`)."""
        merged: dict[str, list[Any]] = {
            "ids": [],
            "documents": [],
            "metadatas": [],
            "embeddings": [],
        }
        id_list = list(ids)
        for start in range(0, len(id_list), READ_PAGE):
            part = id_list[start : start + READ_PAGE]
            page = answered(partial(self.collection.get, ids=part, include=include))
            merged["ids"] += list(page["ids"])
            for field in ("documents", "metadatas", "embeddings"):
                values = page.get(field)
                merged[field] += list(values) if values is not None else []
        return merged

    def ids_where(self, where: dict[str, Any]) -> list[str]:
        """Ids of the chunks matching a metadata clause."""
        return list(self._get_all(where=where, include=[])["ids"])

    def delete_ids(self, ids: Iterable[str]) -> None:
        """Remove chunks by id (unknown ids are ignored)."""
        id_list = list(ids)
        for start in range(0, len(id_list), 500):
            part = id_list[start : start + 500]
            self.collection.delete(ids=part)
            self.units.delete(where={"chunk_id": {"$in": part}})
            self.reader_units.delete(where={"chunk_id": {"$in": part}})
            self.multilingual.delete(ids=part)
            self.multilingual_units.delete(where={"chunk_id": {"$in": part}})
        if id_list:
            self._stamp()

    def delete_orphan_vectors(self) -> int:
        """Remove the unit, reader and multilingual vectors of chunks the chunk collection does
        not hold (what a write or delete interrupted between collections leaves); returns how
        many rows there were."""
        stored = set(self._get_all(include=[])["ids"])
        removed = 0
        for collection in (self.units, self.reader_units, self.multilingual_units):
            rows = self._get_all(collection, include=["metadatas"])
            orphans = [
                rid
                for rid, meta in zip(rows["ids"], rows["metadatas"], strict=True)
                if (meta or {}).get("chunk_id") not in stored
            ]
            removed += self._delete_rows(collection, orphans)
        ids = self._get_all(self.multilingual, include=[])["ids"]
        removed += self._delete_rows(self.multilingual, [i for i in ids if i not in stored])
        if removed:
            self._stamp()
        return removed

    @staticmethod
    def _delete_rows(collection: Any, ids: Sequence[str]) -> int:
        for start in range(0, len(ids), 500):
            collection.delete(ids=list(ids[start : start + 500]))
        return len(ids)

    def delete_where(self, where: dict[str, Any]) -> int:
        """Remove every chunk matching a metadata clause; returns how many there were."""
        ids = self.ids_where(where)
        self.delete_ids(ids)
        return len(ids)

    def source_paths(self) -> set[str]:
        """The distinct `source_path` values in the store."""
        rows = self._get_all(include=["metadatas"])["metadatas"]
        return {str(m["source_path"]) for m in rows if m and "source_path" in m}

    def get(self, ids: Sequence[str]) -> dict[str, Chunk]:
        """Chunks by id (unknown ids are absent from the result)."""
        if not ids:
            return {}
        result = self._get_ids(ids, ["documents", "metadatas"])
        return {
            cid: Chunk.from_store(cid, text or "", meta or {})
            for cid, text, meta in zip(
                result["ids"], result["documents"] or [], result["metadatas"] or [], strict=True
            )
        }

    def all_chunks(self) -> list[Chunk]:
        """Every chunk in the store (for the lexical index)."""
        result = self._get_all(include=["documents", "metadatas"])
        return [
            Chunk.from_store(cid, text or "", meta or {})
            for cid, text, meta in zip(
                result["ids"], result["documents"] or [], result["metadatas"] or [], strict=True
            )
        ]

    def with_vectors(self, ids: Sequence[str]) -> list[tuple[Chunk, np.ndarray]]:
        """Chunks by id with their stored vectors."""
        if not ids:
            return []
        result = self._get_ids(ids, ["documents", "metadatas", "embeddings"])
        vectors = result["embeddings"]
        return [
            (Chunk.from_store(cid, text or "", meta or {}), np.asarray(vec, dtype=np.float32))
            for cid, text, meta, vec in zip(
                result["ids"],
                result["documents"] or [],
                result["metadatas"] or [],
                vectors,
                strict=True,
            )
        ]

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        """All chunks of a document, in reading order."""
        result = self._get_all(where={"doc_id": doc_id}, include=["documents", "metadatas"])
        chunks = [
            Chunk.from_store(cid, text or "", meta or {})
            for cid, text, meta in zip(
                result["ids"], result["documents"] or [], result["metadatas"] or [], strict=True
            )
        ]
        return sorted(chunks, key=lambda c: (c.page or 0, c.position))

    def query(
        self, vector: np.ndarray, k: int, filters: Filters | None = None
    ) -> list[ScoredChunk]:
        """The `k` chunks nearest to `vector`, best first; score = cosine similarity."""
        where = build_where(filters)
        result = answered(
            lambda: self.collection.query(
                query_embeddings=[vector.tolist()],
                n_results=k,
                where=where,
                include=["documents", "metadatas", "distances"],
            ),
            "the Chroma query failed",
        )
        ids = result["ids"][0]
        docs = (result["documents"] or [[]])[0]
        metas = (result["metadatas"] or [[]])[0]
        dists = (result["distances"] or [[]])[0]
        pairs = sorted(
            (
                (1.0 - float(dist), Chunk.from_store(cid, text or "", meta or {}))
                for cid, text, meta, dist in zip(ids, docs, metas, dists, strict=True)
            ),
            key=lambda pair: (-pair[0], pair[1].id),
        )
        return [ScoredChunk(chunk, score, rank) for rank, (score, chunk) in enumerate(pairs)]

    def reset(self) -> None:
        """Drop the collection (it is re-created empty on next use)."""
        _ = self.collection
        with self._lock:
            name = self._settings.chroma.collection
            try:
                existing = {
                    c if isinstance(c, str) else c.name for c in self._client.list_collections()
                }
                companions = ("__units", "__reader", "__e5", "__e5units")
                for collection in (name, *(name + c for c in companions)):
                    if collection in existing:
                        self._client.delete_collection(collection)
            except Exception as exc:
                raise StoreUnavailableError(f"cannot drop the collection: {exc}") from exc
            self._collection = None
            self._units = None
            self._reader = None
            self._e5 = None
            self._e5_units = None
