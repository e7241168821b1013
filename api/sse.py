"""Server-Sent Events framing, and running the pipeline's synchronous event stream off the loop."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.responses import StreamingResponse

from assistant.errors import AssistantError

T = TypeVar("T")
log = logging.getLogger("api")

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def event_schema(events: list[str] | None, data: str) -> dict[str, Any]:
    """OpenAPI (3.1) schema of one event of a stream: its `event` name and `data` text."""
    properties: dict[str, Any] = {
        "data": {"type": "string", "description": data},
        "id": {"type": "string"},
        "retry": {"type": "integer", "minimum": 0},
    }
    if events:
        properties["event"] = {"type": "string", "enum": events}
    return {
        "type": "object",
        "required": ["event", "data"] if events else ["data"],
        "properties": properties,
    }


def sse(data: str, event: str | None = None) -> bytes:
    """One event in the `text/event-stream` format (multi-line data split over `data:` lines)."""
    lines = [f"event: {event}"] if event else []
    lines.extend(f"data: {line}" for line in data.replace("\r\n", "\n").split("\n"))
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def sse_json(payload: Any, event: str | None = None) -> bytes:
    """An event whose data is `payload` as one line of JSON."""
    return sse(json.dumps(payload, ensure_ascii=False, separators=(",", ":")), event)


async def first_of(events: Iterator[T]) -> T | None:
    """The first item, computed in a worker thread (errors surface before the response starts)."""
    return await run_in_threadpool(next, events, None)


def stream_response(
    first: T | None,
    events: Iterator[T],
    encode: Callable[[T], list[bytes]],
    on_error: Callable[[str], bytes],
    request_id: str,
    tail: Callable[[], list[bytes]] = list,
) -> StreamingResponse:
    """A `text/event-stream` response of `first` and the rest of `events`, each encoded to SSE
    frames by `encode`; the rest is pulled in a worker thread, one item at a time. An exception
    mid-stream ends the stream with the frame `on_error(detail)`; `tail()` frames close it."""

    async def frames() -> AsyncIterator[bytes]:
        try:
            if first is not None:
                for frame in encode(first):
                    yield frame
            async for event in iterate_in_threadpool(events):
                for frame in encode(event):
                    yield frame
        except AssistantError as exc:
            log.warning("stream %s failed: %s", request_id, exc)
            yield on_error(str(exc))
        except Exception:
            log.exception("stream %s failed", request_id)
            yield on_error(f"internal error (request id {request_id})")
        for frame in tail():
            yield frame

    return StreamingResponse(frames(), media_type="text/event-stream", headers=SSE_HEADERS)
