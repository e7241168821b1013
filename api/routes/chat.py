"""POST /v1/chat: a conversation's next answer, as JSON or as Server-Sent Events.

With `"stream": true` the response is `text/event-stream`: one `citations` event (the passages
the answer may cite), `delta` events with pieces of the answer text, and a `done` event with the
whole `ChatResponse`, whose `answer` replaces the streamed text. An error after the stream started
ends it with an `error` event `{"detail": ...}`; errors before it (bad filters, store down) get
their normal status code.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import AssistantDep, PreferredLanguageDep, RequestIdDep, UnansweredDep
from api.errors import responses
from api.schemas import (
    ChatRequest,
    ChatResponse,
    CitationOut,
    CitationsEventData,
    DeltaEventData,
    answer_fields,
)
from api.sse import event_schema, first_of, sse_json, stream_response
from api.unanswered import recorded
from assistant.pipeline import Turn
from assistant.types import CitationsEvent, DeltaEvent, DoneEvent, StreamEvent

router = APIRouter(prefix="/v1", tags=["answers"])

STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The answer (JSON), or with `stream: true` Server-Sent Events: "
        "`citations` (CitationsEventData), `delta` (DeltaEventData)…, `done` (ChatResponse), "
        "or `error` (ErrorBody).",
        "content": {
            "text/event-stream": {
                "schema": event_schema(
                    ["citations", "delta", "done", "error"],
                    "JSON: CitationsEventData, DeltaEventData, ChatResponse or ErrorBody.",
                )
            }
        },
    }
}


def _encode(request_id: str) -> Any:
    def encode(event: StreamEvent) -> list[bytes]:
        if isinstance(event, CitationsEvent):
            data = CitationsEventData(citations=[CitationOut.of(c) for c in event.citations])
            return [sse_json(data.model_dump(mode="json"), "citations")]
        if isinstance(event, DeltaEvent):
            return [sse_json(DeltaEventData(text=event.text).model_dump(), "delta")]
        if isinstance(event, DoneEvent):
            done = ChatResponse(**answer_fields(event.answer), request_id=request_id)
            return [sse_json(done.model_dump(mode="json"), "done")]
        return []

    return encode


@router.post(
    "/chat",
    response_model=ChatResponse,
    responses={**STREAM_DOC, **responses(400, 401, 413, 422, 429, 503)},
)
async def chat(
    body: ChatRequest,
    assistant: AssistantDep,
    request_id: RequestIdDep,
    preferred: PreferredLanguageDep,
    unanswered: UnansweredDep,
) -> Any:
    """Answer the last message of the conversation from the documents, with `[n]` citations."""
    question = body.messages[-1].content
    history = [Turn(m.role, m.content) for m in body.messages[:-1]]
    filters = body.filters.as_dict() if body.filters else None
    if not body.stream:
        answer = await run_in_threadpool(
            unanswered.answer,
            assistant,
            question,
            history,
            request_id,
            filters,
            body.top_k,
            body.explain,
            body.language,
            preferred,
        )
        return ChatResponse(**answer_fields(answer), request_id=request_id)
    events = recorded(
        assistant.stream(
            question, history, filters, body.top_k, body.explain, body.language, preferred
        ),
        unanswered,
        question,
        history,
        request_id,
    )
    first = await first_of(events)
    response: Response = stream_response(
        first,
        events,
        _encode(request_id),
        lambda detail: sse_json({"detail": detail}, "error"),
        request_id,
    )
    return response
