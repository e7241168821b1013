"""Scale-out (`cli/cluster.py`): a real `chroma run`, a real `redis-server` and two API worker
processes built by the workers' app factory, each on its own loopback port so that the test knows
which one answers.

The integration test ingests through the Chroma server from this process while the workers serve,
and checks that both answer from the new document exactly as a fresh process does (the BM25 index
and the catalogue follow the store's revision), and that a tiny anonymous rate limit is shared
through Redis. Each phase sends its requests from its own loopback address (127.0.0.2, .3, .4) so
that the phases never eat into each other's limit.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from api.cli import APP_FACTORY
from assistant.container import Container
from assistant.embedder import SentenceTransformerEmbedder
from assistant.settings import ApiSettings, Settings, get_settings
from cli.cluster import (
    LOOPBACK,
    ClusterError,
    Service,
    Supervisor,
    chroma_server,
    cluster_env,
    free_port,
    http_ok,
    redis_server,
)
from cli.main import app
from ingest.pipeline import Ingestor
from tests.conftest import CORPUS

RATE_LIMIT = 3
TINY_CORPUS = ("european-clusters-alliance.md", "eca-members.md")
NEW_DOCUMENT = """---
id: zorblax-fund
title: "The Zorblax Cluster Fund"
doc_type: other
source: "Cluster test suite"
year: 2025
language: en
---

# The Zorblax Cluster Fund

The Zorblax Cluster Fund gives each selected cluster organisation 75,000 euros for cross-border
pilot projects. Applications to the Zorblax Cluster Fund close on 14 March 2025.
"""
NEW_QUESTION = "How much money does the Zorblax Cluster Fund give to a cluster organisation?"
PORTUGAL = "Which association represents Portugal in the European Clusters Alliance?"


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


# --- the supervisor (unit) ---------------------------------------------------------------


@pytest.mark.unit
def test_supervisor_stops_everything_and_reports_the_first_exit(tmp_path: Path) -> None:
    marker = tmp_path / "up"
    sleeper = Service("sleeper", _python("import time; time.sleep(60)"), lambda: True)
    short = Service(
        "short",
        _python(f"import pathlib, time; pathlib.Path({str(marker)!r}).touch(); time.sleep(1)"),
        marker.exists,
    )
    with Supervisor() as supervisor:
        supervisor.start_all([sleeper, short], timeout=30)
        assert supervisor.watch(poll_s=0.05) is short
        assert sleeper.running
    assert not sleeper.running and not short.running


@pytest.mark.unit
def test_a_service_that_dies_before_answering_is_reported_with_its_log(tmp_path: Path) -> None:
    log = tmp_path / "dying.log"
    dying = Service("dying", _python("print('port in use'); raise SystemExit(3)"), lambda: False)
    dying.log = log
    with Supervisor() as supervisor, pytest.raises(ClusterError, match="port in use"):
        supervisor.start(dying, timeout=30)


@pytest.mark.unit
@pytest.mark.unit
def test_a_free_port_is_never_one_already_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two ports picked before either process binds can come back equal from the OS (Chroma and
    Redis once did): a port already handed out is skipped."""
    offered = iter([5001, 5001, 5002])

    class FakeSocket:
        def __enter__(self) -> FakeSocket:
            return self

        def __exit__(self, *exc: object) -> None: ...

        def bind(self, address: object) -> None: ...

        def getsockname(self) -> tuple[str, int]:
            return ("127.0.0.1", next(offered))

    monkeypatch.setattr("cli.cluster.socket.socket", lambda *args: FakeSocket())
    first = free_port()
    assert (first, free_port(taken=(first,))) == (5001, 5002)


def test_cluster_env_points_every_process_at_the_servers() -> None:
    env = cluster_env({"PATH": "/bin"}, chroma_port=9001, redis_port=9002, workers=2)
    assert env["ASSISTANT_CHROMA__MODE"] == "http"
    assert env["ASSISTANT_CHROMA__PORT"] == "9001"
    assert env["ASSISTANT_API__LIMITS_STORAGE"] == "redis://127.0.0.1:9002"
    assert int(env["OMP_NUM_THREADS"]) >= 1 and env["PATH"] == "/bin"
    assert "ASSISTANT_API__LIMITS_STORAGE" not in cluster_env({}, 9001, None, 2)
    assert cluster_env({"OMP_NUM_THREADS": "7"}, 9001, None, 2)["OMP_NUM_THREADS"] == "7"


@pytest.mark.unit
def test_several_workers_need_a_chroma_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_CHROMA__MODE", "persistent")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["serve", "--workers", "2"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and "Chroma server" in result.output


