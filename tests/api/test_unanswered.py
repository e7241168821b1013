"""The questions the documents could not answer: recorded by the answer routes (JSON and
streams), listed by topic, exported and removed by the admin; the real stack throughout."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from evals.datasets import load_jsonl
from tests.api.conftest import ADMIN_KEY, admin, app_for
from tests.conftest import Stack

pytestmark = pytest.mark.integration

BUDGET = "What is the annual budget of the European Clusters Alliance?"
BUDGET_AGAIN = "How much money does the European Clusters Alliance spend every year?"
FOOTBALL = "Who won the football world cup in 1998?"
ANSWERED = "What is the mission of the ECCP?"


def client(indexed: Stack, tmp_path: Path, **api: object) -> TestClient:
    return TestClient(
        app_for(indexed, tmp_path / "feedback.sqlite3", admin_api_key=ADMIN_KEY, **api)
    )


def test_declined_and_partial_questions_are_listed_by_topic(indexed: Stack, tmp_path: Path) -> None:
    with client(indexed, tmp_path) as c:
        answered = c.post("/v1/ask", json={"question": ANSWERED}).json()
        assert answered["coverage"] == "full"
        for question in (BUDGET, BUDGET_AGAIN):
            assert c.post("/v1/ask", json={"question": question}).json()["coverage"] != "full"
        streamed = c.post(
            "/v1/chat", json={"messages": [{"role": "user", "content": FOOTBALL}], "stream": True}
        )
        assert streamed.status_code == 200 and "event: done" in streamed.text
        listed = c.get("/v1/admin/unanswered", headers=admin()).json()
    assert listed["total"] == 3 and listed["recording"] is True
    groups = {frozenset(q["question"] for q in t["questions"]) for t in listed["topics"]}
    assert frozenset({BUDGET, BUDGET_AGAIN}) in groups and frozenset({FOOTBALL}) in groups
    assert listed["topics"][0]["count"] == 2  # the largest group first
    football = next(
        q for t in listed["topics"] for q in t["questions"] if q["question"] == FOOTBALL
    )
    assert football["coverage"] == "none" and football["nearest"]  # the sections it named
    assert all(n["doc_id"] and n["title"] for n in football["nearest"])


def test_the_list_is_exported_as_evaluation_cases_and_entries_removed(
    indexed: Stack, tmp_path: Path
) -> None:
    with client(indexed, tmp_path) as c:
        c.post(
            "/v1/chat",
            json={
                "messages": [
                    {"role": "user", "content": "What is the ECCP?"},
                    {
                        "role": "assistant",
                        "content": "The European Cluster Collaboration Platform.",
                    },
                    {"role": "user", "content": FOOTBALL},
                ]
            },
        )
        assert c.get("/v1/admin/unanswered").status_code == 401
        assert c.get("/v1/admin/unanswered/export").status_code == 401
        export = c.get("/v1/admin/unanswered/export", headers=admin())
        assert export.headers["content-type"].startswith("application/x-ndjson")
        path = tmp_path / "unanswered.jsonl"
        path.write_text(export.text, encoding="utf-8")
        [case] = load_jsonl(path)
        assert case.question == FOOTBALL and case.answerable and not case.gold_doc_ids
        assert [m["role"] for m in case.history] == ["user", "assistant"]
        entry = c.get("/v1/admin/unanswered", headers=admin()).json()["topics"][0]["questions"][0]
        assert entry["turns_before"] == 2
        assert c.delete(f"/v1/admin/unanswered/{entry['id']}").status_code == 401
        assert c.delete(f"/v1/admin/unanswered/{entry['id']}", headers=admin()).status_code == 204
        assert c.delete(f"/v1/admin/unanswered/{entry['id']}", headers=admin()).status_code == 404
        assert c.delete("/v1/admin/unanswered/0", headers=admin()).status_code == 422
        assert c.get("/v1/admin/unanswered", headers=admin()).json()["total"] == 0


def test_recording_can_be_turned_off(indexed: Stack, tmp_path: Path) -> None:
    with client(indexed, tmp_path, record_unanswered=False) as c:
        assert c.post("/v1/ask", json={"question": FOOTBALL}).json()["refused"]
        completion = c.post(
            "/v1/chat/completions",
            json={
                "model": "cluster-policy-assistant",
                "messages": [{"role": "user", "content": FOOTBALL}],
            },
        )
        assert completion.status_code == 200
        listed = c.get("/v1/admin/unanswered", headers=admin()).json()
    assert listed == {"total": 0, "recording": False, "topics": []}
