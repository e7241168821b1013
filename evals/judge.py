"""The evaluation judge: a chat model asked yes/no whether passages support a claim.

No NLI model ships offline, so an instruction-tuned Qwen is asked whether the passages fully
support a claim; the judgement is P(Yes) against P(No) read from the first answer token's
log-probabilities (`ChatJudge`, the product's `assistant.llm.judge`, over any OpenAI-compatible
server that returns them): greedy, one token, deterministic. `EntailmentJudge` runs a packaged
Qwen in this process behind llama.cpp's server on a free loopback port, so the judge goes through
the same client code as generative mode. Its dependencies are the optional `[llm]` extra.
`validate` measures a judge against the hand-labelled pairs of `judge_validation.jsonl`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import LLMUnavailableError, ModelUnavailable
from assistant.llm.chat import chat_model
from assistant.llm.judge import ChatJudge as _ChatJudge
from assistant.llm.packaged import available
from assistant.llm.server import PackagedLLMServer
from assistant.settings import LLMSettings
from evals.datasets import DATASETS_DIR
from evals.errors import JudgeError, JudgeUnavailable

JUDGES = ("qwen2.5-0.5b", "qwen2.5-1.5b")
VALIDATION_PATH = DATASETS_DIR / "judge_validation.jsonl"


class ChatJudge(_ChatJudge):
    """The product's judge, its failures reported as the evaluation's `JudgeError`."""

    def p_yes(self, passages: Sequence[str], claim: str) -> float:
        """Probability of "Yes" against "No"."""
        try:
            return super().p_yes(passages, claim)
        except LLMUnavailableError as exc:
            raise JudgeError(str(exc)) from exc


class EntailmentJudge:
    """P(Yes) that `passages` support `claim`, from the packaged Qwen `name`."""

    def __init__(self, name: str = "qwen2.5-1.5b") -> None:
        if name not in JUDGES:
            raise JudgeUnavailable(f"unknown judge {name!r}; choose from {', '.join(JUDGES)}")
        self.name = name
        self._server: PackagedLLMServer | None = None
        self._judge: ChatJudge | None = None

    @property
    def calls(self) -> int:
        """Judgements made so far."""
        return self._judge.calls if self._judge else 0

    def warm_up(self) -> None:
        """Start the model server (assembling the model file on first use)."""
        if self._judge is not None:
            return
        self._server = PackagedLLMServer(self.name, port=0)
        try:
            base_url = self._server.start()
        except ModelUnavailable as exc:
            self._server = None
            raise JudgeUnavailable(str(exc)) from exc
        model = chat_model(LLMSettings(base_url=base_url, model=self.name, max_tokens=16))
        self._judge = ChatJudge(model, self.name)

    def p_yes(self, passages: Sequence[str], claim: str) -> float:
        """Probability of "Yes" against "No"."""
        self.warm_up()
        assert self._judge is not None
        return self._judge.p_yes(passages, claim)

    def supports(self, passages: Sequence[str], claim: str) -> bool:
        """Whether the judge says the passages support the claim (P(Yes) ≥ 0.5)."""
        return self.p_yes(passages, claim) >= 0.5

    def close(self) -> None:
        """Stop the model server."""
        if self._server is not None:
            self._server.stop()
        self._server, self._judge = None, None


def choose(name: str) -> EntailmentJudge | None:
    """The judge called `name`; `auto`: the largest installed one, or None; `none`: None.

    Raises `JudgeUnavailable` when a named judge is not installed.
    """
    if name == "none":
        return None
    for candidate in list(JUDGES)[::-1] if name == "auto" else [name]:
        if available(candidate):
            return EntailmentJudge(candidate)
    if name != "auto":
        raise JudgeUnavailable(f"judge {name} is not installed")
    return None


@dataclass(frozen=True)
class PairVerdict:
    """The judge's verdict on one hand-labelled pair."""

    id: str
    supported: bool
    p_yes: float

    @property
    def correct(self) -> bool:
        """Whether P(Yes) ≥ 0.5 agrees with the label."""
        return (self.p_yes >= 0.5) == self.supported


@dataclass(frozen=True)
class Validation:
    """A judge's accuracy on the hand-labelled pairs, and its speed."""

    verdicts: list[PairVerdict]
    seconds_per_pair: float

    @property
    def right(self) -> int:
        """Pairs judged as labelled."""
        return sum(v.correct for v in self.verdicts)

    @property
    def accuracy(self) -> float:
        """Share of pairs judged as labelled."""
        return self.right / len(self.verdicts) if self.verdicts else 0.0


def load_pairs(path: Path = VALIDATION_PATH) -> list[dict[str, Any]]:
    """The hand-labelled (passage, claim, supported) pairs."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def validate(judge: Any, pairs: Sequence[dict[str, Any]]) -> Validation:
    """Ask `judge` (anything with `p_yes(passages, claim)`) about every pair, timed."""
    started = time.perf_counter()
    verdicts = [
        PairVerdict(
            str(row["id"]), bool(row["supported"]), judge.p_yes([row["passage"]], row["claim"])
        )
        for row in pairs
    ]
    elapsed = time.perf_counter() - started
    return Validation(verdicts, elapsed / len(pairs) if pairs else 0.0)


__all__ = [
    "JUDGES",
    "ChatJudge",
    "EntailmentJudge",
    "JudgeError",
    "JudgeUnavailable",
    "Validation",
    "available",
    "choose",
    "validate",
]
