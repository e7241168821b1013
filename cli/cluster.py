"""`cluster-assistant serve-cluster`: the service scaled out on one machine.

It starts a Chroma server (`chroma run`, loopback, data in ``DATA_DIR/chroma-server``) and Redis
(loopback, nothing persisted), waits until both answer, ingests the configured corpus through the
Chroma server, then runs `serve --workers N` against them: every worker reads the one store (a
write by any process is seen by all, see `ChunkStore.signature`) and counts rate limits in the
one Redis. Ctrl-C, SIGTERM or any of the processes exiting stops everything it started, the API
first. The server logs go to ``DATA_DIR/logs``.

The pieces (`chroma_server`, `redis_server`, `cluster_env`, `Supervisor`) are what the
integration test starts too.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Annotated, Optional

import typer
from rich.markup import escape

from assistant.cli import console
from assistant.settings import Settings, get_settings

app = typer.Typer()

LOOPBACK = "127.0.0.1"
START_TIMEOUT_S = 60.0
"""How long Chroma and Redis may take to answer."""
API_TIMEOUT_S = 300.0
"""How long the API workers may take to be ready (each loads the model)."""
STOP_TIMEOUT_S = 15.0
"""How long a process may take to stop after SIGTERM before it (and its group) is killed."""
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class ClusterError(RuntimeError):
    """A process of the cluster could not be started or stopped answering."""


def free_port(host: str = LOOPBACK, taken: Collection[int] = ()) -> int:
    """A TCP port nobody listens on right now and that is not in `taken` (ports already given
    to a process of the cluster that may not have bound them yet)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
        if port not in taken:
            return port


def listening(port: int, host: str = LOOPBACK) -> bool:
    """Whether something accepts connections on `host:port`."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """Whether `url` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status) == 200
    except (OSError, urllib.error.URLError):
        return False


def redis_ok(port: int, host: str = LOOPBACK) -> bool:
    """Whether a Redis server answers PING on `host:port`."""
    try:
        with socket.create_connection((host, port), timeout=2.0) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class Service:
    """One child process: how to start it, where it logs, and how to tell it answers."""

    name: str
    command: Sequence[str]
    ready: Callable[[], bool]
    log: Path | None = None
    """stdout and stderr go here; None: this terminal."""
    env: Mapping[str, str] | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        """Start the process in its own session (Ctrl-C reaches the launcher, which stops it)."""
        output = None
        if self.log is not None:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            output = self.log.open("ab")
        try:
            self.process = subprocess.Popen(
                list(self.command),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT if output else None,
                env=dict(self.env) if self.env is not None else None,
                start_new_session=True,
            )
        except OSError as exc:
            raise ClusterError(f"cannot start {self.name}: {exc}") from exc
        finally:
            if output is not None:
                output.close()

    @property
    def running(self) -> bool:
        """Started and not exited."""
        return self.process is not None and self.process.poll() is None

    def wait_ready(self, timeout: float) -> None:
        """Block until `ready()` holds; raise if the process exits or time runs out."""
        deadline = time.monotonic() + timeout
        while not self.ready():
            if not self.running:
                raise ClusterError(f"{self.name} exited before answering{self._log_tail()}")
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"{self.name} did not answer in {timeout:.0f} s{self._log_tail()}"
                )
            time.sleep(0.2)

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM, then SIGKILL to its whole process group if it has not exited in `timeout`."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout)

    def _log_tail(self, lines: int = 15) -> str:
        if self.log is None or not self.log.exists():
            return ""
        tail = self.log.read_text(errors="replace").splitlines()[-lines:]
        return f"; last lines of {self.log}:\n" + "\n".join(tail)


