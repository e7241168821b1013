"""`release_free_memory`: the C heap's free pages go back to the system (glibc), after every
ingest run."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from ingest import pipeline
from ingest.memory import release_free_memory
from ingest.pipeline import Status
from tests.conftest import Stack

# Frees 300 MiB of heap blocks (100 KiB each: below glibc's mmap threshold, so on the heap) while
# a small block after each keeps the heap's top in use, so that nothing is returned on its own;
# prints the resident MiB after the frees and after `release_free_memory`.
CHILD = textwrap.dedent(
    """
    import gc
    from ingest.memory import release_free_memory

    def rss_mib():
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    big, small = [], []
    for i in range(3000):
        big.append(bytes(100 * 1024))
        small.append(bytes(2048 + i % 7))
    big.clear()
    gc.collect()
    freed = rss_mib()
    assert release_free_memory()
    print(freed, rss_mib())
    """
)


@pytest.mark.unit
def test_release_free_memory_returns_freed_heap_pages_to_the_system() -> None:
    if not release_free_memory():
        pytest.skip("the C library has no malloc_trim (not glibc)")
    done = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, timeout=120
    )
    freed, released = (float(x) for x in done.stdout.split())
    assert freed > 150, f"the freed blocks were returned on their own: {freed:.0f} MiB resident"
    assert freed - released > 120, f"{freed:.0f} MiB resident before, {released:.0f} after"


@pytest.mark.integration
def test_every_ingest_run_releases_free_memory_when_it_ends(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[bool] = []

    def counted() -> bool:
        calls.append(release_free_memory())
        return calls[-1]

    monkeypatch.setattr(pipeline, "release_free_memory", counted)
    report = stack.ingestor.run([stack.corpus / "trend-universe.md"])
    assert report.count(Status.INDEXED) == 1
    assert len(calls) == 1
    stack.ingestor.run([stack.corpus / "no-such-file.md"])
    assert len(calls) == 2
