"""Rate limits that fit three kinds of client: anonymous widget traffic per address, scripts per
API key, and every worker sharing the counts through Redis; `X-Forwarded-For` only from trusted
proxies."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from api.app import create_app
from api.keys import KeyStore
from api.limiter import Limiter
from api.middleware import RateLimitMiddleware, client_address, trusted_networks
from assistant.settings import ApiSettings
from tests.api.conftest import ADMIN_KEY, container_for
from tests.conftest import Stack

PATH = "/v1/ask"
RATING = {"rating": "up", "question": "q", "answer": "a"}


async def _ok(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("ok")(scope, receive, send)


def _limited(tmp_path: Path, rate: str = "2/minute", **kwargs: Any) -> tuple[TestClient, KeyStore]:
    """A bare app behind the rate-limit middleware, with a private key store."""
    keys = KeyStore.in_dir(tmp_path)
    app = RateLimitMiddleware(_ok, rate=rate, paths=[PATH], keys=keys, **kwargs)
    return TestClient(app), keys


def _scope(peer: str, forwarded: list[str] | None = None) -> Scope:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded or []]
    return {"type": "http", "client": (peer, 5000), "headers": headers}


@pytest.mark.unit
def test_forwarded_for_is_ignored_without_trusted_proxies() -> None:
    assert client_address(_scope("203.0.113.9", ["198.51.100.1"])) == "203.0.113.9"
    trusted = trusted_networks(["10.0.0.1"])
    assert client_address(_scope("203.0.113.9", ["198.51.100.1"]), trusted) == "203.0.113.9"


@pytest.mark.unit
def test_forwarded_for_from_a_trusted_proxy_gives_the_right_most_untrusted_address() -> None:
    trusted = trusted_networks(["127.0.0.1", "10.0.0.0/8", "fd00::/8"])
    # The client spoofs the left-most entry; the proxies append what they saw.
    spoofed = ["1.1.1.1, 198.51.100.7, 10.0.0.5"]
    assert client_address(_scope("10.0.0.2", spoofed), trusted) == "198.51.100.7"
    assert client_address(_scope("127.0.0.1", ["1.1.1.1", "198.51.100.7"]), trusted) == (
        "198.51.100.7"
    )
    assert client_address(_scope("fd00::1", ["2001:db8::5"]), trusted) == "2001:db8::5"
    # Only trusted hops: the left-most of them; no header: the proxy itself.
    assert client_address(_scope("10.0.0.2", ["10.0.0.9, 10.0.0.3"]), trusted) == "10.0.0.9"
    assert client_address(_scope("10.0.0.2"), trusted) == "10.0.0.2"
    # Garbage ends the walk at the last trusted hop instead of becoming a client id.
    assert client_address(_scope("10.0.0.2", ["1.1.1.1, not-an-ip, 10.0.0.4"]), trusted) == (
        "10.0.0.4"
    )


@pytest.mark.unit
def test_trusted_proxies_setting_is_validated() -> None:
    assert ApiSettings(trusted_proxies=["10.0.0.0/8", "::1"]).trusted_proxies
    with pytest.raises(ValueError, match="not an IP address"):
        ApiSettings(trusted_proxies=["proxy.example"])


@pytest.mark.unit
def test_a_key_is_never_throttled_by_the_address_limit(tmp_path: Path) -> None:
    client, keys = _limited(tmp_path, rate="2/minute")
    token = keys.create("eval", "100/minute").token
    assert [client.post(PATH).status_code for _ in range(3)] == [200, 200, 429]
    bearer = {"Authorization": f"Bearer {token}"}
    assert all(client.post(PATH, headers=bearer).status_code == 200 for _ in range(20))
    assert client.post(PATH, headers={"X-API-Key": token}).status_code == 200
    assert client.post(PATH).status_code == 429  # the address is still limited


@pytest.mark.unit
def test_a_key_has_its_own_limit(tmp_path: Path) -> None:
    client, keys = _limited(tmp_path, rate="")
    small, other = keys.create("small", "2/minute").token, keys.create("other", "2/minute").token
    codes = [client.post(PATH, headers={"X-API-Key": small}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    refused = client.post(PATH, headers={"X-API-Key": small})
    assert "this API key" in refused.json()["detail"] and int(refused.headers["retry-after"]) >= 1
    assert client.post(PATH, headers={"X-API-Key": other}).status_code == 200
    assert all(client.post(PATH).status_code == 200 for _ in range(5))  # anonymous unlimited


@pytest.mark.unit
def test_invalid_or_revoked_keys_get_401_not_anonymous(tmp_path: Path) -> None:
    client, keys = _limited(tmp_path, rate="100/minute")
    new = keys.create("x")
    unknown = client.post(PATH, headers={"Authorization": "Bearer cpa_wrong"})
    assert unknown.status_code == 401 and "unknown" in unknown.json()["detail"]
    assert unknown.headers["www-authenticate"] == "Bearer"
    keys.revoke(new.key.id)
    revoked = client.post(PATH, headers={"X-API-Key": new.token})
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]


@pytest.mark.unit
def test_foreign_bearer_tokens_stay_anonymous_and_admin_is_unlimited(tmp_path: Path) -> None:
    client, _ = _limited(tmp_path, rate="1/minute", admin_key=ADMIN_KEY)
    unused = {"Authorization": "Bearer unused"}  # what OpenAI clients send without a key
    assert [client.post(PATH, headers=unused).status_code for _ in range(2)] == [200, 429]
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    assert all(client.post(PATH, headers=admin).status_code == 200 for _ in range(5))


@pytest.mark.unit
def test_clients_behind_a_trusted_proxy_are_counted_apart(tmp_path: Path) -> None:
    keys = KeyStore.in_dir(tmp_path)
    app = RateLimitMiddleware(
        _ok, rate="1/minute", paths=[PATH], keys=keys, trusted_proxies=["127.0.0.1"]
    )
    proxy = TestClient(app, client=("127.0.0.1", 40000))
    for who in ("198.51.100.1", "198.51.100.2"):
        assert proxy.post(PATH, headers={"X-Forwarded-For": who}).status_code == 200
    assert proxy.post(PATH, headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 429
    # A client that is not a trusted proxy cannot pick its address.
    direct = TestClient(app, client=("203.0.113.5", 40000))
    assert direct.post(PATH, headers={"X-Forwarded-For": "198.51.100.3"}).status_code == 200
    assert direct.post(PATH, headers={"X-Forwarded-For": "198.51.100.4"}).status_code == 429


@pytest.mark.unit
def test_a_bad_storage_uri_fails_at_start_up() -> None:
    with pytest.raises(ValueError, match="limits_storage"):
        Limiter("nosuch://x")
    with pytest.raises(ValueError, match="async"):
        Limiter("async+memory://")


@pytest.mark.integration
def test_keyed_client_is_not_throttled_on_ask_while_anonymous_gets_429(
    indexed: Stack, tmp_path: Path
) -> None:
    container = container_for(indexed, rate_limit="2/minute")
    container.settings = container.settings.model_copy(update={"data_dir": tmp_path})
    token = KeyStore.in_dir(tmp_path).create("eval", "600/minute").token
    client = TestClient(create_app(container))
    body = {"question": "What is the European Clusters Alliance?"}
    anonymous = [client.post("/v1/ask", json=body).status_code for _ in range(3)]
    assert anonymous == [200, 200, 429]
    keyed = TestClient(create_app(container), headers={"Authorization": f"Bearer {token}"})
    assert [keyed.post("/v1/ask", json=body).status_code for _ in range(4)] == [200] * 4
    wrong = client.post("/v1/ask", json=body, headers={"X-API-Key": "cpa_typo"})
    assert wrong.status_code == 401 and "invalid API key" in wrong.json()["detail"]


# --- Redis: one limit shared by every worker ------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `redis-server` on a free loopback port, for this module's tests."""
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").is_file() else None
    )
    if binary is None:
        pytest.skip("redis-server is not installed (make redis)")
    import redis

    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.skip("redis-server did not start")
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def fresh_redis(redis_url: str) -> str:
    import redis

    redis.Redis.from_url(redis_url).flushall()
    return redis_url


