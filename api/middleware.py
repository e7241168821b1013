"""ASGI middleware: request ids and access logs, CORS, rate limits and request size limits.

Each is a plain ASGI middleware so that it can answer before the body is read (a too-large or
rate-limited request costs nothing) and so that streaming responses pass through untouched. Every
response they produce is JSON ``{"detail": ...}`` like the rest of the API.

Who the client is: the direct peer's address, or, when that peer is one of the trusted proxies,
the right-most address of ``X-Forwarded-For`` that is not a trusted proxy (`client_address`); a
request that presents an API key is counted as that key instead (`RateLimitMiddleware`).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import re
import sqlite3
import time
import uuid
from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from functools import lru_cache

from limits import RateLimitItem, parse_many
from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.keys import KeyStore, looks_like_key
from api.limiter import Limiter, LimiterUnavailable
from assistant.settings import ApiSettings

access_log = logging.getLogger("api.access")
error_log = logging.getLogger("api")

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
MULTIPART_SLACK = 64 * 1024
"""Bytes a multipart upload may carry beyond the file itself (boundaries, part headers)."""


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def trusted_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """The networks of `api.trusted_proxies` entries (an address or a CIDR each)."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(scope: Scope, trusted: tuple[Network, ...] = ()) -> str:
    """The address a request comes from.

    The direct peer, unless it is a trusted proxy: then ``X-Forwarded-For`` is read from the
    right (each proxy appends the address it saw), skipping trusted proxies, and the first
    address that is not one is the client. Entries left of it were written by the client and
    are never believed; an entry that is not an address ends the walk at the last trusted hop.
    Without trusted proxies ``X-Forwarded-For`` is ignored.
    """
    peer = _client(scope)
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    hops = [
        hop.strip()
        for value in Headers(scope=scope).getlist("x-forwarded-for")
        for hop in value.split(",")
        if hop.strip()
    ]
    address = peer
    for hop in reversed(hops):
        try:
            address = str(ipaddress.ip_address(hop))
        except ValueError:
            break
        if not _is_trusted(address, trusted):
            break
    return address


def presented_credential(scope: Scope) -> str | None:
    """The token of ``Authorization: Bearer <token>``, else of ``X-API-Key``, else None."""
    headers = Headers(scope=scope)
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return headers.get("x-api-key", "").strip() or None


def request_id_of(scope: Scope) -> str | None:
    """The id `RequestContextMiddleware` gave this request."""
    state = scope.get("state") or {}
    value = state.get("request_id")
    return str(value) if value else None


