"""The question-answering pipeline: retrieve, rank, read, decide, compose, verify.

`Assistant` runs the stages it is given (`assistant.stages`); it builds none of them. The
container (`assistant.container`) chooses and wires them from settings.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from assistant.answer.answer_types import comparison_parts, mentions, side_items
from assistant.answer.composer import refusal
from assistant.answer.explain import explain_trace
from assistant.answer.followup import rewrite
from assistant.answer.generator import declined
from assistant.answer.reading import Reading
from assistant.embedder import Embedder
from assistant.errors import LLMUnavailableError
from assistant.language import normalise, question_language
from assistant.messages import language_names, message
from assistant.retrieval.hybrid import query_vector
from assistant.retrieval.lexical import LexicalIndex
from assistant.settings import Settings
from assistant.stages import (
    Answerability,
    Composer,
    Generator,
    Ranker,
    Retriever,
    UnitScorer,
    Verifier,
)
from assistant.storage.store import Filters, build_where
from assistant.text import snippet
from assistant.types import (
    Answer,
    Citation,
    CitationsEvent,
    DeltaEvent,
    DoneEvent,
    ScoredChunk,
    StreamEvent,
)

log = logging.getLogger(__name__)

MAX_CONTEXT_TURNS = 3
SIDE_PASSAGES = 3
"""Passages each side of a comparison adds, searched on its own (`Assistant._with_sides`)."""
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


@dataclass(frozen=True)
class Read:
    """What reading gave for one question, with the inputs of the decision."""

    reading: Reading
    unknown: list[str]
    gap: float
    searched: str
    """The question as searched (a follow-up rewritten to stand alone)."""
    language: str = "en"
    """The question's language (ISO 639-1): requested, detected, or the conversation's."""


class Assistant:
    """Answers questions from the indexed documents, with citations, or declines."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        lexical: LexicalIndex,
        retriever: Retriever,
        ranker: Ranker,
        scorer: UnitScorer,
        answerability: Answerability,
        composer: Composer,
        verifier: Verifier,
        generator: Generator | None = None,
    ) -> None:
        self._settings = settings
        self._embedder = embedder
        self.lexical = lexical
        self._uses_lexical = (
            settings.retrieval.bm25_weight > 0 or settings.answer.unknown_term_penalty > 0
        )
        self._retriever = retriever
        self._ranker = ranker
        self._scorer = scorer
        self._answerability = answerability
        self._composer = composer
        self._verifier = verifier
        self._generator = generator

    def warm_up(self) -> None:
        """Load every stage's models and indexes now rather than on the first question."""
        self._embedder.warm_up()
        stages = (
            self._retriever,
            self._ranker,
            self._scorer,
            self._answerability,
            self._composer,
            self._verifier,
        )
        for stage in stages:
            stage.warm_up()

    def answer(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: Filters | None = None,
        top_k: int | None = None,
        explain: bool = False,
        language: str | None = None,
        preferred: str | None = None,
    ) -> Answer:
        """A grounded answer to `question` in the context of `history` (with its explain trace
        in `Answer.explain` when `explain`; `language`: a BCP 47 tag overriding detection;
        `preferred`: the client's language, used when neither the question nor the conversation
        tells theirs)."""
        for event in self.stream(question, history, filters, top_k, explain, language, preferred):
            if isinstance(event, DoneEvent):
                return event.answer
        raise AssertionError("stream ended without an answer")  # pragma: no cover

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: Filters | None = None,
        top_k: int | None = None,
        explain: bool = False,
        language: str | None = None,
        preferred: str | None = None,
    ) -> Iterator[StreamEvent]:
        """The answer as events: citations first, then text increments, then the final answer.

        The text of the `DoneEvent` is authoritative: a client replaces what it streamed with it
        (in generative mode verification may drop sentences the model produced).
        """
        build_where(filters)  # validate before any model work
        read = self.read(question, history, filters, top_k, language, preferred)
        reading, unknown, gap, searched = read.reading, read.unknown, read.gap, read.searched
        hits = reading.hits
        decision = self._answerability.decide(reading, unknown, gap)
        extractive = self._composer.compose(searched, reading, decision)
        extractive = replace(
            extractive,
            evidence_score=round(decision.evidence, 4),
            unknown_terms=list(unknown),
            coverage_gap=round(gap, 4),
            language=read.language,
        )
        if not extractive.refused:
            extractive = self._verified(extractive, hits)
        if explain:
            shares = getattr(self._scorer, "contributions", None)
            trace = explain_trace(
                question, searched, len(history), hits, reading, decision, extractive, shares
            )
            extractive = replace(extractive, explain=trace)
        if self._generator is None or extractive.refused:
            yield from _replay(extractive)
            return
        yield from self._generate(question, hits, extractive)

    def read(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: Filters | None = None,
        top_k: int | None = None,
        language: str | None = None,
        preferred: str | None = None,
    ) -> Read:
        """Retrieve, rank and read: the scored units `answer` decides and composes from
        (`language`: a BCP 47 tag overriding the question's detected language; `preferred`: the
        client's, when neither the question nor the conversation tells)."""
        settings = self._settings.language
        asked = question_language(
            question,
            [t.content for t in history if t.role == "user"],
            language,
            settings.default,
            settings.min_confidence,
            preferred,
        )
        written = self._written(question, history)
        searched = question
        if self._generator is not None and history and self._settings.llm.condense:
            try:
                pairs = [(t.role, t.content) for t in history]
                searched = self._generator.condense(question, pairs)
                own, hits = self._search(searched, (), filters, top_k, written)
            except LLMUnavailableError as exc:
                log.warning("condensation skipped: %s", exc)
                searched = question
                own, hits = self._search(question, history, filters, top_k, written)
        else:
            searched = rewrite(question, [(t.role, t.content) for t in history])
            if searched != question:  # it stands alone now
                own, hits = self._search(searched, (), filters, top_k, written)
            else:
                own, hits = self._search(question, history, filters, top_k, written)
        sides = comparison_parts(searched) if written == "en" else []
        if sides:
            hits = self._with_sides(hits, sides, filters, written)
        unknown = self.lexical.unknown_terms(searched) if self._uses_lexical else []
        gap = self.lexical.coverage_gap(searched, [h.chunk for h in hits[:3]])
        # Read in the language the question is written in (a requested language words the
        # answer; it does not make an English question a French one).
        reading = replace(self._scorer.read(searched, own, hits, written), language=asked)
        return Read(reading, unknown, gap, searched, asked)

    def _with_sides(
        self,
        hits: list[ScoredChunk],
        sides: Sequence[str],
        filters: Filters | None,
        written: str,
    ) -> list[ScoredChunk]:
        """A comparison's passages and, after them, the best few of each side searched on its
        own ("…, Estonia?", "…, Lithuania?") when no passage found for the whole question names
        that side: its evidence may sit where the whole question does not reach."""
        seen = {h.chunk.id for h in hits}
        out = list(hits)
        texts = [h.chunk.embedding_text for h in hits]
        for side, items in zip(sides, side_items(list(sides)), strict=True):
            if not items or any(mentions(items, text) for text in texts):
                continue
            _, found = self._search(side, (), filters, SIDE_PASSAGES, written)
            for hit in found[:SIDE_PASSAGES]:
                if hit.chunk.id not in seen:
                    seen.add(hit.chunk.id)
                    out.append(replace(hit, rank=len(out)))
        return out

    def _verified(self, answer: Answer, hits: Sequence[ScoredChunk]) -> Answer:
        """An extractive answer after citation verification."""
        by_id = {hit.chunk.id: hit for hit in hits}
        passages = {c.n: by_id[c.chunk_id] for c in answer.citations if c.chunk_id in by_id}
        checked = self._verifier.verify(answer.answer, passages, generated=False)
        if not checked.citations:
            return replace(
                refusal(hits, answer.evidence_score, answer.language),
                unknown_terms=answer.unknown_terms,
                coverage_gap=answer.coverage_gap,
            )
        note = " ".join(
            p for p in (_source_notice(answer.language, checked.citations), answer.note) if p
        )
        return replace(
            answer,
            note=note,
            answer=_with_note(note, checked.answer),
            citations=checked.citations,
            support=checked.support,
            flagged=checked.flagged,
        )

    def _generate(
        self, question: str, hits: Sequence[ScoredChunk], fallback: Answer
    ) -> Iterator[StreamEvent]:
        assert self._generator is not None
        passages = self._generator.passages(hits)
        yield CitationsEvent([_candidate(n, hit) for n, hit in passages.items()])
        parts: list[str] = []
        try:
            for piece in self._generator.stream(question, passages, fallback.language):
                parts.append(piece)
                yield DeltaEvent(piece)
        except LLMUnavailableError as exc:
            log.warning("generative mode unavailable, answering extractively: %s", exc)
            yield DoneEvent(fallback)
            return
        text = "".join(parts).strip()
        evidence = fallback.evidence_score
        declined_answer = replace(
            refusal(hits, evidence, fallback.language),
            mode="generative",
            language=fallback.language,
        )
        if not text or declined(text):
            yield DoneEvent(declined_answer)
            return
        checked = self._verifier.verify(text, passages, generated=True, language=fallback.language)
        if not checked.citations:
            yield DoneEvent(replace(declined_answer, flagged=checked.flagged))
            return
        yield DoneEvent(
            Answer(
                answer=checked.answer,
                citations=checked.citations,
                refused=False,
                evidence_score=evidence,
                unknown_terms=fallback.unknown_terms,
                support=checked.support,
                mode="generative",
                flagged=checked.flagged,
                language=fallback.language,
            )
        )

    def retrieve(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: Filters | None = None,
        top_k: int | None = None,
    ) -> list[ScoredChunk]:
        """The passages `answer` would read, best first."""
        build_where(filters)  # validate before any model work
        return self._search(question, history, filters, top_k, self._written(question, history))[1]

    def _written(self, question: str, history: Sequence[Turn]) -> str:
        """The language `question` is written in (that of the conversation when the question
        alone does not say, English when nothing does): what it is read in."""
        earlier = [t.content for t in history if t.role == "user"]
        return question_language(
            question, earlier, None, "en", self._settings.language.min_confidence
        )

    def _search(
        self,
        question: str,
        history: Sequence[Turn],
        filters: Filters | None,
        top_k: int | None,
        language: str = "en",
    ) -> tuple[np.ndarray, list[ScoredChunk]]:
        """Hits for `question`, and the vector answer sentences are scored against."""
        context = [t.content for t in reversed(history) if t.role == "user"][:MAX_CONTEXT_TURNS]
        own, mixed = query_vector(self._embedder, question.strip(), context)
        lexical_query = " ".join([question, *context])
        k = top_k or self._settings.retrieval.top_k
        pool = max(k, self._ranker.candidates)
        fused = self._retriever.retrieve(lexical_query, mixed, pool, filters, language)
        hits = self._ranker.rank(question, fused, k)
        # A follow-up ("when is the one in Charleroi?") is scored with the turns before it.
        return (mixed if context else own), hits


def _source_notice(language: str, citations: Sequence[Citation]) -> str:
    """When a cited passage is in another language than the question, a notice in the
    question's language that quotes keep their own (never a translation passed off as one)."""
    quoted = [normalise(c.language) or c.language or "en" for c in citations]
    if all(code == language for code in quoted):
        return ""
    return message("source_language", language, languages=language_names(quoted, language))


def _with_note(note: str, text: str) -> str:
    """The answer text after its note, the note on a line of its own (the widget shows it as
    a paragraph before the quotes)."""
    if not note:
        return text
    return f"{note}\n{text}"


def _replay(answer: Answer) -> Iterator[StreamEvent]:
    """A finished answer as stream events."""
    yield CitationsEvent(answer.citations)
    for piece in text_pieces(answer.answer):
        yield DeltaEvent(piece)
    yield DoneEvent(answer)


def _candidate(n: int, hit: ScoredChunk) -> Citation:
    """A passage handed to the model, as a citation not verified yet."""
    return Citation.of(hit, n, snippet(hit.chunk.text), verified=False)
