"""The admin console's sign-in: a signed session cookie and the CSRF token that goes with it.

Signing in with the admin key (or an admin API key) gives a cookie that is `HttpOnly` (page
scripts cannot read it), `SameSite=Strict` (other sites' pages never send it) and `Secure` over
HTTPS. Its value is ``<payload>.<signature>``: the payload holds a random session id, the expiry
time and the admin API key's id when one was used; the signature is an HMAC keyed by a secret
derived from the admin key. Nothing is stored on the server, so every worker of `serve-cluster`
accepts the cookie, and changing the admin key ends every session. A session opened with an
admin API key ends when that key is revoked.

A change made with the cookie (any method but GET, HEAD and OPTIONS) must also carry the
session's CSRF token in ``X-CSRF-Token``: an HMAC of the session id that the sign-in response
and ``GET /v1/admin/session`` return in their JSON body. The page keeps it in memory only. A
forged cross-site request carries the cookie (were `SameSite` ever ignored) but cannot read the
token; a request whose ``Origin`` is another origin is refused as well.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection
from starlette.responses import Response

COOKIE_NAME = "cpa_admin"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
COOKIE_PATH = "/"


@dataclass(frozen=True)
class AdminSession:
    """A valid signed-in session."""

    session_id: str
    expires_at: int
    """Unix time after which the cookie is refused."""
    csrf_token: str
    key_id: str | None = None
    """The admin API key signed in with (its revocation ends the session); None: the admin key."""


def _secret(admin_key: str) -> bytes:
    return hashlib.sha256(b"cluster-assistant admin session\x00" + admin_key.encode()).digest()


def _sign(secret: bytes, message: bytes) -> str:
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _csrf(secret: bytes, session_id: str) -> str:
    return _sign(secret, b"csrf\x00" + session_id.encode())


def issue(
    admin_key: str, lifetime_s: int, key_id: str | None = None, now: float | None = None
) -> tuple[str, AdminSession]:
    """A new session, signed in with the admin key or the admin API key `key_id`: the cookie
    value and what it stands for."""
    secret = _secret(admin_key)
    session_id = secrets.token_urlsafe(18)
    expires_at = int((time.time() if now is None else now) + lifetime_s)
    data = {"sid": session_id, "exp": expires_at, "kid": key_id}
    payload = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(
        b"="
    )
    value = f"{payload.decode()}.{_sign(secret, payload)}"
    return value, AdminSession(session_id, expires_at, _csrf(secret, session_id), key_id)


def verify(value: str | None, admin_key: str, now: float | None = None) -> AdminSession | None:
    """The session a cookie value stands for; None when absent, forged, malformed or expired."""
    if not value or not admin_key or len(value) > 512:
        return None
    payload, dot, signature = value.partition(".")
    if not dot:
        return None
    secret = _secret(admin_key)
    if not hmac.compare_digest(_sign(secret, payload.encode()), signature):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        session_id, expires_at = str(data["sid"]), int(data["exp"])
        key_id = None if data.get("kid") is None else str(data["kid"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if expires_at <= (time.time() if now is None else now):
        return None
    return AdminSession(session_id, expires_at, _csrf(secret, session_id), key_id)


def csrf_ok(session: AdminSession, offered: str | None) -> bool:
    """Whether a request's ``X-CSRF-Token`` is the session's token (constant time)."""
    return bool(offered) and hmac.compare_digest(
        session.csrf_token.encode(), (offered or "").encode()
    )


def change_allowed(conn: HTTPConnection, session: AdminSession) -> bool:
    """Whether a change made with `session`'s cookie passes the CSRF checks: the request comes
    from this service's own origin and carries the session's token."""
    return same_origin(conn) and csrf_ok(session, conn.headers.get(CSRF_HEADER))


def same_origin(conn: HTTPConnection) -> bool:
    """False when the request names an ``Origin`` whose host is not the one it was sent to
    (``Origin: null`` included)."""
    origin = conn.headers.get("origin")
    if origin is None:
        return True
    # Host only: behind a TLS-terminating proxy the scheme seen here is not the browser's.
    offered = urlsplit(origin).netloc.lower()
    return bool(offered) and offered == conn.headers.get("host", conn.url.netloc).lower()


def set_cookie(response: Response, conn: HTTPConnection, value: str, lifetime_s: int) -> None:
    """Attach the session cookie: HttpOnly, SameSite=Strict, Secure over HTTPS."""
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=lifetime_s,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=conn.url.scheme == "https",
    )


def clear_cookie(response: Response, conn: HTTPConnection) -> None:
    """Remove the session cookie from the browser."""
    response.delete_cookie(
        COOKIE_NAME,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=conn.url.scheme == "https",
    )
