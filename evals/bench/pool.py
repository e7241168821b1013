"""The text pool: every real source ingested once through the real pipeline, read back with vectors.

Stores of any size are assembled from it (`stores`) without embedding the same text again. It is
cached under DATA_DIR/bench/pool-<key>, the key a hash of the source files and the ingest
fingerprint (model, chunker and store layout versions, chunking settings: the rule by which the
product itself re-ingests), so a rerun only reads it back.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from assistant.embedder import Embedder
from assistant.multilingual import E5Embedder
from assistant.settings import Settings
from assistant.storage.store import ChunkStore
from assistant.text import TextUnit, chunk_units
from assistant.types import Chunk
from evals.bench import sources as text_sources
from evals.bench.sources import Source
from ingest.manifest import FileEntry, Manifest
from ingest.pipeline import Ingestor, Status

POOL_VERSION = "2"
"""Bump it when what the pool records changes."""
PDF_TIMEOUT_S = 600.0
Log = Callable[[str], None]


@dataclass
class PoolChunk:
    """A real chunk with its vector and its units' vectors, as the ingest stored them."""

    chunk: Chunk
    vector: np.ndarray
    units: list[tuple[TextUnit, np.ndarray]]
    source: str


@dataclass
class PoolFile:
    """One ingested file: its manifest entry and the source it belongs to."""

    key: str
    entry: FileEntry
    source: str


@dataclass
class Pool:
    """All real chunks, by id, and the files that produced them, in the order stores take them."""

    key: str
    folder: Path
    fingerprint: str
    sources: list[Source]
    files: list[PoolFile]
    chunks: dict[str, PoolChunk]
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def starter_folder(self) -> Path:
        """The copy of the starter corpus the pool ingested (and stores' manifests point to)."""
        return next(s.folder for s in self.sources if s.name == text_sources.STARTER)

    def counts(self) -> dict[str, int]:
        """Chunks per source."""
        found: dict[str, int] = {}
        for item in self.chunks.values():
            found[item.source] = found.get(item.source, 0) + 1
        return found


_READERS: dict[tuple[str, str], Embedder | None] = {}


def ingestor(settings: Settings, embedder: Embedder, store: ChunkStore) -> Ingestor:
    """An ingestor as the product builds one (`cluster-assistant ingest`): with the reader's
    embedder when the reader is a bi-encoder, so that a store the benchmark builds and one the
    command line re-ingests share a fingerprint. The reader is loaded once per process."""
    key = (str(settings.reader.path), settings.embedding.backend)
    if key not in _READERS:
        from assistant.container import Container

        _READERS[key] = Container(settings).reader_embedder
    multilingual = _multilingual() if settings.language.multilingual else None
    return Ingestor(settings, embedder, store, _READERS[key], multilingual)


@cache
def _multilingual() -> E5Embedder:
    """The multilingual model, loaded once per process (as the command line's ingest uses it)."""
    return E5Embedder()


def scoped(settings: Settings, data_dir: Path) -> Settings:
    """`settings` writing under `data_dir` (its own Chroma store and manifest)."""
    return settings.model_copy(update={"data_dir": data_dir})


def _key(sources: Sequence[Source], fingerprint: str) -> str:
    sha = hashlib.sha256(f"{POOL_VERSION}|{fingerprint}".encode())
    for source in sources:
        sha.update(source.digest().encode())
    return sha.hexdigest()[:12]


