"""POST /v1/feedback and GET /v1/feedback/export: ratings in SQLite, exported as eval cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from evals.datasets import load_jsonl
from tests.api.conftest import ADMIN_KEY, admin, app_for
from tests.conftest import Stack

pytestmark = pytest.mark.e2e

QUESTION = "How many businesses does the European Clusters Alliance reach?"


@pytest.fixture
def client(indexed: Stack, tmp_path: Path) -> TestClient:
    return TestClient(app_for(indexed, tmp_path / "feedback.sqlite3", admin_api_key=ADMIN_KEY))


def chat(client: TestClient, content: str) -> dict[str, Any]:
    response = client.post("/v1/chat", json={"messages": [{"role": "user", "content": content}]})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def rate(client: TestClient, answer: dict[str, Any], question: str, **extra: Any) -> Any:
    return client.post(
        "/v1/feedback",
        json={
            "question": question,
            "answer": answer["answer"],
            "citations": [
                {"n": c["n"], "chunk_id": c["chunk_id"], "doc_id": c["doc_id"]}
                for c in answer["citations"]
            ],
            "request_id": answer["request_id"],
            **extra,
        },
    )


def test_ratings_are_stored_and_exported_as_eval_cases(client: TestClient, tmp_path: Path) -> None:
    good = chat(client, QUESTION)
    response = rate(client, good, QUESTION, rating="up")
    assert response.status_code == 201 and response.json() == {"id": 1}
    refusal = chat(client, "Who won the football world cup in 1998?")
    history = [
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Ask me about cluster policy."},
    ]
    response = rate(
        client,
        refusal,
        "Who won the football world cup in 1998?",
        rating="down",
        comment="Should say it is off-topic more clearly",
        messages=history,
    )
    assert response.status_code == 201 and response.json() == {"id": 2}

    export = client.get("/v1/feedback/export", headers=admin())
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("application/x-ndjson")
    lines = export.text.splitlines()
    assert len(lines) == 2
    rows = [json.loads(line) for line in lines]
    assert rows[0]["rating"] == "up" and rows[0]["kind"] == "feedback-up"
    assert rows[0]["gold_doc_ids"] and "european-clusters-alliance" in rows[0]["gold_doc_ids"]
    assert rows[0]["reference_answer"] == good["answer"] and rows[0]["answerable"] is True
    assert rows[0]["request_id"] == good["request_id"]
    assert rows[1]["history"] == history and rows[1]["comment"].startswith("Should")
    assert rows[1]["gold_doc_ids"] == [] and rows[1]["reference_answer"] == ""

    # The export is a dataset the evaluation reads as it is.
    path = tmp_path / "feedback.jsonl"
    path.write_text(export.text, encoding="utf-8")
    cases = load_jsonl(path)
    assert [c.id for c in cases] == ["feedback-1", "feedback-2"]
    assert cases[0].question == QUESTION and cases[1].history == history


def test_ratings_survive_a_restart(indexed: Stack, tmp_path: Path) -> None:
    db = tmp_path / "feedback.sqlite3"
    first = TestClient(app_for(indexed, db))
    body = {"rating": "down", "question": "What is a cluster?", "answer": "No idea."}
    assert first.post("/v1/feedback", json=body).status_code == 201
    second = TestClient(app_for(indexed, db, admin_api_key=ADMIN_KEY))
    export = second.get("/v1/feedback/export", headers=admin()).text
    assert json.loads(export)["answer"] == "No idea."


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ({"question": "q", "answer": "a"}, "rating"),
        ({"rating": "meh", "question": "q", "answer": "a"}, "rating"),
        ({"rating": "up", "answer": "a"}, "question"),
        ({"rating": "up", "question": "", "answer": "a"}, "question"),
        ({"rating": "up", "question": "q", "answer": "a", "comment": "x" * 2001}, "comment"),
        ({"rating": "up", "question": "q", "answer": "a", "citations": [{"n": "one"}]}, "n"),
        ({"rating": "up", "question": "q", "answer": "a", "messages": [{"role": "x"}]}, "role"),
        ({"rating": "up", "question": "q", "answer": "a", "extra": True}, "extra"),
    ],
)
def test_bad_feedback_gets_422(client: TestClient, payload: dict[str, Any], needle: str) -> None:
    response = client.post("/v1/feedback", json=payload)
    assert response.status_code == 422 and needle in response.json()["detail"]


def test_export_is_admin_only(client: TestClient) -> None:
    assert client.get("/v1/feedback/export").status_code == 401
