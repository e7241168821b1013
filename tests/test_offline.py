"""Nothing reaches the network: sockets are blocked for the whole run and the stack still works."""

import socket
from pathlib import Path

import pytest
from pytest_socket import SocketBlockedError

from assistant.embedder import SentenceTransformerEmbedder
from tests.conftest import Stack

pytestmark = pytest.mark.integration


def test_sockets_really_are_blocked() -> None:
    with pytest.raises(SocketBlockedError):
        socket.create_connection(("127.0.0.1", 9), timeout=1)
    with pytest.raises(SocketBlockedError):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)


def test_cold_model_load_ingest_and_answer_offline(tmp_path: Path, corpus_copy: Path) -> None:
    """A fresh model load (not the session's), a full ingest and an answer, all with no network."""
    model = SentenceTransformerEmbedder()
    assert not model.is_loaded
    stack = Stack(tmp_path / "data", model, corpus_copy)
    report = stack.ingestor.run()
    assert report.failures == [] and model.is_loaded
    answer = stack.container.assistant.answer("What does Trend Universe offer?")
    assert not answer.refused and answer.citations
