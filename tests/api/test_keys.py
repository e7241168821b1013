"""API keys: the hashed store, the admin endpoints and the `keys` command."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.keys import (
    DEFAULT_RATE,
    TOKEN_PREFIX,
    InvalidKeySpec,
    KeyStore,
    UnknownKey,
    hash_token,
    looks_like_key,
)
from assistant.settings import get_settings
from cli.main import app as cli_app
from tests.api.conftest import ADMIN_KEY, admin, container_for
from tests.conftest import Stack


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    return KeyStore.in_dir(tmp_path / "data")


@pytest.mark.unit
def test_a_key_is_stored_hashed_and_verified_by_its_token(store: KeyStore) -> None:
    new = store.create("nightly-eval", "100/minute")
    assert new.token.startswith(TOKEN_PREFIX) and len(new.token) >= len(TOKEN_PREFIX) + 40
    assert looks_like_key(new.token)
    assert store.verify(new.token) == new.key
    assert new.key.rate == "100/minute" and new.key.name == "nightly-eval"
    assert new.key.prefix == new.token[:8] and not new.key.revoked
    raw = store.path.read_bytes()
    assert new.token.encode() not in raw  # only the hash is on disk
    with sqlite3.connect(store.path) as conn:
        (stored,) = conn.execute("SELECT token_hash FROM api_keys").fetchone()
    assert stored == hash_token(new.token) != new.token


@pytest.mark.unit
def test_hash_is_sha256_hex() -> None:
    assert hash_token("cpa_x") == hashlib.sha256(b"cpa_x").hexdigest()
    assert hash_token("cpa_x") == hash_token("cpa_x") != hash_token("cpa_y")


@pytest.mark.unit
def test_unknown_and_foreign_tokens_are_not_keys(store: KeyStore) -> None:
    new = store.create("a")
    assert store.verify(new.token + "x") is None
    assert store.verify(TOKEN_PREFIX + "nope") is None
    assert store.verify("unused") is None and not looks_like_key("unused")
    assert store.verify(new.token[len(TOKEN_PREFIX) :]) is None  # prefix is part of the token


@pytest.mark.unit
def test_tokens_and_ids_are_unique(store: KeyStore) -> None:
    made = [store.create(f"k{i}") for i in range(20)]
    assert len({m.token for m in made}) == len({m.key.id for m in made}) == 20
    assert [k.id for k in store.all()] == [m.key.id for m in made]
    assert all(k.rate == DEFAULT_RATE for k in store.all())


@pytest.mark.unit
def test_revocation_is_seen_by_every_store_on_the_file(store: KeyStore) -> None:
    new = store.create("script")
    other = KeyStore(store.path)  # another worker on the same data dir
    assert other.verify(new.token) == new.key
    first = store.revoke(new.key.id)
    assert first.revoked and first.revoked_at
    seen = other.verify(new.token)
    assert seen is not None and seen.revoked
    assert store.revoke(new.key.id).revoked_at == first.revoked_at  # revoking twice is harmless
    with pytest.raises(UnknownKey):
        store.revoke("missing")


@pytest.mark.unit
@pytest.mark.parametrize(
    ("name", "rate"),
    [
        ("", "1/minute"),
        ("  ", "1/minute"),
        ("x" * 101, "1/minute"),
        ("a\nb", "1/minute"),
        ("ok", ""),
        ("ok", "lots"),
        ("ok", "10 per fortnight"),
    ],
)
def test_bad_names_and_rates_are_refused(store: KeyStore, name: str, rate: str) -> None:
    with pytest.raises(InvalidKeySpec):
        store.create(name, rate)
    assert not store.path.exists() or store.all() == []


@pytest.mark.unit
def test_reading_an_unwritten_store_creates_nothing(store: KeyStore) -> None:
    assert store.all() == [] and store.verify(TOKEN_PREFIX + "x") is None
    with pytest.raises(UnknownKey):
        store.get("x")
    assert not store.path.exists()


@pytest.fixture
def keyed(indexed: Stack, tmp_path: Path) -> Iterator[TestClient]:
    """An app over the indexed store with an admin key and a private key store."""
    container = container_for(indexed, tmp_path / "feedback.sqlite3", admin_api_key=ADMIN_KEY)
    container.settings = container.settings.model_copy(update={"data_dir": tmp_path / "data"})
    with TestClient(create_app(container)) as client:
        yield client


@pytest.mark.integration
def test_admin_endpoints_need_the_admin_key(keyed: TestClient) -> None:
    for method, path in (
        ("POST", "/v1/admin/keys"),
        ("GET", "/v1/admin/keys"),
        ("DELETE", "/v1/admin/keys/abc"),
    ):
        for headers in ({}, admin("wrong"), {"Authorization": "Bearer cpa_notadmin"}):
            response = keyed.request(method, path, headers=headers, json={"name": "x"})
            assert response.status_code == 401, (method, path, headers)
            assert "admin" in response.json()["detail"]


@pytest.mark.integration
def test_create_list_revoke_through_the_api(keyed: TestClient) -> None:
    created = keyed.post(
        "/v1/admin/keys", headers=admin(), json={"name": "eval", "rate": "5/minute"}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    token, key_id = body["token"], body["id"]
    assert token.startswith(TOKEN_PREFIX) and body["rate"] == "5/minute" and not body["revoked"]

    listed = keyed.get("/v1/admin/keys", headers=admin())
    assert listed.status_code == 200
    (item,) = listed.json()["items"]
    assert item["id"] == key_id and item["prefix"] == token[:8]
    assert "token" not in item and token not in listed.text and hash_token(token) not in listed.text

    rating = {"rating": "up", "question": "q", "answer": "a"}
    assert keyed.post("/v1/feedback", json=rating, headers={"X-API-Key": token}).status_code == 201
    assert keyed.delete(f"/v1/admin/keys/{key_id}", headers=admin()).status_code == 204
    assert keyed.delete(f"/v1/admin/keys/{key_id}", headers=admin()).status_code == 204
    refused = keyed.post("/v1/feedback", json=rating, headers={"X-API-Key": token})
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    (item,) = keyed.get("/v1/admin/keys", headers=admin()).json()["items"]
    assert item["revoked"] and item["revoked_at"]


@pytest.mark.integration
def test_bad_key_requests_get_4xx(keyed: TestClient) -> None:
    missing = keyed.delete("/v1/admin/keys/nope", headers=admin())
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]
    for body in ({"name": "x", "rate": "lots"}, {"name": " "}, {}, {"name": "x", "extra": 1}):
        response = keyed.post("/v1/admin/keys", headers=admin(), json=body)
        assert response.status_code == 422, body
        assert response.json()["detail"]


@pytest.fixture
def cli_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    get_settings.cache_clear()
    yield data
    get_settings.cache_clear()


@pytest.mark.e2e
def test_keys_command_creates_lists_and_revokes(cli_data: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(cli_app, ["keys", "create", "--name", "nightly", "--rate", "9/minute"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith(TOKEN_PREFIX) and "\n" not in token  # stdout holds the token alone
    store = KeyStore.in_dir(cli_data)
    key = store.verify(token)
    assert key is not None and key.rate == "9/minute" and key.name == "nightly"

    listed = runner.invoke(cli_app, ["keys", "list"])
    assert listed.exit_code == 0 and key.id in listed.stdout and token not in listed.stdout

    assert runner.invoke(cli_app, ["keys", "revoke", key.id]).exit_code == 0
    revoked = store.verify(token)
    assert revoked is not None and revoked.revoked
    assert runner.invoke(cli_app, ["keys", "revoke", "missing"]).exit_code == 1
    bad = runner.invoke(cli_app, ["keys", "create", "--name", "x", "--rate", "lots"])
    assert bad.exit_code == 2 and "invalid rate" in bad.output
