"""Ratings of answers: submit (public) and export as evaluation cases (admin)."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
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


class CitedOut(BaseModel):
    """A citation of a rated answer."""

    n: int
    chunk_id: str
    doc_id: str


class FeedbackOut(BaseModel):
    """A rating as stored."""

    id: int
    created_at: str
    rating: str
    comment: str | None
    question: str
    answer: str
    citations: list[CitedOut]
    turns_before: int = Field(description="Messages of the conversation before the question.")


class FeedbackList(BaseModel):
    """Ratings, newest first."""

    items: list[FeedbackOut]
    total: int


def _listed(store: FeedbackStore, limit: int, rating: str | None) -> FeedbackList:
    rows = [s for s in store.all() if rating is None or s.feedback.rating == rating]
    items = [
        FeedbackOut(
            id=s.id,
            created_at=s.created_at,
            rating=s.feedback.rating,
            comment=s.feedback.comment,
            question=s.feedback.question,
            answer=s.feedback.answer,
            citations=[
                CitedOut(n=c.n, chunk_id=c.chunk_id, doc_id=c.doc_id) for c in s.feedback.citations
            ],
            turns_before=len(s.feedback.messages),
        )
        for s in reversed(rows[-limit:])
    ]
    return FeedbackList(items=items, total=len(rows))


@router.get(
    "/admin/feedback",
    response_model=FeedbackList,
    dependencies=[AdminDep],
    responses=responses(401, 422, 503),
)
async def list_feedback(
    store: FeedbackDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Newest ratings to return.")] = 200,
    rating: Annotated[Literal["up", "down"] | None, Query(description="Only this rating.")] = None,
) -> FeedbackList:
    """The ratings with their comments, answers and citations, newest first (admin)."""
    return await run_in_threadpool(_listed, store, limit, rating)


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