class RequestContextMiddleware:
    """Gives every request an id (a sane incoming ``X-Request-ID`` or a new uuid4), returns it in
    the ``X-Request-ID`` response header, writes one JSON access-log line per request on the
    ``api.access`` logger, and turns an unhandled exception into a logged JSON 500."""

    def __init__(self, app: ASGIApp, trusted_proxies: Collection[str] = ()) -> None:
        self.app = app
        self.trusted = trusted_networks(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        request_id = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = int(message["status"])
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            error_log.exception("unhandled error in %s %s", scope["method"], scope["path"])
            status = 500
            if not response_started:
                response = JSONResponse(
                    {"detail": f"internal error (request id {request_id})"},
                    status_code=500,
                    headers={REQUEST_ID_HEADER: request_id},
                )
                await response(scope, receive, send)
        finally:
            access_log.info(
                json.dumps(
                    {
                        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                        "client": client_address(scope, self.trusted),
                        **({"api_key": state["api_key"]} if state.get("api_key") else {}),
                    }
                )
            )


class BodyTooLarge(HTTPException):
    """The request body exceeds its limit (raised while the body is being read)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body too large: the limit is {limit} bytes")


class BodyLimitMiddleware:
    """413 for request bodies over the limit: from ``Content-Length`` before anything is read,
    and by counting the bytes actually received (chunked or lying clients)."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        max_upload_bytes: int,
        upload_paths: Collection[str] = ("/v1/documents",),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes
        self.upload_paths = frozenset(upload_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        upload = scope["path"] in self.upload_paths
        stated = self.max_upload_bytes if upload else self.max_body_bytes
        limit = stated + MULTIPART_SLACK if upload else stated
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await _error(scope, receive, send, 400, "invalid Content-Length header")
                return
            if int(declared) > limit:
                await _error(scope, receive, send, 413, BodyTooLarge(stated).detail)
                return
        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(stated)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge as exc:
            if response_started:
                raise
            await _error(scope, receive, send, 413, exc.detail)


class RateLimitMiddleware:
    """Rate limits (moving window) on the paths that do model work, counted per API key or, for
    anonymous requests, per client address; each path is counted separately.

    A request presenting one of our API keys (``Authorization: Bearer cpa_...`` or
    ``X-API-Key: cpa_...``) is counted against that key's own limit and never against the
    address limit; an unknown or revoked key gets 401. The admin key is not limited. A credential
    that is not one of our keys (OpenAI clients must send one) leaves the request anonymous.
    A refused request gets 429 with ``Retry-After`` (seconds until the window frees a slot)
    before its body is read; counts kept in an unreachable Redis give 503.
    """

    def __init__(
        self,
        app: ASGIApp,
        rate: str,
        paths: Collection[str],
        limiter: Limiter | None = None,
        keys: KeyStore | None = None,
        admin_key: str = "",
        trusted_proxies: Collection[str] = (),
    ) -> None:
        self.app = app
        self.items: list[RateLimitItem] = _items(rate)
        self.paths = frozenset(paths)
        self.limiter = limiter or Limiter()
        self.keys = keys
        self.admin_key = admin_key
        self.trusted = trusted_networks(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        credential = presented_credential(scope)
        if credential and self.admin_key and _same(credential, self.admin_key):
            await self.app(scope, receive, send)
            return
        if credential and looks_like_key(credential):
            try:
                key = self.keys.verify(credential) if self.keys is not None else None
            except sqlite3.Error:
                error_log.exception("the API key store cannot be read")
                await _error(scope, receive, send, 503, "the API key store is unavailable")
                return
            if key is None or key.revoked:
                what = "revoked" if key is not None else "unknown"
                detail = f"invalid API key: this key is {what} (ask an admin for a valid one)"
                await _error(scope, receive, send, 401, detail, {"WWW-Authenticate": "Bearer"})
                return
            scope.setdefault("state", {})["api_key"] = key.id
            items, bucket = _items(key.rate), ("key", key.id, scope["path"])
        else:
            items = self.items
            bucket = ("addr", client_address(scope, self.trusted), scope["path"])
        if not items:
            await self.app(scope, receive, send)
            return
        try:
            wait = await self.limiter.acquire_async(items, *bucket)
        except LimiterUnavailable as exc:
            error_log.error("rate-limit storage unreachable: %s", exc)
            detail = "the rate-limit store is unreachable; try again shortly"
            await _error(scope, receive, send, 503, detail, {"Retry-After": "5"})
            return
        if wait is None:
            await self.app(scope, receive, send)
            return
        limits_text = "; ".join(str(item) for item in items)
        who = "this API key" if bucket[0] == "key" else "this address"
        await _error(
            scope,
            receive,
            send,
            429,
            f"rate limit exceeded for {who} ({limits_text}); retry in {wait} s",
            {"Retry-After": str(wait)},
        )


@lru_cache(maxsize=256)
def _parsed(rate: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(rate)) if rate.strip() else ()


def _items(rate: str) -> list[RateLimitItem]:
    return list(_parsed(rate))


def _same(offered: str, expected: str) -> bool:
    return hmac.compare_digest(offered.encode("utf-8"), expected.encode("utf-8"))


class JSONCORSMiddleware(CORSMiddleware):
    """Starlette's CORS middleware, with refused preflight requests answered in JSON."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        headers = {k: v for k, v in response.headers.items() if k.lower() == "vary"}
        text = bytes(response.body).decode("utf-8", "replace")
        return JSONResponse(
            {"detail": f"CORS preflight refused: {text}"},
            status_code=response.status_code,
            headers=headers,
        )


async def _error(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    detail: str,
    headers: dict[str, str] | None = None,
) -> None:
    response = JSONResponse({"detail": detail}, status_code=status, headers=headers)
    await response(scope, receive, send)


RATE_LIMITED_PATHS = (
    "/v1/ask",
    "/v1/chat",
    "/v1/chat/completions",
    "/v1/feedback",
    "/v1/admin/session",  # sign-in: guessing the admin key costs a slot per try
)


def install_middleware(app: Starlette, settings: ApiSettings, keys: KeyStore | None = None) -> None:
    """Add the middleware, outermost first: request id and access log, CORS, rate limit, size.

    The rate limiter is built here, so a bad `api.limits_storage` fails at start-up.
    """
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.add_middleware(
        RateLimitMiddleware,
        rate=settings.rate_limit,
        paths=RATE_LIMITED_PATHS,
        limiter=Limiter(settings.limits_storage),
        keys=keys,
        admin_key=settings.admin_api_key.get_secret_value(),
        trusted_proxies=settings.trusted_proxies,
    )
    app.add_middleware(
        JSONCORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
        allow_headers=["Content-Type", "Authorization", "X-API-Key", REQUEST_ID_HEADER],
        expose_headers=[REQUEST_ID_HEADER, "Retry-After"],
        max_age=600,
    )
    app.add_middleware(RequestContextMiddleware, trusted_proxies=settings.trusted_proxies)
    if not access_log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
    if access_log.level == logging.NOTSET:
        access_log.setLevel(logging.INFO)
