"""ASGI middleware: request ids and access logs, CORS, rate limits and request size limits.

Each is a plain ASGI middleware so that it can answer before the body is read (a too-large or
rate-limited request costs nothing) and so that streaming responses pass through untouched. Every
response they produce is JSON ``{"detail": ...}`` like the rest of the API.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
import uuid
from collections.abc import Collection
from datetime import UTC, datetime

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.settings import ApiSettings

access_log = logging.getLogger("api.access")
error_log = logging.getLogger("api")

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
MULTIPART_SLACK = 64 * 1024
"""Bytes a multipart upload may carry beyond the file itself (boundaries, part headers)."""


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def request_id_of(scope: Scope) -> str | None:
    """The id `RequestContextMiddleware` gave this request."""
    state = scope.get("state") or {}
    value = state.get("request_id")
    return str(value) if value else None


class RequestContextMiddleware:
    """Gives every request an id (a sane incoming ``X-Request-ID`` or a new uuid4), returns it in
    the ``X-Request-ID`` response header, writes one JSON access-log line per request on the
    ``api.access`` logger, and turns an unhandled exception into a logged JSON 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        request_id = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
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
                        "client": _client(scope),
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
    """Per-client limits (moving window, in memory) on the paths that do model work.

    The client is the remote address; each path is counted separately. A refused request gets 429
    with ``Retry-After`` (seconds until the window frees a slot) before its body is read.
    """

    def __init__(self, app: ASGIApp, rate: str, paths: Collection[str]) -> None:
        self.app = app
        self.items: list[RateLimitItem] = parse_many(rate) if rate.strip() else []
        self.paths = frozenset(paths)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not self.items
            or scope["method"] != "POST"
            or scope["path"] not in self.paths
        ):
            await self.app(scope, receive, send)
            return
        key = (_client(scope), scope["path"])
        blocked = [item for item in self.items if not self.limiter.test(item, *key)]
        if not blocked:
            for item in self.items:
                self.limiter.hit(item, *key)
            await self.app(scope, receive, send)
            return
        now = time.time()
        wait = max(
            math.ceil(self.limiter.get_window_stats(item, *key).reset_time - now)
            for item in blocked
        )
        limits_text = "; ".join(str(item) for item in blocked)
        await _error(
            scope,
            receive,
            send,
            429,
            f"rate limit exceeded ({limits_text}); retry in {max(wait, 1)} s",
            {"Retry-After": str(max(wait, 1))},
        )


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


RATE_LIMITED_PATHS = ("/v1/ask", "/v1/chat", "/v1/chat/completions", "/v1/feedback")


def install_middleware(app: Starlette, settings: ApiSettings) -> None:
    """Add the middleware, outermost first: request id and access log, CORS, rate limit, size."""
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.add_middleware(RateLimitMiddleware, rate=settings.rate_limit, paths=RATE_LIMITED_PATHS)
    app.add_middleware(
        JSONCORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
        allow_headers=["Content-Type", "Authorization", "X-API-Key", REQUEST_ID_HEADER],
        expose_headers=[REQUEST_ID_HEADER, "Retry-After"],
        max_age=600,
    )
    app.add_middleware(RequestContextMiddleware)
    if not access_log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
    if access_log.level == logging.NOTSET:
        access_log.setLevel(logging.INFO)
