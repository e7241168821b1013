"""Per-stage timing of the answer pipeline without touching it: the container's stages are wrapped
in timing proxies before it builds the `Assistant`, which then runs them as usual.

Only the outermost timed call counts, so the embedding the composer or the verifier does inside
their own stage is part of that stage; `embed` is the question's embedding, `evidence` the
unknown-term and coverage-gap checks the pipeline runs between retrieval and reading, `reading`
the units' vectors, features and the learned scorer, `answerability` the decision.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from assistant.container import Container

STAGES = (
    "embed",
    "retrieval",
    "ranking",
    "evidence",
    "reading",
    "answerability",
    "composition",
    "verification",
)
"""In pipeline order; the report adds `other` (the rest of the answer's time)."""

WRAPPED: dict[str, dict[str, str]] = {
    "embedder": {"embed": "embed"},
    "lexical": {"unknown_terms": "evidence", "coverage_gap": "evidence"},
    "retriever": {"retrieve": "retrieval"},
    "ranker": {"rank": "ranking"},
    "scorer": {"read": "reading"},
    "answerability": {"decide": "answerability"},
    "composer": {"compose": "composition"},
    "verifier": {"verify": "verification"},
}
"""Container attribute → its timed methods and the stage each belongs to (dependencies first)."""


class StageClock:
    """Seconds per stage for the current question."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._depth = 0

    def reset(self) -> None:
        """Start a new question."""
        self.seconds = {}
        self._depth = 0

    def call(self, stage: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run `method`, adding its time to `stage` unless another timed stage is running."""
        if self._depth:
            return method(*args, **kwargs)
        self._depth += 1
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            self._depth -= 1
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - started


class Timed:
    """A stand-in for `target` whose `methods` are timed on `clock`; all else passes through."""

    def __init__(self, target: Any, clock: StageClock, methods: dict[str, str]) -> None:
        self._target = target
        self._clock = clock
        self._methods = methods

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        stage = self._methods.get(name)
        if stage is None or not callable(attribute):
            return attribute
        return lambda *args, **kwargs: self._clock.call(stage, attribute, *args, **kwargs)


def instrument(container: Container, clock: StageClock) -> None:
    """Wrap the container's stages in `Timed` before it builds the assistant."""
    if "assistant" in container.__dict__:
        raise ValueError("instrument the container before its assistant is built")
    for name, methods in WRAPPED.items():
        container.__dict__[name] = Timed(getattr(container, name), clock, methods)
