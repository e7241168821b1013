"""The SQLite ratings store and its export to evaluation cases."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from assistant.storage.feedback import CitedSource, Feedback, FeedbackStore

pytestmark = pytest.mark.unit

CITED = [CitedSource(1, "eca:abc", "eca"), CitedSource(2, "eca:def", "eca")]


def test_ratings_are_stored_durably_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "feedback.sqlite3"
    store = FeedbackStore(path)
    first = store.add(Feedback("up", "What is a cluster?", "A group [1].", citations=CITED))
    second = store.add(Feedback("down", "Budget?", "Not covered.", comment="wrong"))
    assert (first, second) == (1, 2)
    reopened = FeedbackStore(path)
    assert reopened.count() == 2
    rows = list(reopened.all())
    assert rows[0].feedback.citations == CITED and rows[1].feedback.comment == "wrong"
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_concurrent_writers_all_land(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    ids: list[int] = []

    def write(n: int) -> None:
        for i in range(10):
            ids.append(store.add(Feedback("up", f"q{n}-{i}", "a")))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(ids) == list(range(1, 81)) and store.count() == 80


def test_export_rules(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    history = [("user", "Hi"), ("assistant", "Hello")]
    store.add(Feedback("up", "What is a cluster?", "A group [1].", citations=CITED))
    store.add(Feedback("up", "Who won in 1998?", "The documents do not say."))
    # A client that sends the rated exchange itself at the end of the conversation.
    store.add(
        Feedback(
            "down",
            "Budget?",
            "It is 5 M [1].",
            citations=CITED[:1],
            messages=[*history, ("user", "Budget?"), ("assistant", "It is 5 M [1].")],
            request_id="r-9",
        )
    )
    accepted, right_refusal, wrong = store.export_cases()
    assert accepted["answerable"] is True and accepted["gold_doc_ids"] == ["eca"]
    assert accepted["reference_answer"] == "A group [1]." and accepted["kind"] == "feedback-up"
    assert right_refusal["answerable"] is False and right_refusal["reference_answer"] == ""
    assert wrong["answerable"] is True and wrong["gold_doc_ids"] == []
    assert wrong["history"] == [{"role": r, "content": c} for r, c in history]
    assert wrong["request_id"] == "r-9" and wrong["answer"] == "It is 5 M [1]."
    assert [row["id"] for row in (accepted, right_refusal, wrong)] == [
        "feedback-1",
        "feedback-2",
        "feedback-3",
    ]