# --- the cluster (integration) -----------------------------------------------------------


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int]]:
    """A Chroma server and a Redis server on free loopback ports: (chroma port, redis port)."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    root = tmp_path_factory.mktemp("cluster")
    chroma_port = free_port()
    redis_port = free_port(taken=(chroma_port,))
    try:
        chroma = chroma_server(root / "chroma-server", chroma_port, root / "chroma.log")
    except ClusterError as exc:
        pytest.skip(str(exc))
    with Supervisor() as supervisor:
        supervisor.start_all(
            [chroma, redis_server(redis_port, root, root / "redis.log")], timeout=60
        )
        yield chroma_port, redis_port


def _worker(port: int, env: dict[str, str], log: Path) -> Service:
    """One API worker process, built by the factory that `serve --workers N` runs."""
    command = [sys.executable, "-m", "uvicorn", "--factory", APP_FACTORY, "--host", LOOPBACK]
    return Service(
        f"worker on {port}",
        [*command, "--port", str(port), "--log-level", "warning"],
        lambda: http_ok(f"http://{LOOPBACK}:{port}/readyz"),
        log=log,
        env=env,
    )


def _client(source: str) -> httpx.Client:
    """A client whose requests come from the loopback address `source`."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=60)


def _ask(client: httpx.Client, port: int, question: str) -> httpx.Response:
    return client.post(f"http://{LOOPBACK}:{port}/v1/ask", json={"question": question})


def _doc_ids(port: int) -> set[str]:
    url = f"http://{LOOPBACK}:{port}/v1/documents"
    response = httpx.get(url, params={"limit": 100}, timeout=60)
    assert response.status_code == 200, response.text
    items = response.json()
    return {item["doc_id"] for item in items["items"]}


def _cited(answer: dict[str, Any]) -> set[str]:
    return {citation["doc_id"] for citation in answer["citations"]}


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.enable_socket
def test_two_workers_share_the_store_and_the_rate_limit(
    servers: tuple[int, int], tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    chroma_port, redis_port = servers
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in TINY_CORPUS:
        shutil.copy(CORPUS / name, corpus / name)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        chroma={"mode": "http", "port": chroma_port},
        ingest={"corpus_paths": [corpus]},
    )
    writer = Container(settings)
    writer.__dict__["embedder"] = embedder
    ingestor = Ingestor(settings, embedder, writer.store)
    assert ingestor.run().failures == []

    inherited = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env = cluster_env(inherited, chroma_port, redis_port, workers=2)
    env.update(
        ASSISTANT_DATA_DIR=str(settings.data_dir),
        ASSISTANT_API__RATE_LIMIT=f"{RATE_LIMIT}/minute",
        ASSISTANT_API__ADMIN_API_KEY="",
    )
    first = free_port()
    ports = [first, free_port(taken=(first,))]
    workers = [_worker(port, env, tmp_path / f"worker-{port}.log") for port in ports]
    with Supervisor() as supervisor:
        supervisor.start_all(workers, timeout=180)

        # Both answer from the store the Chroma server holds.
        with _client("127.0.0.2") as client:
            for port in ports:
                response = _ask(client, port, PORTUGAL)
                assert response.status_code == 200, response.text
                assert "eca-members" in _cited(response.json())
        assert all("zorblax-fund" not in _doc_ids(port) for port in ports)

        # A document ingested through the server while they serve: both see it, no restart.
        (corpus / "zorblax-fund.md").write_text(NEW_DOCUMENT)
        assert [o.doc_id for o in ingestor.run().outcomes if o.status == "indexed"] == [
            "zorblax-fund"
        ]
        fresh = Container(settings)  # what a process started now answers
        fresh.__dict__["embedder"] = embedder
        expected = fresh.assistant.answer(NEW_QUESTION)
        assert "zorblax-fund" in {c.doc_id for c in expected.citations}
        with _client("127.0.0.3") as client:
            for port in ports:
                assert "zorblax-fund" in _doc_ids(port)
                response = _ask(client, port, NEW_QUESTION)
                assert response.status_code == 200, response.text
                answer = response.json()
                assert "zorblax-fund" in _cited(answer)
                # Same evidence as a fresh process: the worker's BM25 index (unknown terms,
                # coverage gap) was rebuilt for the new revision.
                assert answer["evidence_score"] == pytest.approx(expected.evidence_score, abs=1e-3)
                assert answer["coverage"] == expected.coverage

        # A rebuild drops and re-creates the collection: the workers follow the new one.
        assert ingestor.run(rebuild=True).failures == []
        for port in ports:
            assert _doc_ids(port) == {*(Path(name).stem for name in TINY_CORPUS), "zorblax-fund"}

        # One anonymous limit across both workers, counted in Redis.
        if "limits_storage" not in ApiSettings.model_fields:
            pytest.skip("ApiSettings.limits_storage (ASSISTANT_API__LIMITS_STORAGE) is missing")
        with _client("127.0.0.4") as client:
            responses = [_ask(client, ports[i % 2], PORTUGAL) for i in range(RATE_LIMIT + 2)]
        statuses = [r.status_code for r in responses]
        assert statuses == [200] * RATE_LIMIT + [429, 429], statuses
        assert all(int(r.headers["Retry-After"]) >= 1 for r in responses[RATE_LIMIT:])
