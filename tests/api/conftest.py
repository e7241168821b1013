"""App builders for the API tests: the real stack with chosen `api` settings.

`app_for(stack, ...)` shares the stack's model, store and pipeline, so apps over the session-wide
`indexed` store cost nothing to build; ratings and unanswered questions go to a private SQLite
file when `feedback_db` is given (the `indexed` store stays read-only). `small_stack` is a
private store over three starter documents, for tests that upload or delete.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from api.app import create_app
from assistant.container import Container
from assistant.embedder import SentenceTransformerEmbedder
from assistant.settings import ApiSettings
from assistant.storage.feedback import FeedbackStore
from assistant.storage.unanswered import UnansweredStore
from tests.conftest import CORPUS, SMALL_CORPUS, MemoEmbedder, Stack

ADMIN_KEY = "test-admin-key-0123456789"


def app_for(stack: Stack, feedback_db: Path | None = None, **api: Any) -> FastAPI:
    """An app over `stack` with `api` settings overridden (rate limit off unless given)."""
    return create_app(container_for(stack, feedback_db, **api))


def container_for(stack: Stack, feedback_db: Path | None = None, **api: Any) -> Container:
    """A container sharing `stack`'s model, store and pipeline, with other `api` settings."""
    api.setdefault("rate_limit", "")
    api.setdefault("warm_up", False)
    settings = stack.settings.model_copy(
        update={"api": ApiSettings.model_validate({**stack.settings.api.model_dump(), **api})}
    )
    container = Container(settings)
    for name in ("embedder", "store", "assistant", "documents"):
        container.__dict__[name] = getattr(stack.container, name)
    if feedback_db is not None:
        container.__dict__["feedback"] = FeedbackStore(feedback_db)
        container.__dict__["unanswered"] = UnansweredStore(feedback_db)
    return container


def admin(key: str = ADMIN_KEY) -> dict[str, str]:
    """Headers carrying the admin key."""
    return {"Authorization": f"Bearer {key}"}


def parse_sse(text: str) -> list[tuple[str | None, str]]:
    """(event, data) pairs of a `text/event-stream` body, per the SSE framing rules."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        event, data = None, []
        for line in block.split("\n"):
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                event = value
            elif field == "data":
                data.append(value)
        events.append((event, "\n".join(data)))
    return events


def sse_json(text: str) -> list[tuple[str | None, Any]]:
    """Like `parse_sse`, with each data field decoded as JSON (`[DONE]` kept as a string)."""
    return [(e, d if d == "[DONE]" else json.loads(d)) for e, d in parse_sse(text)]


@pytest.fixture(scope="session")
def memo_embedder(embedder: SentenceTransformerEmbedder) -> MemoEmbedder:
    return MemoEmbedder(embedder)


@pytest.fixture(scope="session")
def memo_reader(reader_embedder: SentenceTransformerEmbedder) -> MemoEmbedder:
    return MemoEmbedder(reader_embedder)


def build_small_stack(root: Path, embedder: MemoEmbedder, reader: MemoEmbedder) -> Stack:
    """A private store under `root` with three starter documents ingested."""
    corpus = root / "corpus"
    corpus.mkdir()
    for name in SMALL_CORPUS:
        shutil.copy(CORPUS / name, corpus / name)
    built = Stack(root / "data", embedder, corpus, reader)  # type: ignore[arg-type]
    report = built.ingestor.run()
    assert report.failures == [] and built.store.count() > 0
    return built


@pytest.fixture
def small_stack(tmp_path: Path, memo_embedder: MemoEmbedder, memo_reader: MemoEmbedder) -> Stack:
    """A private store with three starter documents, for one test that writes."""
    return build_small_stack(tmp_path, memo_embedder, memo_reader)


@pytest.fixture(scope="module")
def module_small_stack(
    tmp_path_factory: pytest.TempPathFactory, memo_embedder: MemoEmbedder, memo_reader: MemoEmbedder
) -> Stack:
    """Like `small_stack`, shared by a module's tests that must leave it unchanged."""
    return build_small_stack(tmp_path_factory.mktemp("small"), memo_embedder, memo_reader)
