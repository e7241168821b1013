"""Admin operations on the whole index, and the questions it could not answer."""

from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import AdminDep, ContainerDep, LibraryDep
from api.errors import responses
from api.schemas import (
    FileFailure,
    NearestOut,
    ReindexOut,
    UnansweredList,
    UnansweredOut,
    UnansweredTopic,
)
from api.unanswered import topics
from assistant.container import Container
from assistant.storage.unanswered import StoredUnanswered

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


def _entry(stored: StoredUnanswered) -> UnansweredOut:
    e = stored.entry
    return UnansweredOut(
        id=stored.id,
        created_at=stored.created_at,
        question=e.question,
        coverage=e.coverage,
        evidence=round(e.evidence, 4),
        language=e.language,
        nearest=[NearestOut(doc_id=n.doc_id, title=n.title, section=n.section) for n in e.nearest],
        turns_before=len(e.messages),
    )


def _grouped(container: Container) -> UnansweredList:
    entries = container.unanswered.all()
    grouped = topics(entries, container.embedder)
    return UnansweredList(
        total=len(entries),
        recording=container.settings.api.record_unanswered,
        topics=[
            UnansweredTopic(
                topic=t.name, count=len(t.entries), questions=[_entry(e) for e in t.entries]
            )
            for t in grouped
        ],
    )


@router.get(
    "/admin/unanswered",
    response_model=UnansweredList,
    dependencies=[AdminDep],
    responses=responses(401, 503),
)
async def unanswered(container: ContainerDep) -> UnansweredList:
    """The questions the documents could not answer (declined, or the value asked for absent),
    grouped by topic, largest group first: the list a content owner works through (admin)."""
    return await run_in_threadpool(_grouped, container)


def _ndjson(container: Container) -> str:
    rows = container.unanswered.export_cases()
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


@router.get(
    "/admin/unanswered/export",
    response_class=Response,
    dependencies=[AdminDep],
    responses={
        200: {
            "description": "One evaluation case per line (the `evals` JSONL format), answerable "
            "with no gold yet, with the extra fields `coverage`, `evidence`, `nearest`, "
            "`request_id`, `created_at`.",
            "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
        },
        **responses(401, 503),
    },
)
async def export_unanswered(container: ContainerDep) -> Response:
    """Every unanswered question as an evaluation case to complete (admin)."""
    body = await run_in_threadpool(_ndjson, container)
    return Response(
        body,
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="unanswered.jsonl"'},
    )


@router.delete(
    "/admin/unanswered/{entry_id}",
    status_code=204,
    dependencies=[AdminDep],
    responses=responses(401, 404, 503),
)
async def delete_unanswered(
    container: ContainerDep, entry_id: int = Path(ge=1, le=2**62)
) -> Response:
    """Remove one entry from the list, once the document that answers it is added (admin)."""
    if not await run_in_threadpool(container.unanswered.delete, entry_id):
        raise HTTPException(404, f"no unanswered question {entry_id}")
    return Response(status_code=204)
