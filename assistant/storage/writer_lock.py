"""One writer per store: ingest, upload, delete and reindex hold this lock while they write.

Chroma is safe across threads, not across processes: two `ingest` runs (or an upload during a
reindex in another worker) writing one store at once have lost its companion collections. A
second writer waits up to `ingest.lock_timeout_s`, then fails with `StoreBusyError` naming who
holds the lock (process, host, command, since when).

- **Local store** (`chroma.mode=persistent`): an OS file lock (`filelock`, `flock` on Linux) on
  `DATA_DIR/write.lock`. The kernel releases it when its process dies, so a lock left by a killed
  writer is free at once; the holder's description beside it (`write.lock.json`) is only read
  for the message.
- **Chroma server** (`chroma.mode=http`) with Redis (`api.limits_storage=redis://…`, as
  `serve-cluster` runs): a Redis lock (`SET NX` with a lease) that every worker and machine
  sees. The holder renews the lease while it writes; a killed holder's lease runs out after
  `LEASE_S`. Without Redis the file lock guards the writers of this machine only.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from assistant.errors import AssistantError

log = logging.getLogger(__name__)

LEASE_S = 30.0
"""How long a Redis lock outlives a holder that stopped renewing it (renewed every third)."""


class StoreBusyError(AssistantError):
    """Another writer holds the store's lock."""


def holder(what: str) -> dict[str, Any]:
    """A description of this process as the lock's holder."""
    return {
        "what": what,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv))[
            :200
        ],
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def busy_message(where: str, held_by: dict[str, Any] | None, waited: float) -> str:
    """The second writer's error: who holds the lock, since when."""
    if held_by:
        who = (
            f"{held_by.get('what', 'a write')} by process {held_by.get('pid', '?')} on "
            f"{held_by.get('host', '?')} ({held_by.get('command', '?')}), since "
            f"{held_by.get('since', '?')}"
        )
    else:
        who = "another process"
    return (
        f"the store {where} is being written by {who}; waited {waited:g} s. Try again when it "
        "has finished."
    )


class WriterLock(Protocol):
    """What writers hold while they change the store."""

    def held(self, what: str) -> Any:
        """A context manager holding the lock (`what`: the operation, for the message)."""
        ...


class _Reentrant:
    """`held` reentrant within one thread: only the outermost call takes the lock
    (`_acquire`); the calls inside it run under it."""

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def held(self, what: str) -> Iterator[None]:
        """Hold the lock for `what` (the operation, named in a second writer's error)."""
        depth = getattr(self._local, "depth", 0)
        self._local.depth = depth + 1
        try:
            if depth:
                yield
            else:
                with self._acquire(what):
                    yield
        finally:
            self._local.depth = depth

    def _acquire(self, what: str) -> Any:
        raise NotImplementedError


class FileWriterLock(_Reentrant):
    """An OS file lock next to a local store."""

    def __init__(self, path: Path, timeout_s: float) -> None:
        super().__init__()
        self.path = path
        self._timeout = timeout_s
        self._info = path.with_name(path.name + ".json")

    @contextmanager
    def _acquire(self, what: str) -> Iterator[None]:
        from filelock import FileLock, Timeout

        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.path), timeout=self._timeout)
        try:
            lock.acquire()
        except Timeout as exc:
            raise StoreBusyError(
                busy_message(str(self.path.parent), self._holder(), self._timeout)
            ) from exc
        try:
            self._write_holder(what)
            yield
        finally:
            self._info.unlink(missing_ok=True)
            lock.release()

    def _write_holder(self, what: str) -> None:
        tmp = self._info.with_name(self._info.name + f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(holder(what)), encoding="utf-8")
        os.replace(tmp, self._info)

    def _holder(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self._info.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None


class RedisWriterLock(_Reentrant):
    """A Redis lock with a renewed lease, shared by every worker of a Chroma server."""

    def __init__(self, url: str, name: str, timeout_s: float, lease_s: float = LEASE_S) -> None:
        super().__init__()
        self._url = url
        self._name = f"cluster-assistant:write-lock:{name}"
        self._timeout = timeout_s
        self._lease = lease_s

    @contextmanager
    def _acquire(self, what: str) -> Iterator[None]:
        """Take the lock, renewing its lease while held."""
        import redis

        client = redis.Redis.from_url(self._url)
        lock = client.lock(
            self._name, timeout=self._lease, blocking_timeout=self._timeout, thread_local=False
        )
        if not lock.acquire():
            raw = client.get(self._name + ":holder")
            held_by = json.loads(raw) if raw else None
            raise StoreBusyError(busy_message(self._name, held_by, self._timeout))
        client.set(self._name + ":holder", json.dumps(holder(what)), px=int(self._lease * 1000))
        done = threading.Event()

        def renew() -> None:
            while not done.wait(self._lease / 3):
                try:
                    lock.reacquire()
                    client.pexpire(self._name + ":holder", int(self._lease * 1000))
                except Exception as exc:  # the next write fails loudly if the lock is lost
                    log.warning("write lock %s not renewed: %s", self._name, exc)
                    return

        renewer = threading.Thread(target=renew, name="write-lock-renewal", daemon=True)
        renewer.start()
        try:
            yield
        finally:
            done.set()
            renewer.join()
            client.delete(self._name + ":holder")
            try:
                lock.release()
            except Exception as exc:  # expired: another writer may hold it now
                log.warning("write lock %s was lost before release: %s", self._name, exc)
