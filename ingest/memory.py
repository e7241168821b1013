"""Give the memory an ingest freed back to the operating system.

An ingest encodes thousands of passages in batches; the tensors and strings it frees stay in the C
allocator's heap, and glibc keeps freed heap pages unless told otherwise, so a serving process's
resident memory stepped up with every upload and never came down. `malloc_trim(0)` returns the
free pages. Measured in `docs/decisions.md` ("Memory after an ingest, measured").
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim`, or None where the C library has none (macOS, musl)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim  # type: ignore[no-any-return]


def release_free_memory() -> bool:
    """Return the C heap's free pages to the system; False where that is not possible."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
