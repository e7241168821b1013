"""POST /v1/chat through the real stack: JSON answers and Server-Sent Events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.errors import StoreUnavailableError
from assistant.types import StreamEvent
from tests.api.conftest import app_for, parse_sse, sse_json
from tests.conftest import Stack

pytestmark = pytest.mark.e2e

QUESTION = "How many businesses does the European Clusters Alliance reach?"


@pytest.fixture(scope="module")
def client(indexed: Stack) -> TestClient:
    return TestClient(app_for(indexed))


def ask(client: TestClient, content: str = QUESTION, **extra: Any) -> Any:
    return client.post(
        "/v1/chat", json={"messages": [{"role": "user", "content": content}], **extra}
    )


def test_chat_answers_as_json_with_linked_citations(client: TestClient) -> None:
    response = ask(client)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "answer",
        "citations",
        "refused",
        "evidence_score",
        "support",
        "mode",
        "flagged",
        "coverage",
        "explain",
        "language",
        "request_id",
    }
    assert body["refused"] is False and "150,000" in body["answer"]
    assert body["mode"] == "extractive" and 0.0 < body["support"] <= 1.0
    assert body["request_id"] == response.headers["x-request-id"]
    first = body["citations"][0]
    assert first["verified"] is True
    assert isinstance(first["line"], int)
    assert first["url"] == (
        f"/documents/{first['doc_id']}#chunk={first['chunk_id']}&line={first['line']}"
    )
    assert "european-clusters-alliance" in {c["doc_id"] for c in body["citations"]}


def test_earlier_messages_are_the_history(client: TestClient) -> None:
    response = client.post(
        "/v1/chat",
        json={
            "messages": [
                {
                    "role": "user",
                    "content": "Who are the members of the European Clusters Alliance?",
                },
                {"role": "assistant", "content": "National cluster associations."},
                {"role": "user", "content": "and which one represents Portugal?"},
            ],
            "filters": {"doc_type": ["directory", "facts_and_figures"]},
            "top_k": 8,
        },
    )
    assert response.status_code == 200 and "Portugal Clusters" in response.json()["answer"]


def test_stream_sends_citations_then_deltas_then_done(client: TestClient) -> None:
    response = ask(client, stream=True)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    assert response.text.endswith("\n\n")
    events = sse_json(response.text)
    names = [name for name, _ in events]
    assert names[0] == "citations" and names[-1] == "done"
    assert set(names[1:-1]) == {"delta"} and len(names) > 3
    citations = events[0][1]["citations"]
    done = events[-1][1]
    assert "".join(data["text"] for name, data in events if name == "delta") == done["answer"]
    assert done["citations"] == citations and done["refused"] is False
    assert "150,000" in done["answer"]
    assert done["request_id"] == response.headers["x-request-id"]


def test_stream_of_a_refusal_has_no_citations(client: TestClient) -> None:
    events = sse_json(ask(client, "Who won the football world cup in 1998?", stream=True).text)
    assert events[0] == ("citations", {"citations": []})
    assert events[-1][0] == "done" and events[-1][1]["refused"] is True


def test_an_error_mid_stream_ends_it_with_an_error_event(
    client: TestClient, indexed: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = indexed.container.assistant.stream

    def failing(*args: Any, **kwargs: Any) -> Iterator[StreamEvent]:
        events = real(*args, **kwargs)
        yield next(events)
        yield next(events)
        raise StoreUnavailableError("the Chroma store did not answer: gone")

    monkeypatch.setattr(indexed.container.assistant, "stream", failing)
    response = ask(client, stream=True)
    assert response.status_code == 200
    names = [name for name, _ in sse_json(response.text)]
    assert names == ["citations", "delta", "error"]
    assert "did not answer" in sse_json(response.text)[-1][1]["detail"]


def test_sse_frames_split_multiline_data() -> None:
    from api.sse import sse

    frame = sse("line one\nline two", "delta").decode()
    assert frame == "event: delta\ndata: line one\ndata: line two\n\n"
    assert parse_sse(frame) == [("delta", "line one\nline two")]


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ({}, "messages"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "assistant", "content": "hi"}]}, "last message must be a user"),
        ({"messages": [{"role": "user", "content": "   "}]}, "blank"),
        ({"messages": [{"role": "user", "content": "x" * 2001}]}, "2000"),
        ({"messages": [{"role": "user", "content": "x" * 8001}]}, "8000"),
        ({"messages": [{"role": "system", "content": "x"}]}, "role"),
        ({"messages": [{"role": "user", "content": "ok"}] * 51}, "50"),
        ({"messages": [{"role": "user", "content": "ok"}], "filters": {"colour": "red"}}, "colour"),
        ({"messages": [{"role": "user", "content": "ok"}], "top_k": 0}, "top_k"),
        ({"messages": [{"role": "user", "content": "ok"}], "stream": "often"}, "stream"),
        ({"messages": [{"role": "user", "content": "ok"}], "surprise": 1}, "surprise"),
        ({"messages": "hello"}, "messages"),
    ],
)
def test_bad_chat_requests_get_422_with_a_message(
    client: TestClient, payload: dict[str, Any], needle: str
) -> None:
    response = client.post("/v1/chat", json=payload)
    assert response.status_code == 422
    assert needle in response.json()["detail"]


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[]", b"null", b"\xff\xfe"])
def test_malformed_chat_bodies_are_4xx(client: TestClient, raw: bytes) -> None:
    response = client.post("/v1/chat", content=raw, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500
    assert response.json()["detail"]


def test_ask_gains_support_mode_flagged_and_citation_links(client: TestClient) -> None:
    body = client.post("/v1/ask", json={"question": QUESTION}).json()
    assert {"support", "mode", "flagged"} <= set(body)
    assert all(c["url"].startswith("/documents/") and "verified" in c for c in body["citations"])
