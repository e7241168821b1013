"""Questions the documents could not answer: recorded as the service answers, grouped by topic
for the staff who add the missing documents."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.embedder import Embedder
from assistant.pipeline import Assistant, Turn
from assistant.storage.unanswered import StoredUnanswered, Unanswered, UnansweredStore
from assistant.types import Answer, DoneEvent, NearestSection, StreamEvent

log = logging.getLogger(__name__)

TOPIC_SIMILARITY = 0.4
"""Average all-MiniLM cosine at which questions share a topic. Measured on the gold and
real-policy dev halves (2026-12-04, commit 4dc24e1, AMD EPYC 2 cores): for pairs of questions
whose gold is the same section or page against all other pairs, a cosine of 0.4 separated them
best (balanced accuracy 0.83 and 0.86; 0.35: 0.78 and 0.85; 0.5: 0.59 and 0.73)."""


def record(
    store: UnansweredStore,
    answer: Answer,
    question: str,
    history: Sequence[Turn] = (),
    request_id: str | None = None,
) -> int | None:
    """Keep `question` when its answer declined or said the asked value is absent; the entry's
    id, or None (answered, or the store could not be written: the answer is not failed for
    it)."""
    if answer.coverage == "full" and not answer.refused:
        return None
    if answer.refused:
        nearest = list(answer.nearest)
    else:
        seen: dict[str, NearestSection] = {}
        for c in answer.citations:
            seen.setdefault(f"{c.doc_id}|{c.section}", NearestSection(c.doc_id, c.title, c.section))
        nearest = list(seen.values())
    entry = Unanswered(
        question=question,
        coverage="none" if answer.refused else "partial",
        evidence=answer.evidence_score,
        nearest=nearest,
        messages=[(t.role, t.content) for t in history],
        language=answer.language,
        request_id=request_id,
    )
    try:
        return store.add(entry)
    except Exception as exc:  # sqlite3 raises many kinds; the user's answer must not fail
        log.warning("unanswered question not recorded: %s", exc)
        return None


@dataclass(frozen=True)
class Recorder:
    """What the answer routes call after each answer: keeps the unanswered ones when
    `enabled` (`api.record_unanswered`)."""

    store: UnansweredStore
    enabled: bool = True

    def answer(
        self,
        assistant: Assistant,
        question: str,
        history: Sequence[Turn],
        request_id: str | None,
        *options: Any,
    ) -> Answer:
        """`assistant.answer(question, history, *options)`, kept when unanswered: one call for
        the routes to run off the event loop."""
        answer = assistant.answer(question, history, *options)
        self(answer, question, history, request_id)
        return answer

    def __call__(
        self,
        answer: Answer,
        question: str,
        history: Sequence[Turn] = (),
        request_id: str | None = None,
    ) -> int | None:
        """The entry's id when kept, else None."""
        if not self.enabled:
            return None
        return record(self.store, answer, question, history, request_id)


def recorded(
    events: Iterator[StreamEvent],
    recorder: Recorder,
    question: str,
    history: Sequence[Turn] = (),
    request_id: str | None = None,
) -> Iterator[StreamEvent]:
    """`events` as they come, the final answer recorded when it is unanswered."""
    for event in events:
        if isinstance(event, DoneEvent):
            recorder(event.answer, question, history, request_id)
        yield event


@dataclass(frozen=True)
class Topic:
    """Questions on one topic: the one closest to the others names it."""

    name: str
    entries: list[StoredUnanswered]


def topics(
    entries: Sequence[StoredUnanswered], embedder: Embedder, similarity: float = TOPIC_SIMILARITY
) -> list[Topic]:
    """`entries` grouped by topic (agglomerative clustering of the questions' embeddings,
    average linkage, cut at `similarity`), largest group first, then most recent."""
    if not entries:
        return []
    vectors = embedder.embed([e.entry.question for e in entries])
    if len(entries) == 1:
        labels = np.zeros(1, dtype=int)
    else:
        from sklearn.cluster import AgglomerativeClustering

        labels = AgglomerativeClustering(
            n_clusters=None,
            metric="cosine",
            linkage="average",
            distance_threshold=1.0 - similarity,
        ).fit_predict(vectors)
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), []).append(i)
    out = []
    for members in groups.values():
        block = vectors[members]
        central = members[int(np.argmax((block @ block.T).sum(axis=1)))]
        ordered = sorted(members, key=lambda i: -entries[i].id)
        out.append(Topic(entries[central].entry.question, [entries[i] for i in ordered]))
    return sorted(out, key=lambda t: (-len(t.entries), -t.entries[0].id))
