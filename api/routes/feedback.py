"""Ratings of answers: submit (public) and export as evaluation cases (admin)."""

from __future__ import annotations

import json

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import AdminDep, FeedbackDep
from api.errors import responses
from api.schemas import FeedbackCreated, FeedbackIn
from assistant.storage.feedback import CitedSource, Feedback, FeedbackStore

router = APIRouter(prefix="/v1", tags=["feedback"])


@router.post(
    "/feedback",
    status_code=201,
    response_model=FeedbackCreated,
    responses=responses(400, 413, 422, 429, 503),
)
async def submit_feedback(body: FeedbackIn, store: FeedbackDep) -> FeedbackCreated:
    """Rate an answer 👍 (`up`) or 👎 (`down`), with an optional comment."""
    feedback = Feedback(
        rating=body.rating,
        question=body.question,
        answer=body.answer,
        comment=body.comment,
        citations=[CitedSource(c.n, c.chunk_id, c.doc_id) for c in body.citations],
        messages=[(m.role, m.content) for m in body.messages],
        request_id=body.request_id,
    )
    return FeedbackCreated(id=await run_in_threadpool(store.add, feedback))


def _ndjson(store: FeedbackStore) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in store.export_cases())


@router.get(
    "/feedback/export",
    response_class=Response,
    dependencies=[AdminDep],
    responses={
        200: {
            "description": "One evaluation case per line (the `evals` JSONL format) with the "
            "extra fields `rating`, `comment`, `answer`, `citations`, `request_id`, `created_at`.",
            "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
        },
        **responses(401, 503),
    },
)
async def export_feedback(store: FeedbackDep) -> Response:
    """Every rating as a regression case for `cluster-assistant eval --dataset FILE` (admin)."""
    body = await run_in_threadpool(_ndjson, store)
    return Response(
        body,
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="feedback.jsonl"'},
    )
