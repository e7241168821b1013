"""BM25 over the same chunks as Chroma (bm25s), kept in step with the store.

The index is built in memory from the store's chunks on first use, in well under a second for
thousands of chunks, and rebuilt whenever the store has changed (`ChunkStore.signature`, cheap to
read on every query). It also gives
the corpus vocabulary, which refusal uses to spot question terms the documents never mention.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.storage.store import ChunkStore
from assistant.types import Chunk


def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


# Words of asking that scikit-learn's stop list lacks: "What kinds … does it …?", "I need to know".
_ASKING_WORDS = frozenset(
    {"does", "did", "doing", "shall", "tell", "know", "want", "need", "needs", "kind", "kinds"}
    | {"sort", "sorts", "ones", "please"}
)


def _question_stopwords() -> list[str]:
    """Words a question's coverage is not judged on: bm25s's short English list (33 words) lacks
    "one", "should" and the like, which then read as terms the passages miss; scikit-learn's list
    (318 words) has them, and `_ASKING_WORDS` the ways of asking it lacks."""
    import bm25s.stopwords
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return sorted(set(bm25s.stopwords.STOPWORDS_EN) | ENGLISH_STOP_WORDS | _ASKING_WORDS)


@dataclass(frozen=True)
class LexicalHit:
    """A chunk id with its BM25 score and rank."""

    chunk_id: str
    score: float
    rank: int


class LexicalIndex:
    """A BM25 index of every chunk (title, section and text), rebuilt when the store changes."""

    def __init__(self, store: ChunkStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._built_for: object = None
        self._ids: list[str] = []
        self._bm25: Any = None
        self._vocab: frozenset[str] = frozenset()
        self._idf: dict[str, float] = {}
        self._max_idf = 1.0
        self._terms: dict[str, frozenset[str]] = {}
        self._stem = _stemmer()
        self._question_stopwords = _question_stopwords()

    def warm_up(self) -> None:
        """Build the index now."""
        self.refresh()

    def _tokenize(self, texts: Sequence[str], stopwords: str | list[str] = "en") -> Any:
        import bm25s

        return bm25s.tokenize(
            list(texts), stopwords=stopwords, stemmer=self._stem, show_progress=False
        )

    def refresh(self) -> None:
        """Rebuild the index if the store changed since it was built."""
        signature = self._store.signature()
        if signature == self._built_for:
            return
        with self._lock:
            if signature == self._built_for:
                return
            import bm25s

            chunks = self._store.all_chunks()
            self._ids = [c.id for c in chunks]
            if chunks:
                tokens = self._tokenize([c.embedding_text for c in chunks])
                bm25 = bm25s.BM25()
                bm25.index(tokens, show_progress=False)
                self._bm25 = bm25
                self._vocab = frozenset(k for k in tokens.vocab if k)
                self._idf = _idf(tokens, len(chunks))
                self._max_idf = max(self._idf.values(), default=1.0)
                words = {i: term for term, i in tokens.vocab.items()}
                self._terms = {
                    c.id: frozenset(words[i] for i in ids)
                    for c, ids in zip(chunks, tokens.ids, strict=True)
                }
            else:
                self._bm25, self._vocab, self._idf, self._terms = None, frozenset(), {}, {}
            self._built_for = signature

    def search(self, query: str, k: int) -> list[LexicalHit]:
        """The `k` best chunks by BM25 (chunks with a zero score are left out)."""
        self.refresh()
        if self._bm25 is None or not self._ids:
            return []
        tokens = self._tokenize([query])
        if not any(t in self._vocab for t in tokens.vocab):
            return []
        docs, scores = self._bm25.retrieve(tokens, k=min(k, len(self._ids)), show_progress=False)
        return [
            LexicalHit(self._ids[int(d)], float(s), rank)
            for rank, (d, s) in enumerate(zip(docs[0], scores[0], strict=True))
            if s > 0
        ]

    def unknown_terms(self, text: str) -> list[str]:
        """Stemmed content words of `text` that occur nowhere in the indexed chunks (function
        words and ways of asking aside)."""
        self.refresh()
        if not self._vocab:
            return []
        words = self._tokenize([text], self._question_stopwords).vocab
        return sorted(t for t in words if t and t not in self._vocab)

    def coverage_gap(self, question: str, passages: Sequence[Chunk]) -> float:
        """IDF-weighted share of the question's terms that none of `passages` contains (0-1).

        Passages that are about the question's topic but lack what it asks for ("the annual
        budget", "in Estonia", "founded") leave a gap; rare terms weigh more than common ones,
        and a term the documents never use weighs most. Function words ("did", "one") are not
        counted.
        """
        self.refresh()
        terms = [t for t in self._tokenize([question], self._question_stopwords).vocab if t]
        if not terms:
            return 0.0
        present: set[str] = set()
        for chunk in passages:  # terms indexed at build time; a chunk added since is tokenized
            known = self._terms.get(chunk.id)
            present |= (
                known if known is not None else set(self._tokenize([chunk.embedding_text]).vocab)
            )
        weights = {t: self._idf.get(t, self._max_idf) for t in terms}
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t not in present) / total if total else 0.0


def _idf(tokens: Any, documents: int) -> dict[str, float]:
    """Inverse document frequency of every indexed term."""
    frequency = np.zeros(len(tokens.vocab), dtype=np.int64)
    for ids in tokens.ids:
        frequency[np.unique(np.asarray(ids, dtype=np.int64))] += 1
    return {
        term: float(np.log((documents + 1) / (frequency[i] + 0.5)))
        for term, i in tokens.vocab.items()
        if term
    }


def reciprocal_rank_fusion(
    rankings: Sequence[tuple[Sequence[str], float]], k: int = 60
) -> list[tuple[str, float]]:
    """Fuse ranked id lists, each with a weight: score = Σ weight / (k + rank)."""
    fused: dict[str, float] = {}
    for ids, weight in rankings:
        for rank, item in enumerate(ids):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank + 1)
    return sorted(fused.items(), key=lambda pair: (-pair[1], pair[0]))


def cosine_scores(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Cosine similarity of unit vectors with a unit query vector."""
    return vectors @ query if len(vectors) else np.zeros(0, dtype=np.float32)
