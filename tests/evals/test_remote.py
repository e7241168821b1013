"""`eval --url`: the dataset's questions through a running service's POST /v1/ask, with a key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.keys import KeyStore
from cli.main import app as cli_app
from evals.datasets import GOLD_PATH, load_jsonl
from evals.errors import DatasetUnavailable
from evals.remote import ServiceError, answer_of, client, load_cases, run_remote
from evals.runner import evaluate_case
from tests.api.conftest import container_for
from tests.conftest import Stack, serving

CASES = 4


def _service(stack: Stack, data_dir: Path) -> tuple[FastAPI, str]:
    """The real app over `stack` with a tiny anonymous limit, and a key of its own."""
    container = container_for(stack, rate_limit="2/minute")
    container.settings = container.settings.model_copy(update={"data_dir": data_dir})
    token = KeyStore.in_dir(data_dir).create("eval-script", "600/minute").token
    return create_app(container), token


@pytest.mark.unit
def test_answer_of_reads_the_ask_response() -> None:
    answer = answer_of(
        {
            "answer": "Clusters are groups [1].",
            "citations": [
                {
                    "n": 1,
                    "doc_id": "d",
                    "chunk_id": "d:0",
                    "title": "T",
                    "source": "S",
                    "page": 3,
                    "page_label": "iii",
                    "section": None,
                    "snippet": "x",
                    "score": 0.7,
                    "verified": True,
                    "url": "/documents/d#chunk=d:0",
                }
            ],
            "refused": False,
            "evidence_score": 0.8,
            "support": 1.0,
            "mode": "extractive",
            "flagged": [],
            "coverage": "partial",
        }
    )
    assert answer.citations[0].doc_id == "d" and answer.citations[0].page_label == "iii"
    assert answer.coverage == "partial" and not answer.refused


@pytest.mark.unit
@pytest.mark.parametrize(
    ("status", "hint"), [(401, "--api-key"), (429, "pass an API key"), (503, "unavailable")]
)
def test_refusals_become_service_errors_with_a_hint(status: int, hint: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"detail": "unavailable"})

    http = httpx.Client(base_url="http://svc", transport=httpx.MockTransport(handler))
    cases = load_jsonl(GOLD_PATH)[:1]
    with pytest.raises(ServiceError, match=hint):
        run_remote(http, cases)


@pytest.mark.unit
def test_cases_load_without_a_store(tmp_path: Path) -> None:
    gold = load_cases("gold", limit=3)
    assert [c.id for c in gold] == [c.id for c in load_jsonl(GOLD_PATH)[:3]]
    assert {c.id for c in load_cases("gold", half="dev")}.isdisjoint(
        c.id for c in load_cases("gold", half="test")
    )
    with pytest.raises(DatasetUnavailable):
        load_cases(str(tmp_path / "missing.jsonl"))


@pytest.mark.integration
def test_remote_run_with_a_key_matches_the_in_process_answers(
    indexed: Stack, tmp_path: Path
) -> None:
    app, token = _service(indexed, tmp_path)
    cases = load_jsonl(GOLD_PATH)[:CASES]
    http = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    # CASES + 1 requests (the warm-up) against an anonymous limit of 2/minute: none is refused.
    results, summary = run_remote(http, cases)
    assert summary["cases"] == CASES and summary["service"] and "cited" in summary["retrieval"]
    for case, remote in zip(cases, results, strict=True):
        local = evaluate_case(indexed.container, case)
        assert (remote.id, remote.answer, remote.refused) == (local.id, local.answer, local.refused)
        assert remote.coverage == local.coverage
        assert [c["chunk_id"] for c in remote.citations] == [c["chunk_id"] for c in local.citations]
        assert set(remote.retrieved_doc_ids) <= set(local.retrieved_doc_ids)
    # Without the key the same run hits the per-address limit and says what to do.
    with pytest.raises(ServiceError, match=r"429.*pass an API key"):
        run_remote(TestClient(app), cases)
    with pytest.raises(ServiceError, match=r"401.*--api-key"):
        run_remote(TestClient(app, headers={"X-API-Key": "cpa_revoked-or-wrong"}), cases)


@pytest.fixture
def live(indexed: Stack, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The service under uvicorn on a free loopback port: (url, key)."""
    app, token = _service(indexed, tmp_path / "data")
    with serving(app) as url:
        yield url, token


@pytest.mark.e2e
@pytest.mark.enable_socket
def test_eval_command_over_http_with_a_key(
    live: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, token = live
    out = tmp_path / "out"
    args = ["eval", "--url", url, "--limit", str(CASES), "--judge", "none", "--out", str(out)]
    monkeypatch.setenv("ASSISTANT_EVAL_API_KEY", token)
    result = CliRunner().invoke(cli_app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["cases"] == CASES and summary["service"] == url
    assert (out / "results.jsonl").read_text().count("\n") == CASES
    monkeypatch.delenv("ASSISTANT_EVAL_API_KEY")
    refused = CliRunner().invoke(cli_app, [*args, "--api-key", "cpa_wrong"])
    assert refused.exit_code == 2 and "401" in refused.output
    with client(url) as http:  # the anonymous limit still holds for everyone else
        codes = [http.post("/v1/ask", json={"question": "clusters?"}).status_code for _ in range(3)]
    assert codes[-1] == 429
