"""One `serve` process against `serve-cluster --workers N` (Chroma server, Redis) on this machine.

Both serve the configured corpus from a fresh data dir under DATA_DIR/bench/scaleout (the single
process ingests it first; the cluster ingests it through its Chroma server while starting), with
the question cache off and no rate limit, and answer the benchmark's questions from closed-loop
clients at each concurrency level. It says when adding workers pays on this machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.settings import Settings
from evals.bench.ingest import cli_command
from evals.bench.query import questions
from evals.bench.service import Server, free_port, load

READY_TIMEOUT_S = 600.0
Log = Callable[[str], None]
NO_CACHE_NO_LIMIT = {"ASSISTANT_API__RATE_LIMIT": "", "ASSISTANT_EMBEDDING__QUERY_CACHE": "0"}


def _measure(
    label: str,
    args: list[str],
    data_dir: Path,
    levels: Sequence[int],
    requests: int,
    seconds: float,
    log: Log,
) -> dict[str, Any]:
    server = Server(data_dir, data_dir / f"{args[0]}.log", NO_CACHE_NO_LIMIT, args)
    try:
        ready = server.wait_ready(READY_TIMEOUT_S)
        asked = questions()
        load(server.port, asked, max(levels), 4 * max(levels), seconds)  # every worker warm
        results = [load(server.port, asked, level, requests, seconds) for level in levels]
    finally:
        server.stop()
    for r in results:
        log(
            f"scale-out: {label} c={r['concurrency']}: {r['answered_per_s']} req/s, "
            f"p95 {r['latency_ms'].get('p95')} ms, {r['errors']} errors"
        )
    return {"setup": label, "ready_s": round(ready, 2), "levels": results}


def compare(
    settings: Settings,
    workers: int,
    levels: Sequence[int] = (1, 4, 16),
    requests: int = 400,
    seconds: float = 30.0,
    log: Log = print,
) -> list[dict[str, Any]]:
    """The single process, then the cluster with `workers` workers; one result per setup."""
    folder = settings.data_dir / "bench" / "scaleout"
    shutil.rmtree(folder, ignore_errors=True)
    single_dir, cluster_dir = folder / "single", folder / "cluster"
    shared = (settings.data_dir / "models").resolve()
    shared.mkdir(parents=True, exist_ok=True)
    for data_dir in (single_dir, cluster_dir):
        data_dir.mkdir(parents=True)
        (data_dir / "models").symlink_to(shared, target_is_directory=True)
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(single_dir)}
    subprocess.run([*cli_command(), "ingest"], env=env, check=True, capture_output=True)
    cluster = ["serve-cluster", "--workers", str(workers), "--chroma-port", str(free_port())]
    return [
        _measure("serve", ["serve"], single_dir, levels, requests, seconds, log),
        _measure(" ".join(cluster[:3]), cluster, cluster_dir, levels, requests, seconds, log),
    ]
