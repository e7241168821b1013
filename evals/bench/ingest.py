"""The ingest section: pipeline throughput against raw encoding, unchanged and changed re-ingests.

Throughput: a fresh store ingests a corpus through the real `Ingestor`, whose embedder records
every text it is given (chunks and their sentence units, whatever the pipeline embeds); the same
texts are then encoded in one raw `SentenceTransformer.encode` call, in the same run. Unchanged
re-ingest is timed in process and as a `cluster-assistant ingest` subprocess (wall clock, process
start included). In each benchmark store, one starter-corpus file is edited, re-ingested, restored
and re-ingested again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.embedder import Embedder, SentenceTransformerEmbedder
from assistant.settings import Settings
from assistant.storage.store import ChunkStore
from evals import real_policy
from evals.bench import sources as text_sources
from evals.bench.config import BenchConfig
from evals.bench.pool import ingestor, scoped
from evals.bench.stats import median
from evals.bench.stores import BuiltStore
from ingest.pipeline import Status

Log = Callable[[str], None]
EDIT = "\n\nThis sentence was added by the benchmark to time the re-ingest of one changed file.\n"


class RecordingEmbedder:
    """The real embedder, recording every text `embed` is given and the seconds spent in it."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self.texts: list[str] = []
        self.calls = 0
        self.seconds = 0.0

    @property
    def name(self) -> str:
        """The wrapped model's name (the ingest fingerprint depends on it)."""
        return self._inner.name

    def warm_up(self) -> None:
        """Load the wrapped model."""
        self._inner.warm_up()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed with the wrapped model, recording the texts and the time."""
        started = time.perf_counter()
        vectors = self._inner.embed(texts)
        self.seconds += time.perf_counter() - started
        self.texts += list(texts)
        self.calls += 1
        return vectors

    def count_tokens(self, text: str) -> int:
        """The wrapped model's token count (chunking uses it)."""
        return self._inner.count_tokens(text)


def cli_command() -> list[str]:
    """`cluster-assistant` of this environment (or `python -m cli` when the script is absent)."""
    script = Path(sys.executable).with_name("cluster-assistant")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "cli"]


def raw_model(settings: Settings) -> tuple[Any, float]:
    """The configured model without the pipeline around it, and the seconds loading it took: a
    plain `SentenceTransformer` for the torch backend, the exported ONNX graph otherwise."""
    embedder = SentenceTransformerEmbedder(settings.embedding)
    started = time.perf_counter()
    if embedder.backend == "torch":
        from sentence_transformers import SentenceTransformer

        model: Any = SentenceTransformer(embedder.model_location, device=settings.embedding.device)
    else:
        embedder.warm_up()
        model = _RawOnnx(embedder)
    return model, time.perf_counter() - started


class _RawOnnx:
    """`encode` straight on the ONNX graph (no question cache, no micro-batching)."""

    def __init__(self, embedder: SentenceTransformerEmbedder) -> None:
        self._encoder = embedder.onnx_encoder

    def encode(self, texts: Sequence[str], batch_size: int = 32, **_: Any) -> Any:
        return self._encoder.encode(list(texts), batch_size=batch_size)


