"""The machine a benchmark ran on: CPU model, cores, SIMD flags, memory, load, backend, versions.

Every figure of the report is printed with `describe(...)` of this, so a number never travels
without the hardware and software it was measured on.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from assistant.settings import PROJECT_ROOT, Settings

SIMD_FLAGS = (
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_vnni",
    "avx512_bf16",
    "avx_vnni",
    "amx_tile",
    "amx_int8",
    "amx_bf16",
)
"""The flags that decide how fast CPU inference runs (vector width, int8 and bf16 dot products)."""

PACKAGES = (
    "torch",
    "sentence-transformers",
    "transformers",
    "onnxruntime",
    "optimum",
    "chromadb",
    "bm25s",
    "numpy",
    "fastapi",
    "uvicorn",
)


def _lscpu() -> dict[str, str]:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return {}
    pairs = (line.split(":", 1) for line in out.stdout.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def _cpuinfo() -> dict[str, str]:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    first = text.split("\n\n", 1)[0]
    pairs = (line.split(":", 1) for line in first.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def _memory_gb() -> float | None:
    try:
        text = Path("/proc/meminfo").read_text(encoding="utf-8")
    except OSError:
        return None
    found = re.search(r"MemTotal:\s+(\d+) kB", text)
    return round(int(found.group(1)) / 1024 / 1024, 1) if found else None


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _git() -> dict[str, Any]:
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "--short", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def cpu() -> dict[str, Any]:
    """CPU model, logical and usable cores, physical cores, SIMD flags present."""
    lscpu, info = _lscpu(), _cpuinfo()
    flags = set((lscpu.get("Flags") or info.get("flags") or "").split())
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count() or 1
    physical = None
    if lscpu.get("Core(s) per socket", "").isdigit() and lscpu.get("Socket(s)", "").isdigit():
        physical = int(lscpu["Core(s) per socket"]) * int(lscpu["Socket(s)"])
    return {
        "model": lscpu.get("Model name") or info.get("model name") or platform.processor(),
        "vendor": lscpu.get("Vendor ID") or info.get("vendor_id"),
        "logical_cores": os.cpu_count(),
        "usable_cores": usable,
        "physical_cores": physical,
        "threads_per_core": lscpu.get("Thread(s) per core"),
        "hypervisor": lscpu.get("Hypervisor vendor"),
        "simd": [flag for flag in SIMD_FLAGS if flag in flags],
        "flag_count": len(flags),
        "l3_cache": lscpu.get("L3 cache"),
    }


def backend(settings: Settings) -> dict[str, Any]:
    """How embeddings are computed: the embedding settings, torch's threads and build."""
    found: dict[str, Any] = {"embedding": settings.embedding.model_dump(mode="json")}
    found["embedding"].setdefault("backend", "onnx")
    try:
        import torch

        found["torch"] = {
            "version": torch.__version__,
            "threads": torch.get_num_threads(),
            "interop_threads": torch.get_num_interop_threads(),
            "mkldnn": bool(torch.backends.mkldnn.is_available()),  # type: ignore[no-untyped-call]
        }
    except ImportError:  # pragma: no cover - torch is a hard dependency
        found["torch"] = None
    found["onnxruntime"] = _version("onnxruntime")
    return found


def load_average() -> list[float]:
    """The 1, 5 and 15-minute load averages (empty where the system does not tell)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        return []


BUSY_SHARE = 0.1
"""Other processes' share of the CPU time above which a run is flagged as measured on a busy
machine."""


class OtherWork:
    """CPU time other processes used while the benchmark ran (the system's busy time less this
    process's own, its waited-for children included: the servers and the ingest subprocesses)."""

    def __init__(self) -> None:
        import psutil

        self._psutil = psutil
        self._started = time.perf_counter()
        self._system = self._system_busy()
        self._own = self._own_busy()

    def _system_busy(self) -> float:
        times = self._psutil.cpu_times()
        return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))

    def _own_busy(self) -> float:
        times = self._psutil.Process().cpu_times()
        return float(times.user + times.system + times.children_user + times.children_system)

    def share(self) -> float:
        """Other processes' CPU seconds ÷ (wall seconds × cores), so far."""
        wall = time.perf_counter() - self._started
        cores = self._psutil.cpu_count() or 1
        others = (self._system_busy() - self._system) - (self._own_busy() - self._own)
        return round(max(0.0, others) / (wall * cores), 3) if wall > 0 else 0.0


def other_work() -> OtherWork | None:
    """A tracker of other processes' CPU time, or None without psutil."""
    try:
        return OtherWork()
    except ImportError:
        return None


def busy(machine: dict[str, Any]) -> bool:
    """Whether other processes took more than `BUSY_SHARE` of the CPU time during the run (or,
    when that was not measured, the 1-minute load at the start exceeded half the cores)."""
    share = machine.get("other_processes_cpu_share")
    if share is not None:
        return bool(share > BUSY_SHARE)
    cores = machine.get("cpu", {}).get("usable_cores") or 1
    start = machine.get("load_average_at_start") or [0.0]
    return bool(start[0] > 0.5 * cores)


def collect(settings: Settings) -> dict[str, Any]:
    """Everything above plus memory, load, Python, package versions and the commit."""
    return {
        "cpu": cpu(),
        "memory_gb": _memory_gb(),
        "load_average_at_start": load_average(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "packages": {name: _version(name) for name in PACKAGES if _version(name)},
        "backend": backend(settings),
        "git": _git(),
    }


def _simd_summary(simd: list[str]) -> str:
    avx512 = [f.removeprefix("avx512").strip("_").upper() for f in simd if f.startswith("avx512")]
    parts = [f.upper() for f in ("avx2", "fma") if f in simd]
    if avx512:
        parts.append(f"AVX-512 ({', '.join(avx512)})")
    parts += [
        f.upper().replace("_", "-") for f in ("avx_vnni", "amx_int8", "amx_bf16") if f in simd
    ]
    return ", ".join(parts) or "no AVX"


def backend_line(machine: dict[str, Any]) -> str:
    """`torch 2.13.0+cpu, 2 threads, batch 32` (plus the configured backend when not torch)."""
    found = machine.get("backend", {})
    embedding = found.get("embedding", {})
    torch_info = found.get("torch") or {}
    name = str(embedding.get("backend", "torch"))
    if name == "torch":
        parts = [f"torch {torch_info.get('version', '?')}"]
    else:
        parts = [f"{name} (onnxruntime {found.get('onnxruntime') or '?'})"]
    parts.append(f"{torch_info.get('threads', '?')} threads")
    parts.append(f"batch {embedding.get('batch_size', '?')}")
    return ", ".join(parts)


def describe(machine: dict[str, Any]) -> str:
    """One line: `AMD EPYC, 2 cores, AVX2, FMA, AVX-512 (F, BW, …); torch 2.13.0+cpu, …`."""
    info = machine.get("cpu", {})
    cores = info.get("usable_cores") or info.get("logical_cores")
    return (
        f"{info.get('model', '?')}, {cores} cores, {_simd_summary(info.get('simd', []))}; "
        f"{backend_line(machine)}"
    )
