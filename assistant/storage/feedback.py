"""Ratings of answers (thumbs up/down), stored durably in SQLite next to the vector store.

One short-lived connection per call (SQLite serialises writers; WAL lets readers run alongside),
so the store is safe to use from any thread. The export turns every rating into a case of the
evaluation dataset format (the JSONL rows `evals.datasets.load_jsonl` reads), so that a thumbs-down
becomes a regression case once someone has written down what the right answer was.

Export row fields:

- `id` (``feedback-<n>``), `question`, `history` (the conversation before the question),
  `kind` (``feedback-up`` / ``feedback-down``);
- `answerable`: true, except for a thumbs-up on a refusal (the refusal was right). A refusal is
  recognised by its having no citations;
- `gold_doc_ids` and `reference_answer`: the cited documents and the answer of a thumbs-up on an
  answer (the user accepted them); empty for a thumbs-down, to be filled in by a reviewer;
- extra fields the evaluation ignores: `rating`, `comment`, `answer`, `citations`, `request_id`,
  `created_at`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from assistant.storage.sqlite import SqliteFile

Rating = Literal["up", "down"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    messages TEXT NOT NULL,
    request_id TEXT
)
"""


@dataclass(frozen=True)
class CitedSource:
    """Which passage a citation marker `[n]` of the rated answer pointed to."""

    n: int
    chunk_id: str
    doc_id: str


@dataclass(frozen=True)
class Feedback:
    """One rating of one answer."""

    rating: Rating
    question: str
    answer: str
    comment: str | None = None
    citations: Sequence[CitedSource] = ()
    messages: Sequence[tuple[str, str]] = ()
    """The conversation before the question, as (role, content) pairs."""
    request_id: str | None = None


@dataclass(frozen=True)
class StoredFeedback:
    """A rating as stored, with its id and time."""

    id: int
    created_at: str
    feedback: Feedback


class FeedbackStore:
    """Append-only store of ratings in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._db = SqliteFile(path, _SCHEMA)

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    def add(self, feedback: Feedback) -> int:
        """Store a rating durably; returns its id."""
        row = (
            datetime.now(UTC).isoformat(timespec="seconds"),
            feedback.rating,
            feedback.comment,
            feedback.question,
            feedback.answer,
            json.dumps(
                [{"n": c.n, "chunk_id": c.chunk_id, "doc_id": c.doc_id} for c in feedback.citations]
            ),
            json.dumps([{"role": r, "content": c} for r, c in feedback.messages]),
            feedback.request_id,
        )
        return self._db.insert(
            "INSERT INTO feedback (created_at, rating, comment, question, answer, citations,"
            " messages, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )

    def count(self) -> int:
        """Ratings stored."""
        return self._db.count("feedback")

    def all(self) -> Iterator[StoredFeedback]:
        """Every rating, oldest first."""
        rows = self._db.rows(
            "SELECT id, created_at, rating, comment, question, answer, citations, messages,"
            " request_id FROM feedback ORDER BY id"
        )
        for fid, created, rating, comment, question, answer, cits, msgs, request_id in rows:
            citations = [
                CitedSource(int(c["n"]), str(c["chunk_id"]), str(c["doc_id"]))
                for c in json.loads(cits)
            ]
            messages = [(str(m["role"]), str(m["content"])) for m in json.loads(msgs)]
            yield StoredFeedback(
                int(fid),
                str(created),
                Feedback(rating, question, answer, comment, citations, messages, request_id),
            )

    def export_cases(self) -> Iterator[dict[str, Any]]:
        """Every rating as a row of the evaluation dataset format (see the module docstring)."""
        for stored in self.all():
            yield as_eval_case(stored)


def as_eval_case(stored: StoredFeedback) -> dict[str, Any]:
    """One rating as an evaluation case (the JSONL format of `evals.datasets`)."""
    fb = stored.feedback
    history = [{"role": role, "content": content} for role, content in fb.messages]
    # Tolerate clients that send the rated exchange itself as the last two messages.
    if (
        len(history) >= 2
        and history[-1]["role"] == "assistant"
        and history[-2]
        == {
            "role": "user",
            "content": fb.question,
        }
    ):
        history = history[:-2]
    elif history and history[-1] == {"role": "user", "content": fb.question}:
        history = history[:-1]
    refused = not fb.citations
    accepted = fb.rating == "up"
    gold_doc_ids = list(dict.fromkeys(c.doc_id for c in fb.citations)) if accepted else []
    return {
        "id": f"feedback-{stored.id}",
        "question": fb.question,
        "answerable": not (accepted and refused),
        "kind": f"feedback-{fb.rating}",
        "history": history,
        "gold_doc_ids": gold_doc_ids,
        "reference_answer": fb.answer if accepted and not refused else "",
        "rating": fb.rating,
        "comment": fb.comment,
        "answer": fb.answer,
        "citations": [{"n": c.n, "chunk_id": c.chunk_id, "doc_id": c.doc_id} for c in fb.citations],
        "request_id": fb.request_id,
        "created_at": stored.created_at,
    }
