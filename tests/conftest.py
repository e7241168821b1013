"""Shared fixtures: one embedding model per test run, a tmp Chroma store per test, sockets blocked.

Network access is disabled for the whole run (pytest-socket, see pyproject's addopts); only
Unix-domain sockets, which multiprocessing uses, are allowed.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import uvicorn

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from assistant.container import Container
from assistant.embedder import SentenceTransformerEmbedder
from assistant.multilingual import E5Embedder
from assistant.settings import PROJECT_ROOT, Settings
from assistant.storage.store import ChunkStore
from ingest.pipeline import Ingestor

CORPUS = PROJECT_ROOT / "corpus"
SHARED = PROJECT_ROOT.parent / "shared" / "datasets"
PDF_STRESS = SHARED / "pdf-stress"
SMALL_CORPUS = ("european-clusters-alliance.md", "eca-members.md", "what-are-clusters.md")
"""Three starter documents: a store small enough to build in every test that writes."""


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The real embedding model, loaded once for the whole run."""
    model = SentenceTransformerEmbedder()
    model.warm_up()
    return model


SHARED_E5 = E5Embedder()
"""The multilingual model every test stack shares (its passage cache makes re-ingesting the
starter corpus cheap)."""


@pytest.fixture(scope="session")
def multilingual() -> E5Embedder:
    """The shared multilingual model, loaded."""
    SHARED_E5.warm_up()
    return SHARED_E5


@pytest.fixture(scope="session")
def reader_embedder() -> SentenceTransformerEmbedder:
    """The shipped bi-encoder reader's embedder, loaded once for the whole run."""
    # Default data dir: exported to ONNX once per machine, like the embedder.
    reader = Container(Settings(_env_file=None)).reader_embedder  # type: ignore[call-arg]
    assert reader is not None, "the reader model ships in assistant/models/reader"
    reader.warm_up()
    return reader


def make_settings(data_dir: Path, corpus: Path = CORPUS) -> Settings:
    """Settings isolated from the environment, writing under `data_dir`."""
    return Settings(_env_file=None, data_dir=data_dir, ingest={"corpus_paths": [corpus]})  # type: ignore[call-arg]


class Stack:
    """Settings, store and ingestor over one tmp data dir, sharing the session's model."""

    def __init__(
        self,
        data_dir: Path,
        embedder: SentenceTransformerEmbedder,
        corpus: Path,
        reader: SentenceTransformerEmbedder | None = None,
        multilingual: E5Embedder | None = None,
    ) -> None:
        """`reader`, `multilingual`: the session's models to share; None loads the container's
        own."""
        self.settings = make_settings(data_dir, corpus)
        self.corpus = corpus
        self.container = Container(self.settings)
        self.container.__dict__["embedder"] = embedder  # share the loaded models
        if reader is not None:
            self.container.__dict__["reader_embedder"] = reader
        if self.settings.language.multilingual:
            self.container.__dict__["multilingual"] = multilingual or SHARED_E5
        self.store: ChunkStore = self.container.store
        self.ingestor = Ingestor.for_container(self.container)


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A private, editable copy of the starter corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


@pytest.fixture
def stack(
    tmp_path: Path,
    embedder: SentenceTransformerEmbedder,
    reader_embedder: SentenceTransformerEmbedder,
    multilingual: E5Embedder,
    corpus_copy: Path,
) -> Stack:
    """A fresh store over a private corpus copy (nothing ingested yet)."""
    return Stack(tmp_path / "data", embedder, corpus_copy, reader_embedder, multilingual)


@pytest.fixture(scope="session")
def indexed(
    tmp_path_factory: pytest.TempPathFactory,
    embedder: SentenceTransformerEmbedder,
    reader_embedder: SentenceTransformerEmbedder,
    multilingual: E5Embedder,
) -> Iterator[Stack]:
    """The starter corpus ingested once into a session-wide store (read-only for tests)."""
    data_dir = tmp_path_factory.mktemp("indexed")
    built = Stack(data_dir, embedder, CORPUS, reader_embedder, multilingual)
    report = built.ingestor.run()
    assert report.failures == [], report.failures
    yield built


def pdf_stress_dir() -> Path:
    """The stress PDFs, or a skip when the shared datasets are absent."""
    if not PDF_STRESS.is_dir():
        pytest.skip(f"shared datasets not present at {PDF_STRESS}")
    return PDF_STRESS


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """`app` under uvicorn in a thread on a free loopback port, until the block ends: its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


class MemoEmbedder:
    """The session's real model, embedding each distinct text once per test run.

    Private stores over the same few documents are then built in a fraction of a second: the
    vectors are the model's own, only not recomputed.
    """

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self._inner = inner
        self._cache: dict[str, np.ndarray] = {}

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def is_loaded(self) -> bool:
        return self._inner.is_loaded

    def warm_up(self) -> None:
        self._inner.warm_up()

    def count_tokens(self, text: str) -> int:
        return self._inner.count_tokens(text)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            self._cache.update(zip(missing, self._inner.embed(missing), strict=True))
        if not texts:
            return self._inner.embed([])
        return np.stack([self._cache[t] for t in texts])
