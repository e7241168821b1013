"""Moving-window request counts in a `limits` storage: this process's memory, or Redis.

With ``memory://`` (the default) each process counts on its own; with ``redis://host:port`` every
worker pointed at that Redis shares the counts, so a limit holds across workers. Calls to a
remote storage run on a small thread pool of their own, so the event loop never waits on the
network and a slow storage never queues behind the model's work.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from limits import RateLimitItem
from limits.errors import ConfigurationError, StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

REMOTE_TIMEOUT_S = 2.0
"""Connect and read timeout for a remote storage: past it, the request gets 503."""
_REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://")


class LimiterUnavailable(RuntimeError):
    """The storage of the counts cannot be reached (the request is answered 503)."""


def open_storage(uri: str) -> Storage:
    """The `limits` storage of `uri`; ValueError for a URI `limits` does not know (or an async
    one). Nothing is contacted yet."""
    options: dict[str, float | str | bool] = {}
    if uri.startswith(_REDIS_SCHEMES):
        options = {"socket_timeout": REMOTE_TIMEOUT_S, "socket_connect_timeout": REMOTE_TIMEOUT_S}
    try:
        storage = storage_from_string(uri, wrap_exceptions=True, **options)
    except ConfigurationError as exc:
        raise ValueError(f"invalid api.limits_storage {uri!r}: {exc}") from exc
    if not isinstance(storage, Storage):
        raise ValueError(f"invalid api.limits_storage {uri!r}: an async storage; drop `async+`")
    return storage


class Limiter:
    """Admits or refuses a request against a list of limits (all must have room)."""

    def __init__(self, storage_uri: str = "memory://", remote_threads: int = 8) -> None:
        self.storage = open_storage(storage_uri)
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.local = isinstance(self.storage, MemoryStorage)
        self._errors: tuple[type[Exception], ...] = (StorageError,)
        self._executor: ThreadPoolExecutor | None = None
        if not self.local:
            base = self.storage.base_exceptions
            self._errors += base if isinstance(base, tuple) else (base,)
            self._executor = ThreadPoolExecutor(remote_threads, thread_name_prefix="ratelimit")

    def acquire(self, items: Sequence[RateLimitItem], *key: str) -> int | None:
        """Count one request of `key` if every item has room: None; otherwise the seconds until
        the blocking items free a slot (≥ 1), and nothing is counted."""
        try:
            blocked = [item for item in items if not self.strategy.test(item, *key)]
            if not blocked:
                # Another worker may have taken the last slot since the test.
                blocked = [item for item in items if not self.strategy.hit(item, *key)]
            if not blocked:
                return None
            now = time.time()
            wait = max(
                math.ceil(self.strategy.get_window_stats(item, *key).reset_time - now)
                for item in blocked
            )
        except self._errors as exc:
            raise LimiterUnavailable(str(exc)) from exc
        return max(wait, 1)

    async def acquire_async(self, items: Sequence[RateLimitItem], *key: str) -> int | None:
        """`acquire` without blocking the event loop on a remote storage."""
        if self._executor is None:
            return self.acquire(items, *key)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: self.acquire(items, *key))
