"""GET /healthz (the process is up) and GET /readyz (it can answer questions)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import ContainerDep
from api.schemas import Health, ReadyOut
from assistant.container import Container

router = APIRouter(tags=["health"])
log = logging.getLogger("api")


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """Liveness: answers as long as the process serves requests."""
    return Health()


def readiness(container: Container) -> ReadyOut:
    """Whether the model is loaded and the store answers, with the store's size."""
    model_loaded = container.embedder.is_loaded
    try:
        chunks = container.store.count()
        documents = container.documents.count()
        reachable = True
    except Exception as exc:  # any failure to reach the store means "not ready"
        log.warning("readiness: store unreachable: %s", exc)
        chunks = documents = 0
        reachable = False
    ready = model_loaded and reachable
    return ReadyOut(
        status="ready" if ready else "not_ready",
        model_loaded=model_loaded,
        store_reachable=reachable,
        documents=documents,
        chunks=chunks,
    )


@router.get(
    "/readyz",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "Not ready (same body)."}},
)
async def readyz(container: ContainerDep) -> JSONResponse:
    """Readiness: 200 when the embedding model is loaded and the store answers, else 503."""
    state = await run_in_threadpool(readiness, container)
    return JSONResponse(state.model_dump(), status_code=200 if state.status == "ready" else 503)