class Supervisor:
    """Starts services in order and stops them in reverse order, whatever happens."""

    def __init__(self) -> None:
        self.services: list[Service] = []

    def start(self, service: Service, timeout: float) -> Service:
        """Start `service` and wait until it answers."""
        self.start_all([service], timeout)
        return service

    def start_all(self, services: Sequence[Service], timeout: float) -> None:
        """Start `services` together, then wait until each answers."""
        for service in services:
            self.services.append(service)
            service.start()
        for service in services:
            service.wait_ready(timeout)

    def watch(self, poll_s: float = 0.5) -> Service:
        """Block until one of the services exits; return it."""
        while True:
            for service in self.services:
                if not service.running:
                    return service
            time.sleep(poll_s)

    def stop(self) -> None:
        """Stop every service, the last started first."""
        for service in reversed(self.services):
            service.stop()

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def chroma_executable() -> str:
    """The `chroma` command of the chromadb package installed next to this interpreter."""
    beside = Path(sys.executable).with_name("chroma")
    found = str(beside) if beside.exists() else shutil.which("chroma")
    if not found:
        raise ClusterError("the `chroma` command (chromadb package) was not found")
    return found


def chroma_server(path: Path, port: int, log: Path | None = None) -> Service:
    """`chroma run` on loopback, persisting in `path`."""
    path.mkdir(parents=True, exist_ok=True)
    command = [chroma_executable(), "run", "--path", str(path), "--host", LOOPBACK]
    return Service(
        "chroma",
        [*command, "--port", str(port)],
        lambda: http_ok(f"http://{LOOPBACK}:{port}/api/v2/heartbeat"),
        log,
    )


