"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.lifespan import lifespan
from api.middleware import install_middleware
from api.routes import admin, ask, chat, documents, feedback, health, openai_compat, pages
from assistant.container import Container


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

    return app
