"""The OpenAI chat-completions API, so that any OpenAI client can talk to the assistant.

`POST /v1/chat/completions` takes the usual request: `system`/`developer` messages are accepted
and not used, `user` and `assistant` messages are the conversation, and sampling parameters are
accepted and ignored. The answer keeps its `[n]` markers in the text, and the passages they point
to are in an extra top-level `citations` field, and `coverage` (`full`, `partial`, `none`) beside
it (in streaming, both on the final chunk). `filters` is an
extension with the same meaning as in `/v1/ask`. `GET /v1/models` lists the one model.

When citation verification changes a generated answer after it was streamed (generative mode), the
final chunk also carries the verified text in an extra `answer` field; `citations` match that text.
"""

from __future__ import annotations

import math
import time
import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import AssistantDep, PreferredLanguageDep, RequestIdDep, UnansweredDep
from api.errors import responses
from api.schemas import (
    MODEL_ID,
    AssistantMessage,
    ChatCompletion,
    ChatCompletionRequest,
    Choice,
    CitationOut,
    ModelList,
    ModelOut,
    Usage,
)
from api.sse import event_schema, first_of, sse, sse_json, stream_response
from api.unanswered import recorded
from assistant.pipeline import Turn
from assistant.types import DeltaEvent, DoneEvent, StreamEvent

router = APIRouter(prefix="/v1", tags=["openai"])

MODEL_CREATED = 1735689600  # 2025-01-01, a fixed "created" time for the model list


def approx_tokens(text: str) -> int:
    """A rough token count: about four characters a token."""
    return math.ceil(len(text) / 4) if text else 0


def _model() -> ModelOut:
    return ModelOut(id=MODEL_ID, created=MODEL_CREATED, owned_by="cluster-policy-assistant")


@router.get("/models", response_model=ModelList)
async def list_models() -> ModelList:
    """The models this endpoint serves: one, `cluster-policy-assistant`."""
    return ModelList(data=[_model()])


@router.get("/models/{model_id}", response_model=ModelOut, responses=responses(404, 422))
async def get_model(model_id: str = Path(max_length=200)) -> ModelOut:
    """One model by id."""
    if model_id != MODEL_ID:
        raise HTTPException(404, f"unknown model {model_id!r}; the model is {MODEL_ID!r}")
    return _model()


STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A `chat.completion`, or with `stream: true` `chat.completion.chunk` "
        "Server-Sent Events ending with `data: [DONE]`.",
        "content": {
            "text/event-stream": {
                "schema": event_schema(None, "A `chat.completion.chunk` as JSON, or `[DONE]`.")
            }
        },
    }
}


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    responses={**STREAM_DOC, **responses(400, 401, 413, 422, 429, 503)},
)
async def chat_completions(
    body: ChatCompletionRequest,
    assistant: AssistantDep,
    request_id: RequestIdDep,
    preferred: PreferredLanguageDep,
    unanswered: UnansweredDep,
) -> Any:
    """OpenAI-compatible chat completion, answered from the documents with `[n]` citations."""
    turns = [m for m in body.messages if m.role in ("user", "assistant")]
    question = turns[-1].text
    history = [Turn(m.role, m.text) for m in turns[:-1]]
    filters = body.filters.as_dict() if body.filters else None
    prompt_tokens = sum(approx_tokens(m.text) for m in body.messages)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    if not body.stream:
        answer = await run_in_threadpool(
            unanswered.answer,
            assistant,
            question,
            history,
            request_id,
            filters,
            None,
            False,
            None,
            preferred,
        )
        completion_tokens = approx_tokens(answer.answer)
        return ChatCompletion(
            id=completion_id,
            created=created,
            model=MODEL_ID,
            choices=[Choice(message=AssistantMessage(content=answer.answer))],
            usage=Usage(
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                total_tokens=prompt_tokens + completion_tokens,
            ),
            citations=[CitationOut.of(c) for c in answer.citations],
            coverage=answer.coverage,
        )

    include_usage = bool(body.stream_options and body.stream_options.include_usage)

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        return sse_json(
            {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": MODEL_ID,
                "system_fingerprint": None,
                "choices": [
                    {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
                ],
                **extra,
            }
        )

    streamed: list[str] = []

    def encode(event: StreamEvent) -> list[bytes]:
        if isinstance(event, DeltaEvent):
            streamed.append(event.text)
            return [chunk({"content": event.text})]
        if isinstance(event, DoneEvent):
            citations = [CitationOut.of(c).model_dump(mode="json") for c in event.answer.citations]
            final, sent = event.answer.answer, "".join(streamed)
            frames = []
            extra: dict[str, Any] = {"citations": citations, "coverage": event.answer.coverage}
            if final != sent:
                if final.startswith(sent):
                    frames.append(chunk({"content": final[len(sent) :]}))
                else:  # verification changed the text: the authoritative answer goes along
                    extra["answer"] = final
            frames.append(chunk({}, "stop", **extra))
            if include_usage:
                completion_tokens = approx_tokens(event.answer.answer)
                usage = {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                }
                frames.append(
                    sse_json(
                        {
                            "id": completion_id,
                            "object": "chat.completion.chunk",
                            "created": created,
                            "model": MODEL_ID,
                            "choices": [],
                            "usage": usage,
                        }
                    )
                )
            return frames
        return [chunk({"role": "assistant", "content": ""})]  # CitationsEvent: the opening chunk

    events = recorded(
        assistant.stream(question, history, filters, None, False, None, preferred),
        unanswered,
        question,
        history,
        request_id,
    )
    first = await first_of(events)
    response: Response = stream_response(
        first,
        events,
        encode,
        lambda detail: sse_json({"error": {"message": detail, "type": "server_error"}}),
        request_id,
        tail=lambda: [sse("[DONE]")],
    )
    return response
