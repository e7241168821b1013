"""Admin operations on the whole index, and the questions it could not answer."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import AdminDep, ContainerDep, LibraryDep, RequestIdDep
from api.errors import responses
from api.schemas import (
    Catalogue,
    CatalogueEntryOut,
    FileFailure,
    NearestOut,
    ReindexOut,
    ReindexProgress,
    UnansweredList,
    UnansweredOut,
    UnansweredTopic,
)
from api.sse import event_schema, first_of, sse_json, stream_response
from api.unanswered import topics
from assistant.container import Container
from assistant.storage.unanswered import StoredUnanswered
from ingest.catalogue import CatalogueEntry, catalogue
from ingest.library import Library, ReindexResult

router = APIRouter(prefix="/v1", tags=["admin"])


REINDEX_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The counts (JSON), or with `stream=true` Server-Sent Events: "
        "`progress` (ReindexProgress)…, then `done` (ReindexOut) or `error` (ErrorBody).",
        "content": {
            "text/event-stream": {
                "schema": event_schema(
                    ["progress", "done", "error"], "JSON: ReindexProgress, ReindexOut or ErrorBody."
                )
            }
        },
    }
}


def _reindex_out(result: ReindexResult) -> ReindexOut:
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


def _reindex_events(library: Library) -> Iterator[ReindexProgress | ReindexResult]:
    """The reindex run in a thread of its own, as its progress reports and then its result."""
    reports: queue.SimpleQueue[ReindexProgress | ReindexResult | BaseException] = (
        queue.SimpleQueue()
    )

    def work() -> None:
        try:
            reports.put(
                library.reindex(
                    lambda done, total: reports.put(ReindexProgress(done=done, total=total))
                )
            )
        except BaseException as exc:
            reports.put(exc)

    threading.Thread(target=work, name="reindex", daemon=True).start()
    while True:
        report = reports.get()
        if isinstance(report, BaseException):
            raise report
        yield report
        if isinstance(report, ReindexResult):
            return


def _reindex_frames(event: ReindexProgress | ReindexResult) -> list[bytes]:
    if isinstance(event, ReindexProgress):
        return [sse_json(event.model_dump(), "progress")]
    return [sse_json(_reindex_out(event).model_dump(), "done")]


@router.post(
    "/reindex",
    response_model=ReindexOut,
    dependencies=[AdminDep],
    responses={**REINDEX_DOC, **responses(401, 403, 503)},
)
async def reindex(
    library: LibraryDep,
    request_id: RequestIdDep,
    stream: Annotated[
        bool, Query(description="Stream `progress` events, then the counts as `done`.")
    ] = False,
) -> Response | ReindexOut:
    """Ingest the configured corpus and the uploads again; unchanged files cost nothing (admin)."""
    if not stream:
        return _reindex_out(await run_in_threadpool(library.reindex))
    events = _reindex_events(library)
    first = await first_of(events)  # a busy store answers 503 before the stream starts
    return stream_response(
        first,
        events,
        _reindex_frames,
        lambda detail: sse_json({"detail": detail}, "error"),
        request_id,
    )


@router.get(
    "/admin/documents",
    response_model=Catalogue,
    dependencies=[AdminDep],
    responses=responses(401, 503),
)
async def admin_documents(container: ContainerDep) -> Catalogue:
    """Every file of the collection: its document, origin, status and when it was indexed
    (admin). Unlike `GET /v1/documents` it lists failed files and duplicates too."""
    entries = await run_in_threadpool(catalogue, container.settings, container.documents)
    return Catalogue(items=[_catalogue_entry(e) for e in entries])


def _catalogue_entry(entry: CatalogueEntry) -> CatalogueEntryOut:
    info = entry.info
    return CatalogueEntryOut(
        file=entry.file,
        origin=entry.origin,  # type: ignore[arg-type]
        status=entry.status,  # type: ignore[arg-type]
        reason=entry.reason,
        indexed_at=entry.indexed_at,
        doc_id=entry.doc_id,
        title=info.title if info else None,
        doc_type=info.doc_type if info else None,
        source=info.source if info else None,
        year=info.year if info else None,
        language=info.language if info else None,
        chunks=info.chunks if info and entry.status == "indexed" else 0,
        pages=info.pages if info else None,
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
