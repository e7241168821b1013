"""The ranking stage: reorders fused candidates before composition.

Only the pass-through ranker exists today; a cross-encoder plugs in here (`stages.Ranker`) and is
chosen by the container from `ranking.kind`.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.types import ScoredChunk


class PassThroughRanker:
    """Keeps the fused order: the first `k` candidates, unchanged."""

    candidates = 0

    def warm_up(self) -> None:
        """Nothing to load."""

    def rank(self, question: str, hits: Sequence[ScoredChunk], k: int) -> list[ScoredChunk]:
        """The first `k` of `hits`, as fused."""
        return list(hits[:k])
