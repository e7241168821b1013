"""Dense retrieval: question (plus weighted conversation context) → nearest chunks in Chroma."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.embedder import Embedder
from assistant.store import ChunkStore, Filters
from assistant.types import ScoredChunk

HISTORY_WEIGHT = 0.35


def query_vector(
    embedder: Embedder, question: str, context: Sequence[str] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """The question's own vector, and the retrieval vector with earlier user turns mixed in.

    Earlier turns count less than the new question (and older turns less than recent ones), so a
    follow-up such as "and which one represents Portugal?" still finds the passage the
    conversation is about.
    """
    texts = [question, *context]
    vectors = embedder.embed(texts)
    own = vectors[0]
    mixed = own.copy()
    for age, vector in enumerate(vectors[1:], start=1):
        mixed = mixed + (HISTORY_WEIGHT / age) * vector
    norm = float(np.linalg.norm(mixed)) or 1.0
    return own, mixed / norm


class DenseRetriever:
    """Top-k similarity search over the chunk store."""

    def __init__(self, embedder: Embedder, store: ChunkStore) -> None:
        self._embedder = embedder
        self._store = store

    def retrieve(
        self, vector: np.ndarray, k: int, filters: Filters | None = None
    ) -> list[ScoredChunk]:
        """The `k` best chunks for a query vector."""
        return self._store.query(vector, k, filters)
