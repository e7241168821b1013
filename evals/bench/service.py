"""The service section: `cluster-assistant serve` on loopback under concurrent `/v1/ask` load.

Per store: start-to-ready (process spawn to the first 200 of `/readyz`, which uvicorn only answers
after the warm-up), server RSS once ready and its peak under load (psutil), then for each
concurrency level closed-loop clients (one keep-alive connection each) ask the benchmark questions
until the level's request count or time is used up. Answered means 200 with an answer; anything
else is an error, counted and shown with a sample. The rate limit is raised for the bench server.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.settings import Settings
from evals.bench.config import BenchConfig
from evals.bench.ingest import cli_command
from evals.bench.query import WARM_ROUNDS, WARM_UP, Question
from evals.bench.stats import summarize
from evals.bench.stores import BuiltStore

Log = Callable[[str], None]
HOST = "127.0.0.1"
RATE_LIMIT = "1000000/second"
REQUEST_TIMEOUT_S = 60.0


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _psutil() -> Any:
    try:
        import psutil
    except ImportError as exc:
        raise RuntimeError("the service benchmark needs psutil: pip install -e '.[bench]'") from exc
    return psutil


class Server:
    """A `cluster-assistant serve` (or `serve-cluster`: `args`) subprocess over one data dir,
    its log in a file. It runs in a session of its own, so that stopping it reaches every
    process it started (as Ctrl-C in a terminal does)."""

    def __init__(
        self,
        data_dir: Path,
        log_path: Path,
        extra_env: dict[str, str],
        args: Sequence[str] = ("serve",),
    ) -> None:
        self.port = free_port()
        self.log_path = log_path
        self.name = args[0]
        env = {
            **os.environ,
            "ASSISTANT_DATA_DIR": str(data_dir),
            "ASSISTANT_API__RATE_LIMIT": RATE_LIMIT,
            **extra_env,
        }
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("wb")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [*cli_command(), *args, "--host", HOST, "--port", str(self.port)],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.handle = _psutil().Process(self.process.pid)

    def wait_ready(self, timeout_s: float) -> float:
        """Seconds from spawn to the first 200 of /readyz; RuntimeError if it exits or times out."""
        deadline = self.started + timeout_s
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}: {self.tail()}"
                )
            conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
            try:
                conn.request("GET", "/readyz")
                if conn.getresponse().status == 200:
                    return time.perf_counter() - self.started
            except (OSError, http.client.HTTPException):
                pass
            finally:
                conn.close()
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not ready after {timeout_s:.0f} s: {self.tail()}")

    def rss_mb(self) -> float:
        """Resident memory of the server process, in MiB."""
        return float(self.handle.memory_info().rss) / 2**20

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the server has used."""
        times = self.handle.cpu_times()
        return float(times.user + times.system)

    def tail(self, chars: int = 1500) -> str:
        """The end of the server's log."""
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]

    def stop(self) -> None:
        """SIGINT to its session (uvicorn's graceful stop), then kill it after 15 s."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self._log.close()


STARTUP_PROBE = """
import time
begun = time.time()
t0 = time.perf_counter()
import json
import cli.main, uvicorn, api.app
t1 = time.perf_counter()
from assistant.cli import offline_container
container = offline_container()
container.embedder.warm_up()
t2 = time.perf_counter()
container.assistant.warm_up()
container.documents.count()
t3 = time.perf_counter()
print(json.dumps({"begun": begun, "imports_s": t1 - t0, "model_s": t2 - t1, "warm_up_s": t3 - t2}))
"""
"""What `serve` does before uvicorn listens, phase by phase, in a process of its own: import the
command line and the app, load the model, warm the stages (BM25 index, store, catalogue)."""


def startup_phases(built: BuiltStore, env: dict[str, str]) -> dict[str, float] | None:
    """Seconds per start-up phase over `built` (`interpreter_s`: spawn to the probe's first
    line); None when the probe fails."""
    full_env = {**os.environ, **env, "ASSISTANT_DATA_DIR": str(built.data_dir)}
    spawned = time.time()
    done = subprocess.run(
        [sys.executable, "-c", STARTUP_PROBE], env=full_env, capture_output=True, text=True
    )
    try:
        phases: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
    phases["interpreter_s"] = max(0.0, phases.pop("begun") - spawned)
    return {k: round(v, 2) for k, v in phases.items()}


def _body(question: Question) -> bytes:
    history = [{"role": t.role, "content": t.content} for t in question.history]
    return json.dumps({"question": question.text, "history": history}).encode()


def load(
    port: int,
    questions: Sequence[Question],
    concurrency: int,
    max_requests: int,
    max_seconds: float,
) -> dict[str, Any]:
    """`concurrency` closed-loop clients asking until `max_requests` are sent or time is up."""
    lock = threading.Lock()
    issued = 0
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    deadline = started + max_seconds
    finished_at = [started]

    def client() -> None:
        nonlocal issued
        conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
        while True:
            with lock:
                if issued >= max_requests or time.perf_counter() >= deadline:
                    break
                n = issued
                issued += 1
            body = _body(questions[n % len(questions)])
            sent = time.perf_counter()
            try:
                conn.request("POST", "/v1/ask", body, {"content-type": "application/json"})
                response = conn.getresponse()
                payload = response.read()
                ok = response.status == 200 and b'"answer"' in payload
                problem = None if ok else f"{response.status}: {payload[:200]!r}"
            except (OSError, http.client.HTTPException) as exc:
                problem = f"{type(exc).__name__}: {exc}"
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
            done = time.perf_counter()
            with lock:
                if problem is None:
                    latencies.append((done - sent) * 1000)
                else:
                    errors.append(problem)
                finished_at[0] = max(finished_at[0], done)
        conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = finished_at[0] - started
    return {
        "concurrency": concurrency,
        "requests": len(latencies) + len(errors),
        "answered": len(latencies),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:3],
        "seconds": round(elapsed, 3),
        "answered_per_s": round(len(latencies) / elapsed, 2) if elapsed > 0 else 0.0,
        "latency_ms": summarize(latencies),
    }


class _Peak:
    """Samples the server's RSS every 0.2 s in a thread; `stop()` returns the peak (MiB)."""

    def __init__(self, server: Server) -> None:
        self._server = server
        self._peak = server.rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            try:
                self._peak = max(self._peak, self._server.rss_mb())
            except Exception:  # the process may be gone; the peak so far stands
                return

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self._peak


