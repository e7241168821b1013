"""GET /v1/documents and /v1/documents/{doc_id} over the starter corpus (read-only)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import app_for
from tests.conftest import Stack

pytestmark = pytest.mark.e2e

FIELDS = {"doc_id", "title", "doc_type", "source", "year", "language", "file", "chunks", "pages"}


@pytest.fixture(scope="module")
def client(indexed: Stack) -> TestClient:
    return TestClient(app_for(indexed))


def test_list_is_paginated_and_sorted_by_title(client: TestClient) -> None:
    first = client.get("/v1/documents", params={"limit": 5}).json()
    assert first["total"] == 32 and first["limit"] == 5 and first["offset"] == 0
    assert len(first["items"]) == 5 and set(first["items"][0]) == FIELDS
    everything = client.get("/v1/documents", params={"limit": 100}).json()["items"]
    titles = [item["title"].casefold() for item in everything]
    assert titles == sorted(titles) and len(everything) == 32
    second = client.get("/v1/documents", params={"limit": 5, "offset": 5}).json()
    assert [i["doc_id"] for i in second["items"]] == [i["doc_id"] for i in everything[5:10]]
    beyond = client.get("/v1/documents", params={"offset": 500}).json()
    assert beyond["items"] == [] and beyond["total"] == 32


def test_pdf_documents_have_pages_and_their_file_name(client: TestClient) -> None:
    items = client.get("/v1/documents", params={"limit": 100}).json()["items"]
    by_id = {item["doc_id"]: item for item in items}
    pdf = by_id["what-are-clusters"]
    assert pdf["file"] == "what-are-clusters.pdf" and pdf["pages"] and pdf["pages"] >= 2
    md = by_id["eca-members"]
    assert md["file"] == "eca-members.md" and md["pages"] is None and md["chunks"] >= 1


def test_filter_by_doc_type(client: TestClient) -> None:
    body = client.get("/v1/documents", params={"doc_type": "event", "limit": 100}).json()
    assert body["total"] == len(body["items"]) > 0
    assert {item["doc_type"] for item in body["items"]} == {"event"}


def test_one_document_with_its_passages_in_order(client: TestClient) -> None:
    body = client.get("/v1/documents/what-are-clusters").json()
    assert FIELDS | {"passages"} == set(body)
    passages = body["passages"]
    assert len(passages) == body["chunks"] > 1
    assert [p["position"] for p in passages] == sorted(p["position"] for p in passages)
    assert all(p["page"] for p in passages) and all(p["text"] for p in passages)
    assert set(passages[0]) == {"chunk_id", "position", "page", "section", "text"}


def test_a_citation_links_to_a_passage_of_its_document(client: TestClient) -> None:
    answer = client.post("/v1/ask", json={"question": "What is a cluster?"}).json()
    citation = answer["citations"][0]
    doc_id, fragment = citation["url"].removeprefix("/documents/").split("#chunk=")
    chunk_id, line = fragment.split("&line=")
    passages = {p["chunk_id"]: p for p in client.get(f"/v1/documents/{doc_id}").json()["passages"]}
    assert chunk_id in passages
    # The cited line is a line of that passage.
    lines = passages[chunk_id]["text"].split("\n")
    assert 0 <= int(line) < len(lines) and int(line) == citation["line"]


def test_unknown_document_is_404_json(client: TestClient) -> None:
    response = client.get("/v1/documents/no-such-doc")
    assert response.status_code == 404 and "no-such-doc" in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"doc_type": "novel"}, "doc_type"),
    ],
)
def test_bad_list_parameters_get_422(
    client: TestClient, params: dict[str, object], needle: str
) -> None:
    response = client.get("/v1/documents", params=params)
    assert response.status_code == 422 and needle in response.json()["detail"]
