"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.keys import KeyStore
from api.lifespan import lifespan
from api.middleware import install_middleware
from api.routes import (
    admin,
    ask,
    chat,
    documents,
    feedback,
    health,
    keys,
    locales,
    openai_compat,
    pages,
    session,
)
from assistant.container import Container
from assistant.embedder import enforce_offline


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
    for router in (chat, openai_compat, documents, feedback, admin, keys, session, locales):
        app.include_router(router.router)
    settings = app.state.container.settings
    app.state.api_keys = KeyStore.in_dir(settings.data_dir)
    install_middleware(app, settings.api, app.state.api_keys)
    install_error_handlers(app)

    return app


def create_app_from_settings() -> FastAPI:
    """The app of one worker process, for uvicorn's ``--factory`` (several workers need an import
    string): a container from the environment's settings, offline unless
    `embedding.allow_download` is set."""
    container = Container()
    if not container.settings.embedding.allow_download:
        enforce_offline()
    return create_app(container)
