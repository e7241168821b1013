"""The question-answering pipeline: retrieve, compose, cite."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.composer import ExtractiveComposer
from assistant.embedder import Embedder
from assistant.lexical import LexicalIndex
from assistant.retriever import HybridRetriever, query_vector
from assistant.settings import Settings
from assistant.store import ChunkStore, Filters, build_where
from assistant.types import (
    Answer,
    CitationsEvent,
    DeltaEvent,
    DoneEvent,
    ScoredChunk,
    StreamEvent,
)

MAX_CONTEXT_TURNS = 3
_PIECE = re.compile(r"\S+\s*")
WORDS_PER_DELTA = 3


def text_pieces(text: str, words: int = WORDS_PER_DELTA) -> Iterator[str]:
    """`text` in pieces of a few words (white space kept), for streaming a finished answer."""
    tokens = _PIECE.findall(text)
    lead = text[: len(text) - len(text.lstrip())]
    if lead:
        yield lead
    for start in range(0, len(tokens), words):
        yield "".join(tokens[start : start + words])


@dataclass(frozen=True)
class Turn:
    """One earlier message of the conversation."""

    role: str
    content: str


class Assistant:
    """Answers questions from the indexed documents, with citations, or declines."""

    def __init__(self, settings: Settings, embedder: Embedder, store: ChunkStore) -> None:
        self._settings = settings
        self._embedder = embedder
        self._store = store
        self.lexical = LexicalIndex(store, self._store_signature)
        self._uses_lexical = (
            settings.retrieval.bm25_weight > 0 or settings.answer.unknown_term_penalty > 0
        )
        self._retriever = HybridRetriever(
            store,
            self.lexical,
            settings.retrieval.bm25_weight,
            settings.retrieval.candidates,
        )
        self._composer = ExtractiveComposer(embedder, settings.answer, store.unit_vectors)

    def answer(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: Filters | None = None,
        top_k: int | None = None,
    ) -> Answer:
        """A grounded answer to `question` in the context of `history`."""
        own, hits = self._search(question, history, filters, top_k)
        unknown = self.lexical.unknown_terms(question) if self._uses_lexical else []
        return self._composer.compose(question, own, hits, unknown)

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: Filters | None = None,
        top_k: int | None = None,
    ) -> Iterator[StreamEvent]:
        """The answer as events: citations first, then text increments, then the final answer.

        The text of the `DoneEvent` is authoritative: a client replaces what it streamed with it
        (in generative mode verification may drop sentences the model produced).
        """
        answer = self.answer(question, history, filters, top_k)
        yield CitationsEvent(answer.citations)
        for piece in text_pieces(answer.answer):
            yield DeltaEvent(piece)
        yield DoneEvent(answer)

    def retrieve(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: Filters | None = None,
        top_k: int | None = None,
    ) -> list[ScoredChunk]:
        """The passages `answer` would read, best first."""
        return self._search(question, history, filters, top_k)[1]

    def _search(
        self,
        question: str,
        history: Sequence[Turn],
        filters: Filters | None,
        top_k: int | None,
    ) -> tuple[np.ndarray, list[ScoredChunk]]:
        build_where(filters)  # validate before any model work
        context = [t.content for t in reversed(history) if t.role == "user"][:MAX_CONTEXT_TURNS]
        own, mixed = query_vector(self._embedder, question.strip(), context)
        lexical_query = " ".join([question, *context])
        hits = self._retriever.retrieve(
            lexical_query, mixed, top_k or self._settings.retrieval.top_k, filters
        )
        return own, hits

    def _store_signature(self) -> tuple[int, int]:
        """Changes whenever ingestion changed the store: chunk count and manifest mtime."""
        manifest = self._settings.manifest_path
        mtime = manifest.stat().st_mtime_ns if manifest.exists() else 0
        return self._store.count(), mtime
