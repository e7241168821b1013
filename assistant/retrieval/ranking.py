"""The ranking stage: reorders fused candidates before composition.

The container chooses one from `ranking.kind`: the pass-through ranker keeps the fused order; the
reader ranker reorders the fused top candidates by the distilled reader's P(answers) of each
passage, blended with its similarity to the question, so that an answer fused at rank 6–20 can
come up into the passages the composer reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

import numpy as np

from assistant.types import ScoredChunk


class PassageReader(Protocol):
    """What the ranker needs from a reader."""

    def warm_up(self) -> None: ...

    def shown(self, title: str, section: str | None, text: str) -> str: ...

    def scores(self, question: str, candidates: Sequence[str]) -> np.ndarray: ...


class PassThroughRanker:
    """Keeps the fused order: the first `k` candidates, unchanged."""

    candidates = 0

    def warm_up(self) -> None:
        """Nothing to load."""

    def rank(self, question: str, hits: Sequence[ScoredChunk], k: int) -> list[ScoredChunk]:
        """The first `k` of `hits`, as fused."""
        return list(hits[:k])


class ReaderRanker:
    """Reorders the first `candidates` fused hits by `weight` × P(answers) + (1 − `weight`) ×
    similarity; scores stay the similarities (the composer's scale), ranks follow the new order."""

    def __init__(self, reader: PassageReader, candidates: int, weight: float) -> None:
        self._reader = reader
        self.candidates = candidates
        self._weight = weight

    def warm_up(self) -> None:
        """Load the reader."""
        self._reader.warm_up()

    def rank(self, question: str, hits: Sequence[ScoredChunk], k: int) -> list[ScoredChunk]:
        """The `k` best of the first `candidates` hits by the blended score."""
        pool = list(hits[: max(self.candidates, k)])
        if not pool:
            return []
        texts = [self._reader.shown(h.chunk.title, h.chunk.section, h.chunk.text) for h in pool]
        read = self._reader.scores(question, texts)
        blended = [
            self._weight * float(p) + (1 - self._weight) * h.score
            for h, p in zip(pool, read, strict=True)
        ]
        order = sorted(range(len(pool)), key=lambda i: -blended[i])[:k]
        return [replace(pool[i], rank=rank) for rank, i in enumerate(order)]
