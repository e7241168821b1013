"""One `serve` process against `serve-cluster --workers N` (Chroma server, Redis) on this machine.

Both serve the configured corpus from a fresh data dir under DATA_DIR/bench/scaleout (the single
process ingests it first; the cluster ingests it through its Chroma server while starting), with
the question cache off and no rate limit, and answer the benchmark's questions from closed-loop
clients at each concurrency level. It says when adding workers pays on this machine.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.settings import Settings
from evals.bench.ingest import cli_command
from evals.bench.query import questions
from evals.bench.service import HOST, free_port, load

READY_TIMEOUT_S = 600.0
Log = Callable[[str], None]


def _wait_ready(port: int, process: subprocess.Popen[bytes]) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < READY_TIMEOUT_S:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/readyz", timeout=2) as reply:
                if reply.status == 200:
                    return time.perf_counter() - started
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"not ready within {READY_TIMEOUT_S:.0f} s")


def _measure(
    label: str,
    command: list[str],
    data_dir: Path,
    port: int,
    levels: Sequence[int],
    requests: int,
    seconds: float,
    log: Log,
) -> dict[str, Any]:
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(data_dir),
        "ASSISTANT_API__RATE_LIMIT": "",
        "ASSISTANT_EMBEDDING__QUERY_CACHE": "0",
    }
    with (data_dir / f"{label}.log").open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            ready = _wait_ready(port, process)
            asked = questions()
            load(port, asked, max(levels), 4 * max(levels), seconds)  # every worker warm
            results = [load(port, asked, level, requests, seconds) for level in levels]
        finally:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
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
    port = free_port()
    single = [*cli_command(), "serve", "--host", HOST, "--port", str(port)]
    found = [_measure("serve", single, single_dir, port, levels, requests, seconds, log)]
    port = free_port()
    cluster = [*cli_command(), "serve-cluster", "--workers", str(workers), "--port", str(port)]
    cluster += ["--chroma-port", str(free_port())]
    label = f"serve-cluster --workers {workers}"
    found.append(_measure(label, cluster, cluster_dir, port, levels, requests, seconds, log))
    return found