def redis_server(port: int, workdir: Path, log: Path | None = None) -> Service:
    """`redis-server` on loopback, persisting nothing (rate-limit counts are short-lived)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ClusterError(
            "redis-server was not found: install it (Debian: apt-get install redis-server) "
            "or pass --no-redis (each worker then counts rate limits alone)"
        )
    workdir.mkdir(parents=True, exist_ok=True)
    command = [binary, "--port", str(port), "--bind", LOOPBACK, "--save", "", "--appendonly"]
    return Service(
        "redis",
        [*command, "no", "--dir", str(workdir), "--protected-mode", "yes"],
        lambda: redis_ok(port),
        log,
    )


def cluster_env(
    base: Mapping[str, str], chroma_port: int, redis_port: int | None, workers: int
) -> dict[str, str]:
    """The environment of the ingest and API processes: the Chroma server, Redis for the rate
    limits, and torch threads shared out between the workers (unless already set)."""
    env = dict(base)
    env.update(
        ASSISTANT_CHROMA__MODE="http",
        ASSISTANT_CHROMA__HOST=LOOPBACK,
        ASSISTANT_CHROMA__PORT=str(chroma_port),
        ASSISTANT_CHROMA__SSL="false",
    )
    if redis_port is not None:
        env["ASSISTANT_API__LIMITS_STORAGE"] = f"redis://{LOOPBACK}:{redis_port}"
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))
    return env


def cli_command(*args: str) -> list[str]:
    """`cluster-assistant ARGS` with this interpreter."""
    return [sys.executable, "-m", "cli", *args]


@contextmanager
def _interrupt_on_signals() -> Iterator[None]:
    """Turn SIGINT, SIGTERM and SIGHUP into KeyboardInterrupt so that the same cleanup runs
    (SIGINT too: a shell starts background jobs with it ignored)."""

    fired = False

    def interrupt(signum: int, frame: FrameType | None) -> None:
        nonlocal fired
        if not fired:  # later signals are ignored: the cleanup they would cut short is bounded
            fired = True
            raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_cluster(
    settings: Settings,
    *,
    workers: int,
    host: str,
    port: int,
    chroma_port: int,
    redis_port: int | None,
    ingest: bool,
) -> int:
    """Start everything, serve until interrupted or until a process exits; the exit code."""
    logs = settings.data_dir / "logs"
    env = cluster_env(os.environ, chroma_port, redis_port, workers)
    with _interrupt_on_signals(), Supervisor() as supervisor:
        try:
            wanted = [("Chroma", LOOPBACK, chroma_port), ("API", _reachable(host), port)]
            if redis_port is not None:
                wanted.append(("Redis", LOOPBACK, redis_port))
            for name, address, taken in wanted:
                if listening(taken, address):
                    raise ClusterError(f"port {taken} ({name}) is in use: choose another one")
            console.print(f"chroma run on {LOOPBACK}:{chroma_port} (logs: {logs})")
            path = settings.data_dir / "chroma-server"
            supervisor.start(chroma_server(path, chroma_port, logs / "chroma.log"), START_TIMEOUT_S)
            if redis_port is not None:
                console.print(f"redis-server on {LOOPBACK}:{redis_port}")
                redis = redis_server(redis_port, logs, logs / "redis.log")
                supervisor.start(redis, START_TIMEOUT_S)
            if ingest:
                console.print("ingesting the corpus through the Chroma server")
                done = subprocess.run(cli_command("ingest"), env=env, check=False)
                if done.returncode != 0:
                    console.print(f"[red]ingest failed (exit {done.returncode})[/red]")
                    return done.returncode
            console.print(f"starting {workers} API workers on http://{host}:{port}")
            serve = cli_command("serve", "--workers", str(workers), "--host", host)
            api = Service(
                "api",
                [*serve, "--port", str(port)],
                lambda: http_ok(f"http://{_reachable(host)}:{port}/readyz"),
                env=env,
            )
            supervisor.start(api, API_TIMEOUT_S)
            console.print(
                f"[green]ready:[/green] http://{host}:{port} ({workers} workers); Ctrl-C stops "
                "everything. Ingest while it serves (same data dir, for the manifest):\n"
                f"  ASSISTANT_DATA_DIR={settings.data_dir} ASSISTANT_CHROMA__MODE=http "
                f"ASSISTANT_CHROMA__PORT={chroma_port} cluster-assistant ingest PATH",
                soft_wrap=True,
            )
            exited = supervisor.watch()
            console.print(f"[red]{exited.name} exited; stopping the cluster[/red]")
            return 1
        except ClusterError as exc:
            console.print(f"[red]{escape(str(exc))}[/red]")
            return 1
        except KeyboardInterrupt:
            console.print("stopping the cluster")
            return 0


def _reachable(host: str) -> str:
    """An address to reach a server bound to `host` from this machine."""
    return LOOPBACK if host in ("0.0.0.0", "::", "") else host


@app.command("serve-cluster")
def serve_cluster(
    workers: Annotated[
        Optional[int],  # noqa: UP045 - typer needs Optional here
        typer.Option(min=1, help="API worker processes (default: api.workers)."),
    ] = None,
    host: Annotated[Optional[str], typer.Option(help="API bind address.")] = None,  # noqa: UP045
    port: Annotated[Optional[int], typer.Option(help="API port.")] = None,  # noqa: UP045
    chroma_port: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(help="Chroma server port (default: chroma.port)."),
    ] = None,
    redis_port: Annotated[int, typer.Option(help="Redis port (0: any free port).", min=0)] = 0,
    redis: Annotated[
        bool, typer.Option(help="Start Redis and share the rate limits through it.")
    ] = True,
    ingest: Annotated[
        bool, typer.Option(help="Ingest the configured corpus before serving.")
    ] = True,
) -> None:
    """Serve with a Chroma server, Redis and several API workers (stops them all on exit)."""
    settings = get_settings()
    api_port = port or settings.api.port
    chroma = chroma_port or settings.chroma.port
    code = run_cluster(
        settings,
        workers=workers or settings.api.workers,
        host=host or settings.api.host,
        port=api_port,
        chroma_port=chroma,
        # Chroma is not listening yet: its port must not be handed to Redis as a free one.
        redis_port=(redis_port or free_port(taken=(chroma, api_port))) if redis else None,
        ingest=ingest,
    )
    raise typer.Exit(code)
