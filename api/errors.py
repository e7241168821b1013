"""Error responses: what routes declare in the OpenAPI schema, and every exception handler of the
service, in one place. Every error body is JSON `{"detail": ...}` (`ErrorBody`).

| raised                                   | status                                     |
|------------------------------------------|--------------------------------------------|
| `HTTPException` (routes, deps, body size) | its own (404, 401, 413, ...)               |
| `RequestValidationError`                 | 422, with `errors`                         |
| `ingest.errors.UploadError`              | 415, 422 (with `reason`), 409 or 413       |
| `assistant.errors.InvalidFilterError`    | 422                                        |
| `assistant.errors.StoreUnavailableError` | 503                                        |
| `assistant.storage.writer_lock.StoreBusyError` | 503 with `Retry-After` (another writer) |
| any other `assistant.errors.AssistantError` | 503                                     |
| `sqlite3.Error` (feedback store)         | 503                                        |
| anything else (a bug)                    | 500 `internal error`, logged with its trace |
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route
from starlette.types import Scope

from api.schemas import ErrorBody
from assistant.errors import AssistantError, InvalidFilterError, StoreUnavailableError
from assistant.storage.writer_lock import StoreBusyError
from ingest.errors import UploadError

log = logging.getLogger("api")

_DESCRIPTIONS = {
    400: "Malformed request.",
    401: "Missing or wrong admin API key (admin endpoints), or an unknown or revoked API key.",
    403: "CSRF check failed: a change made with the admin console's session cookie needs its "
    "`X-CSRF-Token` header, from this service's own origin.",
    404: "Not found.",
    409: "Conflict with an existing document.",
    413: "Request body too large.",
    415: "Unsupported file type.",
    422: "Invalid request.",
    429: "Rate limit exceeded; retry after `Retry-After` seconds.",
    503: "The store or the model is unavailable.",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for these status codes, all with an `ErrorBody`."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        entry: dict[str, Any] = {"model": ErrorBody, "description": _DESCRIPTIONS[code]}
        if code == 429:
            entry["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before retrying.",
                    "schema": {"type": "integer"},
                }
            }
        out[code] = entry
    return out


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def _printable(value: Any) -> Any:
    """`value` with every string made encodable: a refused input is echoed in the error, and
    a lone surrogate in it must not turn the 422 into a 500."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(v) for v in value]
    return value


def install_error_handlers(app: FastAPI) -> None:
    """Map every failure (see the table above) to a JSON response."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content=_printable(
                {"detail": _validation_message(exc), "errors": jsonable_encoder(exc.errors())}
            ),
        )

    @app.exception_handler(InvalidFilterError)
    async def _bad_filter(_: Request, exc: InvalidFilterError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(exc)})

    @app.exception_handler(StoreUnavailableError)
    async def _store_down(_: Request, exc: StoreUnavailableError) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": str(exc)})

    @app.exception_handler(StoreBusyError)
    async def _store_busy(_: Request, exc: StoreBusyError) -> JSONResponse:
        return JSONResponse(
            status_code=503, content={"detail": str(exc)}, headers={"Retry-After": "5"}
        )

    @app.exception_handler(AssistantError)
    async def _assistant_error(_: Request, exc: AssistantError) -> JSONResponse:
        log.error("assistant error: %s", exc)
        return JSONResponse(status_code=503, content={"detail": str(exc)})

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # one path, several routes: allow the methods of them all
            headers["Allow"] = ", ".join(sorted(allowed_methods(request.app, request.scope)))
        if exc.status_code in (204, 304):
            return Response(status_code=exc.status_code, headers=headers)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(UploadError)
    async def _upload_refused(_: Request, exc: UploadError) -> JSONResponse:
        status = UPLOAD_STATUS.get(exc.kind, 422)
        content: dict[str, Any] = {"detail": exc.detail}
        if status == 422:
            content["reason"] = exc.reason
        return JSONResponse(status_code=status, content=content)

    @app.exception_handler(sqlite3.Error)
    async def _feedback_store(_: Request, exc: sqlite3.Error) -> JSONResponse:
        log.error("feedback store error: %s", exc)
        return JSONResponse(status_code=503, content={"detail": f"feedback store error: {exc}"})

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse(status_code=500, content={"detail": "internal error"})


UPLOAD_STATUS = {"unsupported": 415, "invalid": 422, "conflict": 409, "too_large": 413}


def allowed_methods(app: Starlette, scope: Scope) -> set[str]:
    """Every method some route serves at this path (for the `Allow` header of a 405)."""
    methods: set[str] = set()
    for route in app.router.routes:
        if isinstance(route, Route) and route.methods:
            match, _ = route.matches(scope)
            if match != Match.NONE:
                methods |= route.methods
    return methods
