"""POST /v1/ask: one question, one grounded answer."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from api.deps import AssistantDep, PreferredLanguageDep, RequestIdDep, UnansweredDep
from api.errors import responses
from api.schemas import AskRequest, AskResponse
from assistant.pipeline import Turn

router = APIRouter(prefix="/v1", tags=["answers"])


@router.post("/ask", response_model=AskResponse, responses=responses(400, 401, 413, 422, 429, 503))
async def ask(
    body: AskRequest,
    assistant: AssistantDep,
    preferred: PreferredLanguageDep,
    unanswered: UnansweredDep,
    request_id: RequestIdDep,
) -> AskResponse:
    """Answer from the documents with `[n]` citations, or decline when they do not say."""
    history = [Turn(m.role, m.content) for m in body.history]
    filters = body.filters.as_dict() if body.filters else None
    answer = await run_in_threadpool(
        unanswered.answer,
        assistant,
        body.question,
        history,
        request_id,
        filters,
        body.top_k,
        body.explain,
        body.language,
        preferred,
    )
    return AskResponse.of(answer)
