"""The OpenAI-compatible endpoint, driven by the official `openai` client (no network: the
client's HTTP transport is FastAPI's test client)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest
from fastapi.testclient import TestClient

from api.schemas import MODEL_ID
from assistant.types import Answer, CitationsEvent, DeltaEvent, DoneEvent, StreamEvent
from tests.api.conftest import app_for, sse_json
from tests.conftest import Stack

pytestmark = pytest.mark.e2e

QUESTION = "How many businesses does the European Clusters Alliance reach?"


@pytest.fixture(scope="module")
def http(indexed: Stack) -> TestClient:
    return TestClient(app_for(indexed), base_url="http://assistant.test")


@pytest.fixture(scope="module")
def client(http: TestClient) -> openai.OpenAI:
    return openai.OpenAI(
        base_url="http://assistant.test/v1", api_key="unused", http_client=http, max_retries=0
    )


def messages(question: str = QUESTION) -> list[Any]:
    return [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": question},
    ]


def test_models_lists_the_one_model(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == [MODEL_ID]
    assert client.models.retrieve(MODEL_ID).id == MODEL_ID
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_non_streaming_completion_with_citations(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model=MODEL_ID, messages=messages(), temperature=0.2, max_tokens=50
    )
    assert completion.object == "chat.completion" and completion.id.startswith("chatcmpl-")
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    content = choice.message.content or ""
    assert "150,000" in content and "[1]" in content
    assert completion.usage is not None and completion.usage.total_tokens > 0
    citations = (completion.model_extra or {})["citations"]
    assert citations[0]["n"] == 1 and citations[0]["url"].startswith("/documents/")
    assert "european-clusters-alliance" in {c["doc_id"] for c in citations}


def test_streaming_completion(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="any-model-name",
        messages=messages(),
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "150,000" in text and "[1]" in text
    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason == "stop"]
    assert len(finals) == 1
    citations = (finals[0].model_extra or {})["citations"]
    assert citations and all(f"[{c['n']}]" in text for c in citations)
    assert chunks[-1].usage is not None and chunks[-1].choices == []


def test_stream_wire_format_ends_with_done(http: TestClient) -> None:
    response = http.post(
        "/v1/chat/completions", json={"model": MODEL_ID, "messages": messages(), "stream": True}
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_json(response.text)
    assert events[-1] == (None, "[DONE]")
    assert all(data["object"] == "chat.completion.chunk" for _, data in events[:-1])


def test_history_follows_the_conversation(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model=MODEL_ID,
        messages=[
            {"role": "system", "content": "Answer briefly."},
            {"role": "user", "content": "Who are the members of the European Clusters Alliance?"},
            {"role": "assistant", "content": "National cluster associations."},
            {
                "role": "user",
                "content": [{"type": "text", "text": "and which one represents Portugal?"}],
            },
        ],
        extra_body={"filters": {"doc_type": ["directory", "facts_and_figures"]}},
    )
    assert "Portugal Clusters" in (completion.choices[0].message.content or "")


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ({"model": MODEL_ID}, "messages"),
        ({"messages": [{"role": "system", "content": "hi"}]}, "user message"),
        (
            {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]},
            "user",
        ),
        ({"messages": [{"role": "user", "content": " "}]}, "blank"),
        ({"messages": [{"role": "user", "content": "x" * 2001}]}, "2000"),
        ({"messages": [{"role": "tool", "content": "x"}]}, "role"),
        ({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}, "content"),
        ({"messages": [{"role": "user", "content": "q"}], "n": 2}, "n"),
    ],
)
def test_bad_completion_requests_get_422(
    http: TestClient, payload: dict[str, Any], needle: str
) -> None:
    response = http.post("/v1/chat/completions", json=payload)
    assert response.status_code == 422
    assert needle in response.json()["detail"]


def test_client_sees_errors_as_exceptions(client: openai.OpenAI) -> None:
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(model=MODEL_ID, messages=[{"role": "user", "content": ""}])


def test_a_verified_answer_that_differs_from_the_stream_is_sent_along(
    http: TestClient, indexed: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    def rewritten(*args: Any, **kwargs: Any) -> Iterator[StreamEvent]:
        yield CitationsEvent([])
        yield DeltaEvent("Kept sentence. Dropped claim.")
        yield DoneEvent(Answer("Kept sentence.", support=1.0))

    monkeypatch.setattr(indexed.container.assistant, "stream", rewritten)
    response = http.post("/v1/chat/completions", json={"messages": messages(), "stream": True})
    final = [
        data for _, data in sse_json(response.text)[:-1] if data["choices"][0]["finish_reason"]
    ]
    assert final[0]["answer"] == "Kept sentence." and final[0]["citations"] == []