def _worker(stack: Stack, tmp_path: Path, storage: str, client: str) -> TestClient:
    """One app instance (its own middleware and limiter), as a worker process would have."""
    container = container_for(
        stack, tmp_path / "feedback.sqlite3", rate_limit="3/minute", limits_storage=storage
    )
    container.settings = container.settings.model_copy(update={"data_dir": tmp_path / "data"})
    return TestClient(create_app(container), client=(client, 50000))


@pytest.mark.integration
@pytest.mark.enable_socket
def test_two_limiters_share_one_redis_count(fresh_redis: str) -> None:
    from limits import parse

    first, second = Limiter(fresh_redis), Limiter(fresh_redis)
    assert first is not second and not first.local
    item = parse("3/minute")
    assert first.acquire([item], "addr", "198.51.100.1", PATH) is None
    assert second.acquire([item], "addr", "198.51.100.1", PATH) is None
    assert first.acquire([item], "addr", "198.51.100.1", PATH) is None
    wait = second.acquire([item], "addr", "198.51.100.1", PATH)
    assert wait is not None and 1 <= wait <= 60
    assert first.acquire([item], "addr", "198.51.100.2", PATH) is None  # another client


@pytest.mark.integration
@pytest.mark.enable_socket
def test_two_app_instances_share_the_address_and_key_limits(
    indexed: Stack, tmp_path: Path, fresh_redis: str
) -> None:
    a = _worker(indexed, tmp_path, fresh_redis, "198.51.100.10")
    b = _worker(indexed, tmp_path, fresh_redis, "198.51.100.10")
    codes = [c.post("/v1/feedback", json=RATING).status_code for c in (a, b, a, b, a)]
    assert codes == [201, 201, 201, 429, 429]
    token = KeyStore.in_dir(tmp_path / "data").create("eval", "2/minute").token
    keyed = {"X-API-Key": token}
    codes = [c.post("/v1/feedback", json=RATING, headers=keyed).status_code for c in (b, a, b)]
    assert codes == [201, 201, 429]


@pytest.mark.integration
@pytest.mark.enable_socket
def test_unreachable_redis_gives_503_not_500(indexed: Stack, tmp_path: Path) -> None:
    client = _worker(indexed, tmp_path, f"redis://127.0.0.1:{_free_port()}", "198.51.100.20")
    response = client.post("/v1/feedback", json=RATING)
    assert response.status_code == 503
    assert "rate-limit store is unreachable" in response.json()["detail"]
    assert response.headers["retry-after"]
