"""Admin operations on the whole index."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from api.deps import AdminDep, LibraryDep
from api.errors import responses
from api.schemas import FileFailure, ReindexOut

router = APIRouter(prefix="/v1", tags=["admin"])


@router.post(
    "/reindex",
    response_model=ReindexOut,
    dependencies=[AdminDep],
    responses=responses(401, 503),
)
async def reindex(library: LibraryDep) -> ReindexOut:
    """Ingest the configured corpus and the uploads again; unchanged files cost nothing (admin)."""
    result = await run_in_threadpool(library.reindex)
    return ReindexOut(
        indexed=result.indexed,
        unchanged=result.unchanged,
        removed=result.removed,
        duplicate=result.duplicate,
        failed=result.failed,
        chunks_embedded=result.chunks_embedded,
        seconds=round(result.seconds, 3),
        failures=[FileFailure(file=f.path, reason=f.reason) for f in result.failures],
    )
