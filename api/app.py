"""The FastAPI application factory."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.errors import install_error_handlers
from api.lifespan import lifespan
from api.middleware import install_middleware
from api.routes import admin, ask, chat, documents, feedback, health, openai_compat, pages
from assistant.container import Container
from assistant.errors import AssistantError, InvalidFilterError, StoreUnavailableError

log = logging.getLogger("api")


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def create_app(container: Container | None = None) -> FastAPI:
    """Build the app around a container (a new one from the environment by default)."""
    app = FastAPI(
        title="Cluster Policy Assistant",
        version="0.1.0",
        description="Grounded answers with citations over European cluster-policy documents.",
        lifespan=lifespan,
    )
    app.state.container = container or Container()
    app.include_router(health.router)
    app.include_router(ask.router)
    app.include_router(pages.router)
    for router in (chat, openai_compat, documents, feedback, admin):
        app.include_router(router.router)
    install_middleware(app, app.state.container.settings.api)
    install_error_handlers(app)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={"detail": _validation_message(exc), "errors": jsonable_encoder(exc.errors())},
        )

    @app.exception_handler(InvalidFilterError)
    async def _bad_filter(_: Request, exc: InvalidFilterError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(exc)})

    @app.exception_handler(StoreUnavailableError)
    async def _store_down(_: Request, exc: StoreUnavailableError) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": str(exc)})

    @app.exception_handler(AssistantError)
    async def _assistant_error(_: Request, exc: AssistantError) -> JSONResponse:
        log.error("assistant error: %s", exc)
        return JSONResponse(status_code=503, content={"detail": str(exc)})

    return app