def share_models(built: BuiltStore, settings: Settings) -> None:
    """Point the store's `models` folder (exported ONNX models) at the main data dir's, so a
    server over a benchmark store starts as one over a data dir used before: nothing to export."""
    shared = (settings.data_dir / "models").resolve()
    shared.mkdir(parents=True, exist_ok=True)
    link = built.data_dir / "models"
    if not link.exists() and not link.is_symlink():
        link.symlink_to(shared, target_is_directory=True)


def measure_store(
    built: BuiltStore,
    config: BenchConfig,
    settings: Settings,
    questions: Sequence[Question],
    env: dict[str, str],
    log: Log,
) -> dict[str, Any]:
    """Start a server over `built`, time start-to-ready, load it at each level, stop it."""
    share_models(built, settings)
    logs = settings.data_dir / "bench" / "logs" / f"serve-{built.label}.log"
    server = Server(built.data_dir, logs, env)
    try:
        ready_s = server.wait_ready(config.serve_timeout_s)
        rss_ready = server.rss_mb()
        log(f"service: {built.label} store ready in {ready_s:.1f} s, RSS {rss_ready:.0f} MiB")
        warm = [Question(f"warm-{i}", text, ()) for i, text in enumerate(WARM_UP)]
        load(server.port, warm, 1, WARM_ROUNDS * len(warm), config.seconds)
        peak = _Peak(server)
        levels = []
        for level in config.concurrency:
            cpu_before = server.cpu_s()
            result = load(server.port, questions, level, config.requests, config.seconds)
            busy = (server.cpu_s() - cpu_before) / result["seconds"] if result["seconds"] else 0.0
            result["server_cores_busy"] = round(busy, 2)
            log(
                f"service: {built.label} c={level}: {result['answered_per_s']} req/s, "
                f"p95 {result['latency_ms'].get('p95')} ms, {result['errors']} errors"
            )
            levels.append(result)
        rss_peak = peak.stop()
        server.stop()
        return {
            "store": built.label,
            "chunks": built.chunks,
            "start_to_ready_s": round(ready_s, 2),
            "startup_phases": startup_phases(built, env),
            "rss_ready_mb": round(rss_ready, 1),
            "rss_peak_mb": round(rss_peak, 1),
            "levels": levels,
        }
    except RuntimeError as exc:
        return {"store": built.label, "chunks": built.chunks, "failed": str(exc)}
    finally:
        server.stop()


def run(
    config: BenchConfig,
    settings: Settings,
    stores: Sequence[BuiltStore],
    questions: Sequence[Question],
    env: dict[str, str],
    log: Log,
) -> dict[str, Any]:
    """The service section's figures, one entry per store."""
    return {
        "rate_limit": RATE_LIMIT,
        "server_env": env,
        "max_requests_per_level": config.requests,
        "max_seconds_per_level": config.seconds,
        "stores": [measure_store(b, config, settings, questions, env, log) for b in stores],
    }
