"""One writer per store, with real processes: a second writer waits, then fails naming the
holder; a holder killed with SIGKILL leaves the store free (file lock) or free once its lease
runs out (Redis lock, against a real `redis-server`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.storage.writer_lock import FileWriterLock, RedisWriterLock, StoreBusyError
from cli.cluster import LOOPBACK, Supervisor, free_port, redis_server
from tests.conftest import Stack

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]


def hold_in_child(code: str) -> subprocess.Popen[str]:
    """A Python child that takes a lock (per `code`), prints `held`, then sleeps."""
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "held"
    return child


def test_a_second_writer_waits_then_fails_naming_the_holder_and_a_killed_one_frees_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "write.lock"
    child = hold_in_child(
        f"""
        import time
        from pathlib import Path
        from assistant.storage.writer_lock import FileWriterLock
        with FileWriterLock(Path({str(path)!r}), 5).held("ingest"):
            print("held", flush=True)
            time.sleep(60)
        """
    )
    try:
        lock = FileWriterLock(path, timeout_s=0.5)
        started = time.monotonic()
        with pytest.raises(StoreBusyError) as busy, lock.held("upload"):
            pass
        assert 0.4 < time.monotonic() - started < 5
        message = str(busy.value)
        assert f"ingest by process {child.pid}" in message and "waited 0.5 s" in message
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        started = time.monotonic()
        with lock.held("upload"):  # the kernel released the dead holder's lock
            assert time.monotonic() - started < 0.5
            assert '"what": "upload"' in (tmp_path / "write.lock.json").read_text()
        assert not (tmp_path / "write.lock.json").exists()
    finally:
        child.kill()
        child.wait(10)


def test_the_lock_is_reentrant_in_a_thread_and_exclusive_across_threads(tmp_path: Path) -> None:
    lock = FileWriterLock(tmp_path / "write.lock", timeout_s=5)
    order: list[str] = []
    inside = threading.Event()

    def other() -> None:
        inside.wait(5)
        with lock.held("delete"):
            order.append("other")

    thread = threading.Thread(target=other)
    thread.start()
    with lock.held("ingest"), lock.held("ingest again"):  # no deadlock with itself
        inside.set()
        time.sleep(0.3)
        order.append("first")
    thread.join(10)
    assert order == ["first", "other"]


def test_an_ingest_during_another_fails_with_the_holders_name(stack: Stack) -> None:
    from assistant.settings import IngestSettings
    from ingest.pipeline import Ingestor

    ingest = IngestSettings.model_validate(
        {**stack.settings.ingest.model_dump(), "lock_timeout_s": 0.3}
    )
    settings = stack.settings.model_copy(update={"ingest": ingest})
    ingestor = Ingestor(settings, stack.container.embedder, stack.store)
    lock = FileWriterLock(settings.data_dir / "write.lock", 5)
    child = hold_in_child(
        f"""
        import time
        from pathlib import Path
        from assistant.storage.writer_lock import FileWriterLock
        with FileWriterLock(Path({str(lock.path)!r}), 5).held("reindex"):
            print("held", flush=True)
            time.sleep(60)
        """
    )
    try:
        with pytest.raises(StoreBusyError, match=f"reindex by process {child.pid}"):
            ingestor.run()
        assert stack.store.count() == 0  # nothing written beside the holder
    finally:
        child.kill()
        child.wait(10)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `redis-server` on a free loopback port."""
    try:
        port = free_port()
        service = redis_server(port, tmp_path_factory.mktemp("redis"))
    except Exception as exc:  # no redis-server here
        pytest.skip(str(exc))
    with Supervisor() as supervisor:
        supervisor.start_all([service], timeout=30)
        yield f"redis://{LOOPBACK}:{port}/0"


@pytest.mark.enable_socket
def test_a_redis_lock_serves_every_worker_and_outlives_a_killed_holder_by_its_lease(
    redis_url: str,
) -> None:
    child = hold_in_child(
        f"""
        import time
        from assistant.storage.writer_lock import RedisWriterLock
        with RedisWriterLock({redis_url!r}, "store", 5, lease_s=1.5).held("ingest"):
            print("held", flush=True)
            time.sleep(60)
        """
    )
    try:
        time.sleep(2)  # longer than the lease: the holder renews it
        lock = RedisWriterLock(redis_url, "store", timeout_s=0.3, lease_s=1.5)
        with (
            pytest.raises(StoreBusyError, match=f"ingest by process {child.pid}"),
            lock.held("upload"),
        ):
            pass
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        patient = RedisWriterLock(redis_url, "store", timeout_s=5, lease_s=1.5)
        started = time.monotonic()
        with patient.held("upload"):  # free once the dead holder's lease ran out
            assert time.monotonic() - started < 3
    finally:
        child.kill()
        child.wait(10)
