"""Error responses: what routes declare in the OpenAPI schema, and the handlers that produce
them. Every error body is JSON `{"detail": ...}` (`ErrorBody`)."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route
from starlette.types import Scope

from api.schemas import ErrorBody
from ingest.library import UploadError

log = logging.getLogger("api")

_DESCRIPTIONS = {
    400: "Malformed request.",
    401: "Missing or wrong admin API key, or admin endpoints disabled.",
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


def install_error_handlers(app: FastAPI) -> None:
    """Map the failures of uploads, the feedback store and genuine bugs to JSON responses."""

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
