"""Questions the documents could not answer: declines and partial answers, kept so that the
portal's staff can see what is missing and add the document that answers it.

Stored in the feedback database (its own table, SQLite, one short-lived connection per call, as
`assistant.storage.feedback`). What is kept: the question, the conversation before it, when, the
coverage (`none`: declined, `partial`: the value asked for is absent), the evidence score, the
nearest sections the answer named, the question's language and the request id. No client
address or key is stored. `ApiSettings.record_unanswered` turns recording off.

The export turns every entry into a case of the evaluation dataset format (the JSONL rows of
`evals.datasets.load_jsonl`): answerable, with no gold yet, so that once the missing document is
added and someone writes down the answer, the question becomes a regression case.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from assistant.storage.sqlite import SqliteFile
from assistant.types import NearestSection

Coverage = Literal["none", "partial"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS unanswered (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    messages TEXT NOT NULL,
    coverage TEXT NOT NULL CHECK (coverage IN ('none', 'partial')),
    evidence REAL NOT NULL,
    nearest TEXT NOT NULL,
    language TEXT NOT NULL,
    request_id TEXT
)
"""


@dataclass(frozen=True)
class Unanswered:
    """One question the documents did not (fully) answer."""

    question: str
    coverage: Coverage
    evidence: float = 0.0
    nearest: Sequence[NearestSection] = ()
    messages: Sequence[tuple[str, str]] = ()
    """The conversation before the question, as (role, content) pairs."""
    language: str = "en"
    request_id: str | None = None


@dataclass(frozen=True)
class StoredUnanswered:
    """An entry as stored, with its id and time."""

    id: int
    created_at: str
    entry: Unanswered = field(repr=False)


class UnansweredStore:
    """Append-only list of unanswered questions in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._db = SqliteFile(path, _SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return self._db.connect()

    def add(self, entry: Unanswered) -> int:
        """Store one entry durably; returns its id."""
        row = (
            datetime.now(UTC).isoformat(timespec="seconds"),
            entry.question,
            json.dumps([{"role": r, "content": c} for r, c in entry.messages]),
            entry.coverage,
            float(entry.evidence),
            json.dumps(
                [
                    {"doc_id": n.doc_id, "title": n.title, "section": n.section}
                    for n in entry.nearest
                ]
            ),
            entry.language,
            entry.request_id,
        )
        return self._db.insert(
            "INSERT INTO unanswered (created_at, question, messages, coverage, evidence,"
            " nearest, language, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )

    def count(self) -> int:
        """Entries stored."""
        return self._db.count("unanswered")

    def all(self) -> list[StoredUnanswered]:
        """Every entry, oldest first."""
        rows = self._db.rows(
            "SELECT id, created_at, question, messages, coverage, evidence, nearest, language,"
            " request_id FROM unanswered ORDER BY id"
        )
        out = []
        for uid, created, question, msgs, coverage, evidence, nearest, language, rid in rows:
            entry = Unanswered(
                question=str(question),
                coverage=coverage,
                evidence=float(evidence),
                nearest=[
                    NearestSection(str(n["doc_id"]), str(n["title"]), n.get("section"))
                    for n in json.loads(nearest)
                ],
                messages=[(str(m["role"]), str(m["content"])) for m in json.loads(msgs)],
                language=str(language),
                request_id=rid,
            )
            out.append(StoredUnanswered(int(uid), str(created), entry))
        return out

    def delete(self, entry_id: int) -> bool:
        """Remove one entry (the missing document was added); whether it existed."""
        with closing(self._connect()) as conn, conn:
            return conn.execute("DELETE FROM unanswered WHERE id = ?", (entry_id,)).rowcount > 0

    def export_cases(self) -> Iterator[dict[str, Any]]:
        """Every entry as a row of the evaluation dataset format (see the module docstring)."""
        for stored in self.all():
            yield as_eval_case(stored)


def as_eval_case(stored: StoredUnanswered) -> dict[str, Any]:
    """One entry as an evaluation case, its gold to be written by a reviewer."""
    entry = stored.entry
    return {
        "id": f"unanswered-{stored.id}",
        "question": entry.question,
        "answerable": True,
        "kind": f"unanswered-{entry.coverage}",
        "history": [{"role": r, "content": c} for r, c in entry.messages],
        "gold_doc_ids": [],
        "reference_answer": "",
        "language": entry.language,
        "coverage": entry.coverage,
        "evidence": round(entry.evidence, 4),
        "nearest": [
            {"doc_id": n.doc_id, "title": n.title, "section": n.section} for n in entry.nearest
        ],
        "request_id": entry.request_id,
        "created_at": stored.created_at,
    }
