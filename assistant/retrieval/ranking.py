"""The ranking stage: reorders fused candidates before composition.

The container chooses one from `ranking.kind`: the pass-through ranker keeps the fused order; the
reader ranker reorders the fused top candidates by the reader's score of each passage's best
answer unit, blended with the passage's similarity to the question, so that an answer fused at
rank 6–20 can come up into the passages the composer reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from assistant.answer.reader import Reader
from assistant.text import TextUnit, chunk_units
from assistant.types import ScoredChunk


class PassThroughRanker:
    """Keeps the fused order: the first `k` candidates, unchanged."""

    candidates = 0

    def warm_up(self) -> None:
        """Nothing to load."""

    def rank(self, question: str, hits: Sequence[ScoredChunk], k: int) -> list[ScoredChunk]:
        """The first `k` of `hits`, as fused."""
        return list(hits[:k])


class ReaderRanker:
    """Reorders the first `candidates` fused hits by `weight` × reader score + (1 − `weight`) ×
    similarity, a passage's reader score being that of its best answer unit (a sentence, list
    item or table row: what the reader was trained on, and with a bi-encoder reader their vectors
    are stored); scores stay the similarities (the composer's scale), ranks follow the new order.
    """

    def __init__(self, reader: Reader, candidates: int, weight: float) -> None:
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
        owners: list[int] = []
        texts: list[str] = []
        keys: list[tuple[str, int]] = []
        for n, hit in enumerate(pool):
            chunk = hit.chunk
            for unit in chunk_units(chunk.text) or [TextUnit(chunk.text, 0, False)]:
                owners.append(n)
                texts.append(self._reader.shown(chunk.title, chunk.section, unit.text))
                keys.append((chunk.id, unit.index))
        read = self._reader.scores(question, texts, keys=keys)
        best = np.full(len(pool), -np.inf, dtype=np.float32)
        np.maximum.at(best, np.asarray(owners), read)
        blended = [
            self._weight * float(b) + (1 - self._weight) * h.score
            for h, b in zip(pool, best, strict=True)
        ]
        order = sorted(range(len(pool)), key=lambda i: -blended[i])[:k]
        return [replace(pool[i], rank=rank) for rank, i in enumerate(order)]
