"""Service hardening: readiness, request ids and access logs, CORS, rate limits, size limits and
JSON errors everywhere."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.container import Container
from assistant.embedder import SentenceTransformerEmbedder
from tests.api.conftest import app_for
from tests.conftest import Stack, make_settings

pytestmark = pytest.mark.e2e

QUESTION = "How many businesses does the European Clusters Alliance reach?"


@pytest.fixture(scope="module")
def client(indexed: Stack) -> TestClient:
    return TestClient(app_for(indexed))


def unreachable_store_app(
    tmp_path: Path, embedder: SentenceTransformerEmbedder, **api: object
) -> TestClient:
    settings = make_settings(tmp_path / "data").model_copy(
        update={
            "chroma": make_settings(tmp_path).chroma.model_copy(
                update={"mode": "http", "host": "127.0.0.1", "port": 9}
            )
        }
    )
    container = Container(settings)
    container.__dict__["embedder"] = embedder
    return TestClient(create_app(container))


# --- health and readiness ---------------------------------------------------------------------


def test_readyz_reports_model_store_and_counts(client: TestClient, indexed: Stack) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "model_loaded": True,
        "store_reachable": True,
        "documents": 32,
        "chunks": indexed.store.count(),
    }


def test_readyz_is_503_when_the_store_is_unreachable(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    client = unreachable_store_app(tmp_path, embedder)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not_ready",
        "model_loaded": True,
        "store_reachable": False,
        "documents": 0,
        "chunks": 0,
    }
    assert client.get("/healthz").json() == {"status": "ok"}
    # Questions get 503 with a reason, also when streaming (before the stream starts).
    for stream in (False, True):
        chat = client.post(
            "/v1/chat",
            json={"messages": [{"role": "user", "content": QUESTION}], "stream": stream},
        )
        assert chat.status_code == 503 and "Chroma" in chat.json()["detail"]


def test_the_model_is_warmed_at_startup(indexed: Stack) -> None:
    container = Container(indexed.settings)
    container.__dict__["store"] = indexed.store
    container.__dict__["embedder"] = SentenceTransformerEmbedder(indexed.settings.embedding)
    app = create_app(container)
    with TestClient(app) as client:  # runs the lifespan
        body = client.get("/readyz").json()
    assert body["status"] == "ready" and body["model_loaded"] is True


def test_warm_up_can_be_turned_off(indexed: Stack) -> None:
    container = Container(
        indexed.settings.model_copy(
            update={"api": indexed.settings.api.model_copy(update={"warm_up": False})}
        )
    )
    container.__dict__["store"] = indexed.store
    container.__dict__["embedder"] = SentenceTransformerEmbedder(indexed.settings.embedding)
    with TestClient(create_app(container)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["model_loaded"] is False


# --- request ids and access logs --------------------------------------------------------------


def test_request_ids_are_generated_or_passed_through(client: TestClient) -> None:
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32 and int(generated, 16) >= 0
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == (
        "abc-123"
    )
    for insane in ("has spaces", "x" * 200, "<script>"):
        echoed = client.get("/healthz", headers={"X-Request-ID": insane}).headers["x-request-id"]
        assert echoed != insane and len(echoed) == 32


def test_one_json_access_log_line_per_request(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="api.access"):
        response = client.post("/v1/ask", json={"question": ""}, headers={"X-Request-ID": "r-1"})
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "api.access"]
    assert len(lines) == 1
    line = lines[0]
    assert set(line) == {"ts", "request_id", "method", "path", "status", "duration_ms", "client"}
    assert line["request_id"] == "r-1" == response.headers["x-request-id"]
    assert (line["method"], line["path"], line["status"]) == ("POST", "/v1/ask", 422)
    assert line["duration_ms"] >= 0 and line["client"] == "testclient"


# --- JSON errors -------------------------------------------------------------------------------


def test_unknown_routes_and_methods_are_json(client: TestClient) -> None:
    missing = client.get("/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["detail"]
    wrong = client.get("/v1/chat")
    assert wrong.status_code == 405 and wrong.json()["detail"]


def test_a_genuine_bug_is_a_logged_json_500(
    indexed: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    app = app_for(indexed)

    async def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/boom", boom)
    with caplog.at_level(logging.INFO):
        response = TestClient(app).get("/boom", headers={"X-Request-ID": "bug-1"})
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error (request id bug-1)"}
    assert response.headers["x-request-id"] == "bug-1"
    assert any(r.levelno == logging.ERROR and r.exc_info for r in caplog.records)
    access = [json.loads(r.getMessage()) for r in caplog.records if r.name == "api.access"]
    assert access[-1]["status"] == 500


# --- CORS ----------------------------------------------------------------------------------------

PORTAL = "https://portal.example"


def preflight(client: TestClient, origin: str) -> object:
    return client.options(
        "/v1/chat",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )


def test_cors_allows_listed_origins_only(indexed: Stack) -> None:
    client = TestClient(app_for(indexed, cors_origins=[PORTAL]))
    allowed = preflight(client, PORTAL)
    assert allowed.status_code == 200  # type: ignore[attr-defined]
    assert allowed.headers["access-control-allow-origin"] == PORTAL  # type: ignore[attr-defined]
    denied = preflight(client, "https://evil.example")
    assert denied.status_code == 400 and "origin" in denied.json()["detail"].lower()  # type: ignore[attr-defined]
    simple = client.get("/healthz", headers={"Origin": PORTAL})
    assert simple.headers["access-control-allow-origin"] == PORTAL
    assert "X-Request-ID" in simple.headers["access-control-expose-headers"]
    other = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_cors_default_is_same_origin_only(client: TestClient) -> None:
    assert preflight(client, PORTAL).status_code == 400  # type: ignore[attr-defined]
    response = client.get("/healthz", headers={"Origin": PORTAL})
    assert "access-control-allow-origin" not in response.headers


# --- rate limits -------------------------------------------------------------------------------


def test_rate_limit_gives_429_with_retry_after(indexed: Stack) -> None:
    app = app_for(indexed, rate_limit="2/minute")
    client = TestClient(app)
    assert [client.post("/v1/ask", json={}).status_code for _ in range(2)] == [422, 422]
    limited = client.post("/v1/ask", json={"question": QUESTION})
    assert limited.status_code == 429
    assert "rate limit" in limited.json()["detail"]
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    # Counted per path and per client; reads are not limited.
    assert client.post("/v1/chat", json={}).status_code == 422
    assert all(client.get("/v1/documents").status_code == 200 for _ in range(3))
    other = TestClient(app, client=("10.0.0.2", 40000))
    assert other.post("/v1/ask", json={}).status_code == 422


def test_rate_limit_can_be_turned_off(client: TestClient) -> None:
    assert all(client.post("/v1/feedback", json={}).status_code == 422 for _ in range(70))


# --- size limits -------------------------------------------------------------------------------


def test_bodies_over_the_limit_get_413_before_being_read(client: TestClient) -> None:
    big = json.dumps({"messages": [{"role": "user", "content": "x" * 70_000}]})
    response = client.post("/v1/chat", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413 and "65536" in response.json()["detail"]


def test_streamed_bodies_are_counted_too(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(100):
            yield b"x" * 1000
        yield b'"}'

    response = client.post(
        "/v1/ask", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413 and response.json()["detail"]


def test_invalid_content_length_is_400(client: TestClient) -> None:
    response = client.post(
        "/v1/ask",
        content=b'{"question": "hi"}',
        headers={"content-type": "application/json", "content-length": "lots"},
    )
    assert response.status_code == 400 and response.json()["detail"]
