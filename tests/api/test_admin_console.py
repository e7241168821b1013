"""The admin console's API: sign-in with a session cookie, CSRF on every change, the catalogue of
files (failed and duplicate ones included), the ratings list and the streamed reindex, through the
real stack on a private store."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import session as admin_session
from api.keys import KeyStore, hash_token
from tests.api.conftest import ADMIN_KEY, admin, app_for, sse_json
from tests.api.test_admin import ZORBLAT, pdf_bytes
from tests.conftest import Stack

pytestmark = pytest.mark.e2e

ORIGIN = "http://testserver"


@pytest.fixture
def client(small_stack: Stack) -> TestClient:
    return TestClient(app_for(small_stack, admin_api_key=ADMIN_KEY))


def sign_in(client: TestClient) -> str:
    """Sign in; the CSRF token (the cookie stays in the client's jar)."""
    response = client.post("/v1/admin/session", json={"key": ADMIN_KEY})
    assert response.status_code == 200, response.text
    token: str = response.json()["csrf_token"]
    return token


def test_sign_in_sets_a_strict_http_only_cookie_and_returns_the_csrf_token(
    client: TestClient,
) -> None:
    response = client.post("/v1/admin/session", json={"key": ADMIN_KEY})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{admin_session.COOKIE_NAME}=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite", "path", "max-age"} <= attributes
    assert "samesite=strict" in cookie.lower()
    assert "secure" not in attributes  # plain http here; set over https (see below)
    assert ADMIN_KEY not in cookie
    body = response.json()
    assert set(body) == {"signed_in", "csrf_token", "expires_at"} and body["signed_in"]
    assert len(body["csrf_token"]) >= 32
    assert response.headers["cache-control"] == "no-store"
    # The session is known to GET /v1/admin/session, with the same token.
    again = client.get("/v1/admin/session")
    assert again.status_code == 200 and again.json()["csrf_token"] == body["csrf_token"]


def test_over_https_the_cookie_is_secure(small_stack: Stack) -> None:
    client = TestClient(
        app_for(small_stack, admin_api_key=ADMIN_KEY), base_url="https://testserver"
    )
    response = client.post("/v1/admin/session", json={"key": ADMIN_KEY})
    assert "secure" in response.headers["set-cookie"].lower()


def test_sign_in_refusals(client: TestClient, small_stack: Stack) -> None:
    wrong = client.post("/v1/admin/session", json={"key": "nope"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "wrong admin key"
    assert "set-cookie" not in wrong.headers
    assert client.post("/v1/admin/session", json={}).status_code == 422
    assert client.post("/v1/admin/session", json={"key": ""}).status_code == 422
    assert client.post("/v1/admin/session", json={"key": 5}).status_code == 422
    assert client.post(
        "/v1/admin/session", content=b"{", headers={"content-type": "application/json"}
    ).status_code in (400, 422)
    other_site = client.post(
        "/v1/admin/session", json={"key": ADMIN_KEY}, headers={"Origin": "https://evil.example"}
    )
    assert other_site.status_code == 403
    signed_out = client.get("/v1/admin/session")
    assert signed_out.status_code == 200 and signed_out.json() == {
        "signed_in": False,
        "csrf_token": None,
        "expires_at": None,
    }
    disabled = TestClient(app_for(small_stack))
    refused = disabled.post("/v1/admin/session", json={"key": "anything"})
    assert refused.status_code == 401 and "disabled" in refused.json()["detail"]
    assert disabled.get("/v1/admin/session").status_code == 401


def test_sign_in_is_rate_limited(small_stack: Stack) -> None:
    client = TestClient(app_for(small_stack, admin_api_key=ADMIN_KEY, rate_limit="3/minute"))
    codes = [
        client.post("/v1/admin/session", json={"key": f"guess{i}"}).status_code for i in range(4)
    ]
    assert codes == [401, 401, 401, 429]


def test_the_cookie_reads_but_changes_need_the_csrf_token(client: TestClient) -> None:
    assert client.get("/v1/admin/documents").status_code == 401
    token = sign_in(client)
    assert client.get("/v1/admin/documents").status_code == 200
    assert client.get("/v1/admin/keys").status_code == 200

    # A change with the cookie alone is refused, and changes nothing.
    refused = client.post("/v1/admin/keys", json={"name": "forged"})
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
    wrong = client.post("/v1/admin/keys", json={"name": "forged"}, headers={"X-CSRF-Token": "x"})
    assert wrong.status_code == 403
    assert client.get("/v1/admin/keys").json()["items"] == []
    upload = client.post("/v1/documents", files={"file": ("zorblat.md", ZORBLAT.encode())})
    assert upload.status_code == 403
    assert client.post("/v1/reindex").status_code == 403
    assert client.delete("/v1/documents/eca-members").status_code == 403
    # The token from another origin is refused too.
    cross = client.post(
        "/v1/admin/keys",
        json={"name": "forged"},
        headers={"X-CSRF-Token": token, "Origin": "https://evil.example"},
    )
    assert cross.status_code == 403

    # With the token (and from our own origin), changes go through.
    made = client.post(
        "/v1/admin/keys", json={"name": "ci"}, headers={"X-CSRF-Token": token, "Origin": ORIGIN}
    )
    assert made.status_code == 201
    uploaded = client.post(
        "/v1/documents",
        files={"file": ("zorblat.md", ZORBLAT.encode())},
        headers={"X-CSRF-Token": token},
    )
    assert uploaded.status_code == 201, uploaded.text


def test_a_tampered_or_expired_cookie_is_refused(client: TestClient) -> None:
    sign_in(client)
    value = client.cookies[admin_session.COOKIE_NAME]
    payload, _, signature = value.partition(".")
    client.cookies.clear()
    client.cookies.set(admin_session.COOKIE_NAME, payload + "." + signature[:-2] + "AA")
    assert client.get("/v1/admin/documents").status_code == 401
    expired, _ = admin_session.issue(ADMIN_KEY, 60, now=0)
    client.cookies.set(admin_session.COOKIE_NAME, expired)
    assert client.get("/v1/admin/documents").status_code == 401
    other_key, _ = admin_session.issue("another-admin-key", 600)
    client.cookies.set(admin_session.COOKIE_NAME, other_key)
    assert client.get("/v1/admin/documents").status_code == 401


def test_sign_out_needs_the_token_then_ends_the_session(client: TestClient) -> None:
    token = sign_in(client)
    assert client.delete("/v1/admin/session").status_code == 403
    assert client.get("/v1/admin/session").json()["signed_in"]
    out = client.delete("/v1/admin/session", headers={"X-CSRF-Token": token})
    assert out.status_code == 204
    assert admin_session.COOKIE_NAME not in client.cookies
    assert client.get("/v1/admin/documents").status_code == 401
    # Signing out when signed out is harmless.
    assert client.delete("/v1/admin/session").status_code == 204


def test_a_key_header_still_works_and_a_wrong_one_is_not_saved_by_the_cookie(
    client: TestClient,
) -> None:
    assert client.get("/v1/admin/documents", headers=admin()).status_code == 200
    sign_in(client)
    assert client.get("/v1/admin/documents", headers=admin("wrong")).status_code == 401


def test_catalogue_lists_files_with_origin_status_and_time(client: TestClient) -> None:
    token = sign_in(client)
    uploaded = client.post(
        "/v1/documents",
        files={"file": ("zorblat.md", ZORBLAT.encode())},
        headers={"X-CSRF-Token": token},
    )
    assert uploaded.status_code == 201
    items = client.get("/v1/admin/documents").json()["items"]
    by_file = {i["file"]: i for i in items}
    assert {
        "european-clusters-alliance.md",
        "eca-members.md",
        "what-are-clusters.md",
        "zorblat.md",
    } <= set(by_file)
    zorblat = by_file["zorblat.md"]
    assert zorblat["origin"] == "upload" and zorblat["status"] == "indexed"
    assert zorblat["doc_id"] == "zorblat-quantum-cluster"
    assert zorblat["title"] == "The Zorblat Quantum Cluster" and zorblat["year"] == 2025
    assert zorblat["chunks"] >= 1 and zorblat["indexed_at"]
    assert by_file["eca-members.md"]["origin"] == "corpus"
    titles = [i["title"] or i["file"] for i in items]
    assert titles == sorted(titles, key=str.casefold)


def test_catalogue_shows_a_failed_corpus_file_with_its_reason(
    small_stack: Stack,
) -> None:
    (small_stack.corpus / "locked.pdf").write_bytes(pdf_bytes(encrypted=True))
    client = TestClient(app_for(small_stack, admin_api_key=ADMIN_KEY))
    reindexed = client.post("/v1/reindex", headers=admin())
    assert reindexed.status_code == 200 and reindexed.json()["failed"] == 1
    items = {
        i["file"]: i for i in client.get("/v1/admin/documents", headers=admin()).json()["items"]
    }
    locked = items["locked.pdf"]
    assert locked["status"] == "failed" and locked["origin"] == "corpus"
    assert locked["reason"].startswith("encrypted") and locked["chunks"] == 0
    # Fixed (removed) and reindexed: the failure is gone.
    (small_stack.corpus / "locked.pdf").unlink()
    client.post("/v1/reindex", headers=admin())
    files = {i["file"] for i in client.get("/v1/admin/documents", headers=admin()).json()["items"]}
    assert "locked.pdf" not in files


def test_streamed_reindex_reports_progress_then_the_counts(
    client: TestClient, small_stack: Stack
) -> None:
    (small_stack.corpus / "zorblat.md").write_text(ZORBLAT, encoding="utf-8")
    response = client.post("/v1/reindex?stream=true", headers=admin())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_json(response.text)
    names = [e for e, _ in events]
    assert names[-1] == "done" and set(names[:-1]) == {"progress"}
    progress = [d for e, d in events if e == "progress"]
    assert progress[0]["done"] == 0 and progress[-1]["done"] == progress[-1]["total"] > 0
    assert [p["done"] for p in progress] == sorted(p["done"] for p in progress)
    done = events[-1][1]
    assert done["indexed"] == 1 and done["chunks_embedded"] == progress[-1]["total"]
    assert client.post("/v1/reindex?stream=maybe", headers=admin()).status_code == 422
    assert client.post("/v1/reindex?stream=true").status_code == 401


def test_feedback_list_newest_first_with_filter(client: TestClient) -> None:
    for rating, question in (("up", "First?"), ("down", "Second?")):
        created = client.post(
            "/v1/feedback",
            json={
                "rating": rating,
                "question": question,
                "answer": "An answer [1].",
                "comment": "too short" if rating == "down" else None,
                "citations": [{"n": 1, "chunk_id": "c1", "doc_id": "eca-members"}],
            },
        )
        assert created.status_code == 201, created.text
    assert client.get("/v1/admin/feedback").status_code == 401
    listed = client.get("/v1/admin/feedback", headers=admin()).json()
    assert listed["total"] == 2
    assert [i["question"] for i in listed["items"]] == ["Second?", "First?"]
    second = listed["items"][0]
    assert second["comment"] == "too short" and second["citations"][0]["doc_id"] == "eca-members"
    down = client.get("/v1/admin/feedback?rating=down", headers=admin()).json()
    assert down["total"] == 1 and down["items"][0]["rating"] == "down"
    assert client.get("/v1/admin/feedback?rating=meh", headers=admin()).status_code == 422
    assert client.get("/v1/admin/feedback?limit=0", headers=admin()).status_code == 422


def test_the_console_page_is_served_with_a_strict_policy(client: TestClient) -> None:
    page = client.get("/admin")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text and "/static/admin.js" in page.text
    for asset in ("/static/admin.js", "/static/admin.css"):
        assert client.get(asset).status_code == 200


def test_an_admin_api_key_works_as_the_admin_key_until_revoked(client: TestClient) -> None:
    made = client.post("/v1/admin/keys", json={"name": "ops", "admin": True}, headers=admin())
    script = client.post("/v1/admin/keys", json={"name": "eval"}, headers=admin())
    assert made.status_code == script.status_code == 201
    assert made.json()["admin"] is True and script.json()["admin"] is False
    ops, evaluator = made.json()["token"], script.json()["token"]
    assert client.get("/v1/admin/documents", headers=admin(ops)).status_code == 200
    # A script's key is no admin key.
    assert client.get("/v1/admin/documents", headers=admin(evaluator)).status_code == 401
    assert client.post("/v1/admin/session", json={"key": evaluator}).status_code == 401
    # Signed in with the admin API key, the console works until the key is revoked.
    signed = client.post("/v1/admin/session", json={"key": ops})
    assert signed.status_code == 200
    token = signed.json()["csrf_token"]
    created = client.post(
        "/v1/admin/keys", json={"name": "from console"}, headers={"X-CSRF-Token": token}
    )
    assert created.status_code == 201
    revoked = client.delete(f"/v1/admin/keys/{made.json()['id']}", headers=admin())
    assert revoked.status_code == 204
    assert client.get("/v1/admin/documents").status_code == 401
    assert client.get("/v1/admin/session").json()["signed_in"] is False
    assert client.get("/v1/admin/documents", headers=admin(ops)).status_code == 401
    listed = {k["name"]: k for k in client.get("/v1/admin/keys", headers=admin()).json()["items"]}
    assert listed["ops"]["admin"] and listed["ops"]["revoked"]


def test_a_key_store_written_before_admin_keys_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "api_keys.sqlite3"
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(
            "CREATE TABLE api_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, token_hash TEXT "
            "NOT NULL UNIQUE, prefix TEXT NOT NULL, rate TEXT NOT NULL, created_at TEXT NOT "
            "NULL, revoked_at TEXT)"
        )
        conn.execute(
            "INSERT INTO api_keys VALUES ('k1', 'old', ?, 'cpa_abcd', '10/minute', "
            "'2026-12-01T00:00:00+00:00', NULL)",
            (hash_token("cpa_old-token"),),
        )
    store = KeyStore(path)
    (old,) = store.all()
    assert old.name == "old" and old.admin is False
    assert store.verify("cpa_old-token") == old
    new = store.create("new admin", admin=True)
    assert store.verify(new.token) == new.key and new.key.admin
