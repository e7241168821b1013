"""Start-up and shut-down of the service: warm the model and the BM25 index before serving."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from assistant.container import Container
from assistant.errors import AssistantError

log = logging.getLogger("api")


def warm_up(container: Container) -> None:
    """Load the embedding model, then warm every answer stage and build the document catalogue.

    Failures are logged, not raised: the service still starts and `/readyz` reports what is
    missing (a store that comes up later is picked up on first use).
    """
    started = time.perf_counter()
    try:
        container.embedder.warm_up()
    except AssistantError as exc:
        log.error("warm-up: %s", exc)
        return
    model_s = time.perf_counter() - started
    try:
        container.assistant.warm_up()
        documents = container.documents.count()
        log.info(
            "warm-up done in %.2f s (%s model %.2f s, BM25 index %s): %d documents, %d chunks",
            time.perf_counter() - started,
            container.embedder.backend,
            model_s,
            "loaded" if container.lexical.loaded_from_cache else "built",
            documents,
            container.store.count(),
        )
    except AssistantError as exc:
        log.warning("warm-up: the store is not reachable yet: %s", exc)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Warm up before the first request unless `api.warm_up` is false."""
    container: Container = app.state.container
    if container.settings.api.warm_up:
        await run_in_threadpool(warm_up, container)
    yield