def raw_encode_seconds(model: Any, settings: Settings, texts: Sequence[str]) -> float:
    """Seconds of one `encode` call over `texts`, as the embedder calls it (batch, normalised)."""
    model.encode(["warm up"], normalize_embeddings=True, show_progress_bar=False)
    started = time.perf_counter()
    model.encode(
        list(texts),
        batch_size=settings.embedding.batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return time.perf_counter() - started


def _corpus(name: str, config: BenchConfig, bench_dir: Path) -> Path | None:
    if name == text_sources.STARTER:
        folder = bench_dir / "ingest" / "text" / name
        files = text_sources.starter_files(config.ingest_files)
        text_sources.copy_files(files, text_sources.CORPUS_DIR, folder)
        return folder
    if name == real_policy.NAME and real_policy.available(real_policy.DEFAULT_DIR):
        return real_policy.DEFAULT_DIR
    return None


def subprocess_ingest(folder: Path, data_dir: Path) -> dict[str, Any]:
    """Wall seconds of `cluster-assistant ingest FOLDER` in a new process, and whether it was a
    no-op (exit 0, nothing embedded)."""
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir)}
    started = time.perf_counter()
    done = subprocess.run(
        [*cli_command(), "ingest", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    output = done.stdout + done.stderr
    return {
        "wall_s": round(wall, 3),
        "exit_code": done.returncode,
        "no_op": done.returncode == 0 and "0 chunks embedded" in output,
    }


def throughput(
    name: str,
    folder: Path,
    config: BenchConfig,
    settings: Settings,
    embedder: Embedder,
    model: Any,
    bench_dir: Path,
) -> dict[str, Any]:
    """Ingest `folder` into a fresh store; raw-encode the same texts; re-ingest it unchanged."""
    data_dir = bench_dir / "ingest" / name
    shutil.rmtree(data_dir, ignore_errors=True)
    local = scoped(settings, data_dir)
    recorder = RecordingEmbedder(embedder)
    report = ingestor(local, recorder, ChunkStore(local)).run([folder])
    chunks = report.chunks_embedded
    raw_s = raw_encode_seconds(model, settings, recorder.texts)
    pipeline_s = report.seconds
    in_process = [
        ingestor(local, embedder, ChunkStore(local)).run([folder]).seconds
        for _ in range(config.subprocess_runs)
    ]
    walls = [subprocess_ingest(folder, data_dir) for _ in range(config.subprocess_runs)]
    return {
        "corpus": name,
        "files_indexed": report.count(Status.INDEXED),
        "files_failed": report.count(Status.FAILED),
        "chunks": chunks,
        "texts_embedded": len(recorder.texts),
        "unit_texts": len(recorder.texts) - chunks,
        "embed_calls": recorder.calls,
        "pipeline_s": round(pipeline_s, 3),
        "pipeline_embed_s": round(recorder.seconds, 3),
        "pipeline_other_s": round(pipeline_s - recorder.seconds, 3),
        "pipeline_chunks_per_s": round(chunks / pipeline_s, 2) if pipeline_s else None,
        "raw_s": round(raw_s, 3),
        "raw_chunks_per_s": round(chunks / raw_s, 2) if raw_s else None,
        "raw_texts_per_s": round(len(recorder.texts) / raw_s, 1) if raw_s else None,
        "ratio": round(raw_s / pipeline_s, 3) if pipeline_s else None,
        "unchanged_in_process_s": [round(s, 3) for s in in_process],
        "unchanged_in_process_median_s": round(median(in_process), 3),
        "unchanged_subprocess": walls,
        "unchanged_wall_median_s": round(median([w["wall_s"] for w in walls]), 3),
        "unchanged_wall_ok": all(w["no_op"] for w in walls),
    }


def changed_file(built: BuiltStore, settings: Settings, embedder: Embedder) -> dict[str, Any]:
    """In a benchmark store: re-ingest its starter files unchanged, with one file edited, and
    with it restored (the store ends as it began)."""
    files = [Path(key) for key in built.starter_files]
    markdown = [p for p in files if p.suffix == ".md" and p.is_file()]
    if not markdown:
        return {"store": built.label, "skipped": "the store holds no starter-corpus Markdown file"}
    target = markdown[0]
    local = built.settings(settings)
    store = ChunkStore(local)

    def ingest() -> tuple[float, int, bool]:
        report = ingestor(local, embedder, store).run(files)
        steady = all(o.status in (Status.UNCHANGED, Status.INDEXED) for o in report.outcomes)
        return report.seconds, report.chunks_embedded, steady

    original = target.read_bytes()
    unchanged_s, unchanged_embedded, steady = ingest()
    try:
        target.write_bytes(original + EDIT.encode())
        changed_s, changed_chunks, _ = ingest()
    finally:
        target.write_bytes(original)
    restored_s, restored_chunks, _ = ingest()
    return {
        "store": built.label,
        "store_chunks": built.chunks,
        "file": target.name,
        "files_checked": len(files),
        "unchanged_s": round(unchanged_s, 3),
        "unchanged_in_step": steady and unchanged_embedded == 0,
        "changed_s": round(changed_s, 3),
        "changed_chunks": changed_chunks,
        "restored_s": round(restored_s, 3),
        "restored_chunks": restored_chunks,
    }


def run(
    config: BenchConfig,
    settings: Settings,
    embedder: Embedder,
    stores: Sequence[BuiltStore],
    bench_dir: Path,
    log: Log,
) -> dict[str, Any]:
    """The ingest section's figures."""
    model, load_s = raw_model(settings)
    corpora = []
    for name in config.ingest_corpora:
        folder = _corpus(name, config, bench_dir)
        if folder is None:
            corpora.append({"corpus": name, "skipped": "not present on this machine"})
            continue
        log(f"ingest: {name} through the pipeline, then raw encode of the same texts")
        corpora.append(throughput(name, folder, config, settings, embedder, model, bench_dir))
    changed = []
    for built in stores:
        log(f"ingest: one changed file in the {built.label} store")
        changed.append(changed_file(built, settings, embedder))
    return {"model_load_s": round(load_s, 3), "corpora": corpora, "changed_file": changed}