def ensure_pool(
    settings: Settings,
    embedder: Embedder,
    bench_dir: Path,
    starter_limit: int | None,
    real: bool,
    log: Log,
) -> Pool:
    """The pool for these sources, built by ingesting them unless a finished one is cached."""
    probe = ingestor(settings, embedder, ChunkStore(settings))
    fingerprint = probe.fingerprint
    key = _key(text_sources.available(bench_dir, starter_limit, real), fingerprint)
    folder = bench_dir / f"pool-{key}"
    sources = text_sources.available(folder / "text", starter_limit, real)
    marker = folder / "pool.json"
    text_sources.materialise(sources)  # also restores the starter copy after an interrupted run
    if marker.is_file():
        log(f"text pool {key}: cached")
        info = json.loads(marker.read_text(encoding="utf-8"))
    else:
        log(f"text pool {key}: ingesting {', '.join(s.name for s in sources)} (once)")
        store_dir = folder / "store"  # an interrupted build resumes: the ingest is incremental
        # A busy machine must not make a big PDF time out and leave the pool without it.
        patient = settings.ingest.model_copy(
            update={"pdf_timeout_s": max(settings.ingest.pdf_timeout_s, PDF_TIMEOUT_S)}
        )
        local = scoped(settings, store_dir).model_copy(update={"ingest": patient})
        started = time.perf_counter()
        report = ingestor(local, embedder, ChunkStore(local)).run([s.folder for s in sources])
        info = {
            "key": key,
            "seconds": round(time.perf_counter() - started, 1),
            "files_indexed": report.count(Status.INDEXED),
            "files_failed": report.count(Status.FAILED),
            "files_duplicate": report.count(Status.DUPLICATE),
            "chunks_embedded": report.chunks_embedded,
            "sources": [s.name for s in sources],
        }
        marker.write_text(json.dumps(info, indent=1), encoding="utf-8")
    return _read(key, folder, fingerprint, sources, settings, info)


PAGE = 5000
"""Rows per read: one unbounded `get` fails past ~32k rows (SQLite's variable limit)."""


def _get_all(collection: Any) -> dict[str, list[Any]]:
    """Every row of a Chroma collection with documents, metadata and vectors, read in pages."""
    found: dict[str, list[Any]] = {"ids": [], "documents": [], "metadatas": [], "embeddings": []}
    offset = 0
    while True:
        page = collection.get(
            include=["documents", "metadatas", "embeddings"], limit=PAGE, offset=offset
        )
        if not page["ids"]:
            return found
        for key in found:
            found[key] += list(page[key] if page[key] is not None else [])
        offset += len(page["ids"])


def _read(
    key: str,
    folder: Path,
    fingerprint: str,
    sources: list[Source],
    settings: Settings,
    info: dict[str, Any],
) -> Pool:
    local = scoped(settings, folder / "store")
    store = ChunkStore(local)
    manifest = Manifest.load(local.manifest_path)
    rank = {name: i for i, name in enumerate(text_sources.ORDER)}
    files = sorted(
        (
            PoolFile(k, entry, text_sources.source_of(k, sources))
            for k, entry in manifest.files.items()
            if entry.status == "indexed" and entry.chunk_ids
        ),
        key=lambda f: (rank.get(f.source, len(rank)), f.key),
    )
    got = _get_all(store.collection)
    unit_rows = _get_all(store.units)
    stored_units: dict[tuple[str, int], np.ndarray] = {}
    for meta, vector in zip(unit_rows["metadatas"], unit_rows["embeddings"], strict=True):
        stored_units[(str(meta["chunk_id"]), int(meta["index"]))] = np.asarray(
            vector, dtype=np.float32
        )
    source_by_id = {cid: f.source for f in files for cid in f.entry.chunk_ids}
    chunks: dict[str, PoolChunk] = {}
    for cid, text, meta, vector in zip(
        got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
    ):
        chunk = Chunk.from_store(cid, text or "", meta or {})
        units = [
            (unit, stored_units[(cid, unit.index)])
            for unit in chunk_units(chunk.text)
            if (cid, unit.index) in stored_units
        ]
        chunks[cid] = PoolChunk(
            chunk, np.asarray(vector, dtype=np.float32), units, source_by_id.get(cid, "other")
        )
    return Pool(key, folder, manifest.fingerprint or fingerprint, sources, files, chunks, info)
