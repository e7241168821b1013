"""Stores of a given size for the query and service sections, cached by size.

A store takes whole real files in the pool's order (starter corpus, real-policy, pdf-stress,
ClapNQ) while they fit, then fills up with recombined chunks (`synthetic`). Vectors are the pool's:
nothing real is embedded again, and a recombined unit is embedded only when sentence splitting
does not give back the sentence it was made from. The manifest lists every file, so the real
ingest pipeline sees the store as in step (the changed-file figure runs it). A store is cached under
DATA_DIR/bench/stores/<size>-<key> and reused while the pool and this module's version match.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.embedder import Embedder
from assistant.settings import Settings
from assistant.storage.store import ChunkStore
from assistant.text import TextUnit
from assistant.types import Chunk
from evals.bench import synthetic
from evals.bench.config import STARTER
from evals.bench.pool import Pool, PoolFile, scoped
from ingest.manifest import FileEntry, Manifest

STORE_VERSION = "1"
BATCH = 1000
PROGRESS_EVERY = 10_000
Log = Callable[[str], None]


@dataclass
class BuiltStore:
    """A store ready to query: where it is and what it holds."""

    label: str
    chunks: int
    data_dir: Path
    real_chunks: int
    synthetic_chunks: int
    units: int
    by_source: dict[str, int]
    build_seconds: float
    reembedded_units: int
    cached: bool = False
    starter_files: list[str] = field(default_factory=list)
    """Keys of the starter-corpus files the store holds (the changed-file figure edits one)."""

    def settings(self, base: Settings) -> Settings:
        """`base` pointed at this store."""
        return scoped(base, self.data_dir)

    def as_json(self) -> dict[str, Any]:
        """What the results file records about the store."""
        data = asdict(self)
        data["data_dir"] = str(self.data_dir)
        return data


def _pick_files(pool: Pool, label: str) -> tuple[list[PoolFile], int]:
    """The real files a store of `label` takes, and its size in chunks."""
    if label == STARTER:
        files = [f for f in pool.files if f.source == STARTER]
        return files, sum(len(f.entry.chunk_ids) for f in files)
    size = int(label)
    taken: list[PoolFile] = []
    total = 0
    for item in pool.files:
        n = len(item.entry.chunk_ids)
        if total + n <= size:
            taken.append(item)
            total += n
    return taken, size


def _key(pool: Pool, label: str, seed: int) -> str:
    text = f"{STORE_VERSION}|{pool.key}|{label}|{seed}"
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def ensure_store(
    label: str,
    pool: Pool,
    settings: Settings,
    embedder: Embedder,
    bench_dir: Path,
    seed: int,
    log: Log,
) -> BuiltStore:
    """The store of `label` (`starter` or a chunk count), built unless a finished one is cached."""
    folder = bench_dir / "stores" / f"{label}-{_key(pool, label, seed)}"
    marker = folder / "bench-store.json"
    if marker.is_file():
        data = json.loads(marker.read_text(encoding="utf-8"))
        data["data_dir"] = folder
        data["cached"] = True
        built = BuiltStore(**data)
        log(f"store {label}: cached ({built.chunks} chunks, built in {built.build_seconds:.0f} s)")
        return built
    shutil.rmtree(folder, ignore_errors=True)
    files, size = _pick_files(pool, label)
    log(
        f"store {label}: building {size} chunks ({sum(len(f.entry.chunk_ids) for f in files)} real)"
    )
    started = time.perf_counter()
    local = scoped(settings, folder)
    store = ChunkStore(local)
    writer = _Writer(store, embedder)
    by_source: dict[str, int] = {}
    for item in files:
        for cid in item.entry.chunk_ids:
            real = pool.chunks[cid]
            writer.add(
                real.chunk, real.vector, [u for u, _ in real.units], [v for _, v in real.units]
            )
        by_source[item.source] = by_source.get(item.source, 0) + len(item.entry.chunk_ids)
    real_total = writer.chunks_written + writer.pending
    fill = size - real_total
    manifest = Manifest(fingerprint=pool.fingerprint, files={f.key: f.entry for f in files})
    if fill > 0:
        by_source["synthetic"] = fill
        for n, made in enumerate(synthetic.generate(pool, fill, seed), start=1):
            writer.add(made.chunk, made.vector, made.units, made.unit_vectors)
            entry = manifest.files.setdefault(
                made.chunk.source_path, FileEntry("synthetic", made.chunk.doc_id, "md")
            )
            entry.chunk_ids.append(made.chunk.id)
            if n % PROGRESS_EVERY == 0:
                spent = time.perf_counter() - started
                log(f"store {label}: {real_total + n}/{size} chunks ({spent:.0f} s)")
    writer.flush()
    manifest.save(local.manifest_path)
    built = BuiltStore(
        label=label,
        chunks=store.count(),
        data_dir=folder,
        real_chunks=real_total,
        synthetic_chunks=max(fill, 0),
        units=writer.units_written,
        by_source=by_source,
        build_seconds=round(time.perf_counter() - started, 1),
        reembedded_units=writer.reembedded,
        starter_files=[f.key for f in files if f.source == STARTER],
    )
    data = built.as_json()
    data.pop("data_dir")
    data.pop("cached")
    marker.write_text(json.dumps(data, indent=1), encoding="utf-8")
    log(f"store {label}: built in {built.build_seconds:.0f} s")
    return built


class _Writer:
    """Buffers chunks and units and writes them in batches (units first, as the ingest does)."""

    def __init__(self, store: ChunkStore, embedder: Embedder) -> None:
        self._store = store
        self._embedder = embedder
        self._chunks: list[Chunk] = []
        self._vectors: list[np.ndarray] = []
        self._units: list[tuple[Chunk, TextUnit]] = []
        self._unit_vectors: list[np.ndarray | None] = []
        self.chunks_written = 0
        self.units_written = 0
        self.reembedded = 0

    @property
    def pending(self) -> int:
        """Chunks buffered, not written yet."""
        return len(self._chunks)

    def add(
        self,
        chunk: Chunk,
        vector: np.ndarray,
        units: list[TextUnit],
        unit_vectors: list[np.ndarray] | list[np.ndarray | None],
    ) -> None:
        """Buffer one chunk with its units; write when the batch is full."""
        self._chunks.append(chunk)
        self._vectors.append(vector)
        self._units += [(chunk, unit) for unit in units]
        self._unit_vectors += list(unit_vectors)
        if len(self._chunks) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Write what is buffered; embed the units that have no vector yet."""
        if not self._chunks:
            return
        missing = [i for i, v in enumerate(self._unit_vectors) if v is None]
        if missing:
            fresh = self._embedder.embed([self._units[i][1].text for i in missing])
            for i, vector in zip(missing, fresh, strict=True):
                self._unit_vectors[i] = vector
            self.reembedded += len(missing)
        if self._units:
            matrix = np.vstack([v for v in self._unit_vectors if v is not None])
            self._store.upsert_units(self._units, matrix)
        self._store.upsert(self._chunks, np.vstack(self._vectors))
        self.chunks_written += len(self._chunks)
        self.units_written += len(self._units)
        self._chunks, self._vectors, self._units, self._unit_vectors = [], [], [], []
