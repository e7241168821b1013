"""The HTTP API through the real stack (model, Chroma, composer) via FastAPI's test client."""

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.conftest import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def client(indexed: Stack) -> TestClient:
    return TestClient(create_app(indexed.container))


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_ask_answers_with_a_correct_citation(client: TestClient) -> None:
    response = client.post(
        "/v1/ask",
        json={"question": "How many businesses does the European Clusters Alliance reach?"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["refused"] is False and "150,000" in body["answer"]
    assert {"n", "doc_id", "title", "source", "page", "section", "snippet", "score"} <= set(
        body["citations"][0]
    )
    cited = {c["doc_id"] for c in body["citations"]}
    assert "european-clusters-alliance" in cited


def test_ask_refuses_off_topic(client: TestClient) -> None:
    body = client.post(
        "/v1/ask", json={"question": "Who won the football world cup in 1998?"}
    ).json()
    assert body["refused"] is True and body["citations"] == []


def test_explain_returns_the_trace_of_an_answer_and_of_a_decline(client: TestClient) -> None:
    body = client.post(
        "/v1/ask",
        json={
            "question": "How many businesses does the European Clusters Alliance reach?",
            "explain": True,
        },
    ).json()
    trace = body["explain"]
    assert trace["outcome"] == "full" and trace["decided_by"].startswith("reading")
    assert trace["retrieval"] and trace["retrieval"][0]["rank"] == 0
    best = trace["reading"]["best"][0]
    assert {"text", "kind", "score", "features", "contributions"} <= set(best)
    assert trace["decision"]["answerable"] is True and trace["decision"]["rule"] == "learned"
    assert any("150,000" in text for text in trace["quoted"])
    declined = client.post(
        "/v1/ask", json={"question": "Who won the football world cup in 1998?", "explain": True}
    ).json()
    assert declined["refused"] and declined["explain"]["decided_by"] == "answerability: declined"
    decision = declined["explain"]["decision"]
    assert decision["evidence"] < decision["threshold"]
    assert client.post("/v1/ask", json={"question": "Hi?"}).json()["explain"] is None


def test_history_and_filters_are_accepted(client: TestClient) -> None:
    response = client.post(
        "/v1/ask",
        json={
            "question": "and which one represents Portugal?",
            "history": [
                {
                    "role": "user",
                    "content": "Who are the members of the European Clusters Alliance?",
                },
                {"role": "assistant", "content": "National associations."},
            ],
            "filters": {"doc_type": ["directory", "facts_and_figures"]},
            "top_k": 8,
        },
    )
    assert response.status_code == 200 and "Portugal Clusters" in response.json()["answer"]


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ({"question": ""}, "question"),
        ({"question": "   "}, "blank"),
        ({"question": "x" * 2001}, "2000"),
        ({}, "question"),
        ({"question": 42}, "question"),
        ({"question": "ok", "filters": {"colour": "red"}}, "colour"),
        ({"question": "ok", "filters": {"doc_type": "novel"}}, "doc_type"),
        ({"question": "ok", "top_k": 0}, "top_k"),
        ({"question": "ok", "history": [{"role": "system", "content": "x"}]}, "role"),
        ({"question": "ok", "surprise": 1}, "surprise"),
    ],
)
def test_bad_requests_get_422_with_a_message(
    client: TestClient, payload: dict, needle: str
) -> None:  # type: ignore[type-arg]
    response = client.post("/v1/ask", json=payload)
    assert response.status_code == 422
    assert needle in response.json()["detail"]


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[]", b"null"])
def test_malformed_bodies_are_4xx_not_500(client: TestClient, raw: bytes) -> None:
    response = client.post("/v1/ask", content=raw, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500
    assert response.json()["detail"]


def test_coverage_is_full_partial_or_none(client: TestClient) -> None:
    def ask(question: str) -> dict:  # type: ignore[type-arg]
        response = client.post("/v1/ask", json={"question": question})
        assert response.status_code == 200
        return response.json()  # type: ignore[no-any-return]

    assert ask("How many businesses does the European Clusters Alliance reach?")["coverage"] == (
        "full"
    )
    partial = ask("What is the budget of the Cluster Booster Academy?")
    assert partial["coverage"] == "partial" and partial["refused"] is False
    assert partial["answer"].startswith("The documents do not give")
    refused = ask("Who won the football world cup in 1998?")
    assert refused["coverage"] == "none" and refused["refused"] is True
    completion = client.post(
        "/v1/chat/completions",
        json={
            "model": "cluster-policy-assistant",
            "messages": [
                {
                    "role": "user",
                    "content": "What is the budget of the Cluster Booster Academy?",
                }
            ],
        },
    ).json()
    assert completion["coverage"] == "partial"


def test_ask_takes_a_language_and_reports_languages(client: TestClient) -> None:
    body = client.post(
        "/v1/ask",
        json={"question": "Who won the football world cup in 1998?", "language": "fr-BE"},
    ).json()
    assert body["refused"] is True and body["language"] == "fr"
    answered = client.post(
        "/v1/ask",
        json={
            "question": "Quelle est la date limite de candidature à la Cluster Booster Academy ?"
        },
    ).json()
    assert answered["language"] == "fr"
    assert {c["language"] for c in answered["citations"]} == {"en"}


def test_accept_language_words_an_undetermined_question(client: TestClient) -> None:
    asked = client.post(
        "/v1/ask",
        json={"question": "RIS3 ECCP 2031?"},
        headers={"Accept-Language": "ja, pl-PL;q=0.9, en;q=0.5"},
    ).json()
    assert asked["language"] == "pl"
    french = client.post(
        "/v1/ask",
        json={
            "question": "Quelle est la date limite de candidature à la Cluster Booster Academy ?"
        },
        headers={"Accept-Language": "pl"},
    ).json()
    assert french["language"] == "fr"  # the question's own language comes first
    chat = client.post(
        "/v1/chat",
        json={"messages": [{"role": "user", "content": "RIS3 ECCP 2031?"}]},
        headers={"Accept-Language": "de-AT"},
    ).json()
    assert chat["language"] == "de"


@pytest.mark.parametrize("tag", ["xx", "ja", "not a tag", ""])
def test_ask_rejects_a_language_that_is_not_an_eu_one(client: TestClient, tag: str) -> None:
    response = client.post("/v1/ask", json={"question": "What is a cluster?", "language": tag})
    assert response.status_code == 422
    assert "language" in response.text


def test_locales_serve_the_widget_texts(client: TestClient) -> None:
    body = client.get("/v1/locales/pl-PL").json()
    assert body["language"] == "pl" and body["name"] == "polski"
    assert body["messages"]["send"] and "placeholder" in body["messages"]
    english = client.get("/v1/locales/en").json()["messages"]
    assert set(body["messages"]) == set(english)  # every widget text, the welcome ones included
    assert body["messages"]["hello"] != english["hello"]
    assert english["open_chat"] == "Open chat: {title}"  # placeholders are the widget's to fill
    assert client.get("/v1/locales/ja").status_code == 404
