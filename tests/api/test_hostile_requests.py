"""Requests built to break the service: the largest history the limits allow, deep JSON, text
that is not valid Unicode, invisible characters. Each gets an answer or a 4xx with a message,
never a 500."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.schemas import lone_surrogate
from tests.api.conftest import ADMIN_KEY, admin, app_for
from tests.conftest import Stack

pytestmark = pytest.mark.e2e

QUESTION = "Which organisation represents Portugal in the European Clusters Alliance?"
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def client(indexed: Stack) -> TestClient:
    return TestClient(app_for(indexed, admin_api_key=ADMIN_KEY), raise_server_exceptions=False)


def history(turns: int, chars: int) -> list[dict[str, str]]:
    """`turns` alternating messages of `chars` characters each."""
    roles = ("user", "assistant")
    return [{"role": roles[i % 2], "content": "x" * chars} for i in range(turns)]


def largest_history(limit: int, room: int) -> list[dict[str, str]]:
    """50 turns as long as a body of `limit` bytes allows, leaving `room` bytes for the rest."""
    empty = len(json.dumps(history(50, 0)))
    return history(50, (limit - room - empty) // 50)


def test_a_fifty_turn_history_of_maximum_size_is_answered_on_every_route(
    client: TestClient,
) -> None:
    limit = 64 * 1024
    turns = largest_history(limit, room=400)
    ask = {"question": QUESTION, "history": turns}
    chat = {"messages": [*turns[:-1], {"role": "user", "content": QUESTION}]}
    openai = {"model": "cluster-assistant", **chat}
    for route, body in (("/v1/ask", ask), ("/v1/chat", chat), ("/v1/chat/completions", openai)):
        data = json.dumps(body)
        assert limit - 2000 < len(data) <= limit
        response = client.post(route, content=data, headers=JSON)
        assert response.status_code == 200, (route, response.text)
        text = json.dumps(response.json())
        assert "Portugal Clusters" in text, route
    # One byte over the limit is refused before it is read.
    over = json.dumps(ask)
    over = over[:-1] + " " * (limit + 1 - len(over)) + "}"
    response = client.post("/v1/ask", content=over, headers=JSON)
    assert response.status_code == 413 and str(limit) in response.json()["detail"]


def test_a_fifty_first_turn_is_refused_with_the_limit_named(client: TestClient) -> None:
    response = client.post("/v1/ask", json={"question": QUESTION, "history": history(51, 10)})
    assert response.status_code == 422 and "at most 50" in response.json()["detail"]
    chat = {"messages": [*history(50, 10), {"role": "user", "content": QUESTION}]}
    response = client.post("/v1/chat", json=chat)
    assert response.status_code == 422 and "at most 50" in response.json()["detail"]


@pytest.mark.parametrize("depth", [40, 1000, 100_000])
def test_deeply_nested_json_is_a_4xx_with_a_message(client: TestClient, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    for body in (f'{{"question": "hi", "filters": {nested}}}', f'{{"question": {nested}}}'):
        response = client.post("/v1/ask", content=body[: 60 * 1024], headers=JSON)
        assert response.status_code in (400, 413, 422), response.text
        assert response.json()["detail"]


def test_the_nesting_check_names_its_limit() -> None:
    deep: object = "x"
    for _ in range(40):
        deep = [deep]
    with pytest.raises(ValueError, match="deeper than 32"):
        lone_surrogate(deep)
    assert lone_surrogate({"a": ["ok", {"b": "\ud800"}]}) == "\ud800"
    assert lone_surrogate({"emoji": "\U0001f600", "text": "café"}) is None


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("/v1/ask", '{"question": "Which clusters \\ud800 are members?"}'),
        (
            "/v1/ask",
            '{"question": "members?", "history": [{"role": "user", "content": "\\udc00"}]}',
        ),
        ("/v1/chat", '{"messages": [{"role": "user", "content": "\\udc00 members?"}]}'),
        (
            "/v1/chat/completions",
            '{"model": "m", "messages": [{"role": "user", "content": "\\ud83d members?"}]}',
        ),
        ("/v1/feedback", '{"rating": "up", "question": "\\udc00 q", "answer": "a"}'),
        ("/v1/admin/session", '{"key": "\\udfff"}'),
        ("/v1/admin/keys", '{"name": "\\ud800"}'),
    ],
)
def test_lone_surrogates_are_refused_with_422(client: TestClient, route: str, body: str) -> None:
    """A JSON escape can carry half of a surrogate pair, which UTF-8 cannot encode: refused
    where the body is read, and the refusal itself renders (the input is echoed escaped)."""
    response = client.post(route, content=body, headers={**JSON, **admin()})
    assert response.status_code == 422, response.text
    assert "valid Unicode" in response.json()["detail"]


def test_escaped_surrogate_pairs_are_ordinary_text(client: TestClient) -> None:
    body = '{"question": "\\ud83d\\ude00 Which organisation represents Portugal in the ECA?"}'
    response = client.post("/v1/ask", content=body, headers=JSON)
    assert response.status_code == 200


def test_bytes_that_are_not_utf8_are_400(client: TestClient) -> None:
    response = client.post("/v1/ask", content=b'{"question": "caf\xe9 \xff"}', headers=JSON)
    assert response.status_code == 400 and response.json()["detail"]


def test_invisible_characters_do_not_change_the_answer(client: TestClient) -> None:
    """Zero-width spaces inside words, a right-to-left override and NUL: the same answer as
    the plain question."""
    plain = client.post("/v1/ask", json={"question": QUESTION}).json()
    for question in (
        QUESTION.replace("Portugal", "Portu\u200bgal"),
        "\u202e" + QUESTION,
        QUESTION.replace(" ", "\u00a0", 2) + "\u0000",
    ):
        response = client.post("/v1/ask", json={"question": question})
        assert response.status_code == 200
        assert response.json()["answer"] == plain["answer"], question
