"""BM25 over the same chunks as Chroma (bm25s), kept in step with the store.

The index is built in memory from the store's chunks on first use, in well under a second for
thousands of chunks, and rebuilt whenever the store has changed (`ChunkStore.signature`, cheap to
read on every query). It also gives the corpus vocabulary, which refusal uses to spot question
terms the documents never mention, and the weight of each term, which the composer uses to check
that a sentence is about what the question asks.

Inflections the stemmer leaves apart ("Swedish"/"Sweden", "Finnish"/"Finland", "Estonian"/
"Estonia") meet at a shared *root*: the stem less one derivational ending (`root`). A question term
counts as present where a term with the same root (or one letter longer or shorter) is, and a
query term the corpus lacks is searched by the corpus terms that share its root.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
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


# Endings of demonyms, languages and place names ("-ish", "-ian", "-ese", "-land", "-ia", "-en").
_ENDINGS = re.compile(r"(?:ish|ian|ean|ese|ic|an|i|land|ia|en|y|a|e)$")
MIN_ROOT = 3


def root(term: str) -> str:
    """A stem less its derivational ending: "swedish" and "sweden" → "swed"."""
    stripped = _ENDINGS.sub("", term)
    return stripped if len(stripped) >= MIN_ROOT else term


class _Roots:
    """Roots of a set of terms, answering "is a term with this root (± one letter) here?"."""

    def __init__(self, terms: Iterable[str]) -> None:
        self.by_root: dict[str, set[str]] = {}
        for term in terms:
            self.by_root.setdefault(root(term), set()).add(term)
        self.shortened = {r[:-1] for r in self.by_root if len(r) > MIN_ROOT}

    def equivalents(self, term: str) -> set[str]:
        """Terms sharing `term`'s root, or one letter off it ("finn" / "fin")."""
        r = root(term)
        found = set(self.by_root.get(r, ()))
        if len(r) > MIN_ROOT:
            found |= self.by_root.get(r[:-1], set())
        if r in self.shortened:
            found |= {t for k, ts in self.by_root.items() if k[:-1] == r for t in ts}
        return found

    def has(self, term: str) -> bool:
        r = root(term)
        return r in self.by_root or r[:-1] in self.by_root or r in self.shortened


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
        self._roots = _Roots(())
        self._stem = _stemmer()
        self._question_stopwords = _question_stopwords()
        # A question is tokenized once for unknown terms, the coverage gap and the composer.
        self._question_words = lru_cache(maxsize=256)(self._content_words)

    def warm_up(self) -> None:
        """Build the index now."""
        self.refresh()

    def _content_words(self, question: str) -> tuple[str, ...]:
        """The stemmed words of `question` less function words and ways of asking."""
        return tuple(t for t in self._tokenize([question], self._question_stopwords).vocab if t)

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
                self._roots = _Roots(self._vocab)
                self._idf = _idf(tokens, len(chunks))
                self._max_idf = max(self._idf.values(), default=1.0)
                words = {i: term for term, i in tokens.vocab.items()}
                self._terms = {
                    c.id: frozenset(words[i] for i in ids)
                    for c, ids in zip(chunks, tokens.ids, strict=True)
                }
            else:
                self._bm25, self._vocab, self._idf, self._terms = None, frozenset(), {}, {}
                self._roots = _Roots(())
            self._built_for = signature

    def search(self, query: str, k: int) -> list[LexicalHit]:
        """The `k` best chunks by BM25 (chunks with a zero score are left out)."""
        self.refresh()
        if self._bm25 is None or not self._ids:
            return []
        tokens = self._tokenize([query])
        missing = [t for t in tokens.vocab if t and t not in self._vocab]
        if missing:  # "Swedish" is searched as "Sweden" where the corpus says only that
            extra = sorted({e for t in missing for e in self._roots.equivalents(t)})
            if extra:
                tokens = self._tokenize([" ".join([query, *extra])])
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
        words = self._question_words(text)
        return sorted(t for t in words if t not in self._vocab and not self._roots.has(t))

    def question_terms(self, question: str) -> dict[str, float]:
        """The question's content terms (stemmed), each weighted by its IDF (a term the
        documents never use weighs most)."""
        self.refresh()
        return {t: self._idf.get(t, self._max_idf) for t in self._question_words(question)}

    def terms_of(self, text: str) -> set[str]:
        """The stemmed terms of `text`."""
        return {t for t in self._tokenize([text]).vocab if t}

    def terms_of_each(self, texts: Sequence[str]) -> list[set[str]]:
        """The stemmed terms of each of `texts` (one tokenizer call)."""
        if not texts:
            return []
        tokens = self._tokenize(texts)
        words = {i: term for term, i in tokens.vocab.items()}
        return [{words[i] for i in ids if words[i]} for ids in tokens.ids]

    @staticmethod
    def matches(term: str, present: set[str]) -> bool:
        """Whether `present` holds `term` or a term sharing its root."""
        return term in present or _Roots(present).has(term)

    @staticmethod
    def covered(weights: dict[str, float], present: set[str]) -> float:
        """IDF-weighted share (0-1) of the terms in `weights` found in `present` (by root)."""
        total = sum(weights.values())
        if not total:
            return 1.0
        roots = _Roots(present)
        return sum(w for t, w in weights.items() if t in present or roots.has(t)) / total

    def coverage_gap(self, question: str, passages: Sequence[Chunk]) -> float:
        """IDF-weighted share of the question's terms that none of `passages` contains (0-1).

        Passages that are about the question's topic but lack what it asks for ("the annual
        budget", "in Estonia", "founded") leave a gap; rare terms weigh more than common ones,
        and a term the documents never use weighs most. Function words ("did", "one") are not
        counted.
        """
        weights = self.question_terms(question)
        if not weights:
            return 0.0
        present: set[str] = set()
        for chunk in passages:  # terms indexed at build time; a chunk added since is tokenized
            known = self._terms.get(chunk.id)
            present |= known if known is not None else self.terms_of(chunk.embedding_text)
        return 1.0 - self.covered(weights, present)


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
