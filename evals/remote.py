"""Evaluate a running service over HTTP instead of in process (`eval --url URL [--api-key KEY]`).

Each case's question goes through ``POST /v1/ask`` of the service with the key (``Authorization:
Bearer``), so a script is scored against what the service really answers, under its own rate
limit. The answers are scored by `evals.runner` exactly as in process: `RemoteContainer` gives
the runner the two things it reads, an assistant (``answer``, ``retrieve``) and a store (``get``,
for the citation judge), both answered by the service.

What differs from an in-process run:

- the ranking behind recall@k, MRR and nDCG is the cited documents in citation order (the API
  returns the passages an answer cites, not the 20 it retrieved), so those figures are lower
  bounds; the summary says so under ``retrieval``;
- latency includes the HTTP round trip;
- the service must serve the corpus the dataset was written for (for ClapNQ or a BEIR folder,
  a service over those passages).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

import httpx

from assistant.container import Container
from assistant.pipeline import Turn
from assistant.types import Answer, Chunk, Citation, ScoredChunk
from evals import clapnq, real_policy
from evals.citations import Judge
from evals.datasets import GOLD_PATH, EvalCase, is_beir, load_beir, load_jsonl
from evals.errors import DatasetUnavailable, EvalError
from evals.results import CaseResult
from evals.runner import run
from evals.splits import check, select

API_KEY_ENV = "ASSISTANT_EVAL_API_KEY"
"""The environment variable `eval --url` reads the API key from when `--api-key` is not given."""
TIMEOUT_S = 120.0
RANKING_NOTE = (
    "cited documents in citation order (remote run: recall@k, MRR, nDCG are lower bounds)"
)


class ServiceError(EvalError):
    """The service could not be reached or refused a request (with what to do about it)."""


def client(url: str, api_key: str | None = None, timeout: float = TIMEOUT_S) -> httpx.Client:
    """An HTTP client for the service at `url`, presenting `api_key` as a bearer token."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    return httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)


def _checked(response: httpx.Response) -> Any:
    """The JSON body of a 2xx response, or ServiceError with the service's own reason."""
    if response.is_success:
        return response.json()
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    hint = {
        401: " (check the API key: `--api-key` or $" + API_KEY_ENV + ")",
        429: " (anonymous requests share the per-address limit: pass an API key)",
    }.get(response.status_code, "")
    raise ServiceError(
        f"{response.request.method} {response.request.url.path}: "
        f"{response.status_code} {detail}{hint}"
    )


def _request(http: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
    try:
        response = http.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        raise ServiceError(f"cannot reach the service at {http.base_url}: {exc}") from exc
    return _checked(response)


def _citation(data: dict[str, Any]) -> Citation:
    return Citation(
        n=int(data["n"]),
        chunk_id=str(data["chunk_id"]),
        doc_id=str(data["doc_id"]),
        title=str(data.get("title", "")),
        source=str(data.get("source", "")),
        page=data.get("page"),
        section=data.get("section"),
        snippet=str(data.get("snippet", "")),
        score=float(data.get("score", 0.0)),
        verified=bool(data.get("verified", True)),
        page_label=data.get("page_label"),
        line=data.get("line"),
    )


def answer_of(data: dict[str, Any]) -> Answer:
    """A pipeline answer from the JSON of ``POST /v1/ask``."""
    return Answer(
        answer=str(data["answer"]),
        citations=[_citation(c) for c in data.get("citations", [])],
        refused=bool(data["refused"]),
        evidence_score=float(data.get("evidence_score", 0.0)),
        support=float(data.get("support", 0.0)),
        mode=data.get("mode", "extractive"),
        flagged=list(data.get("flagged", [])),
        coverage=data.get("coverage", "full"),
    )


class RemoteAssistant:
    """`answer` through ``POST /v1/ask``; `retrieve` gives the passages that answer cited."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self._last: tuple[tuple[str, tuple[Turn, ...]], Answer] | None = None
        self.doc_of_chunk: dict[str, str] = {}
        """The document of every chunk an answer cited (for `RemoteStore.get`)."""

    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """The service's answer to `question` after `history`."""
        body = {
            "question": question,
            "history": [{"role": t.role, "content": t.content} for t in history],
        }
        answer = answer_of(_request(self.http, "POST", "/v1/ask", json=body))
        self._last = ((question, tuple(history)), answer)
        self.doc_of_chunk.update({c.chunk_id: c.doc_id for c in answer.citations})
        return answer

    def retrieve(
        self, question: str, history: Sequence[Turn] = (), top_k: int | None = None
    ) -> list[ScoredChunk]:
        """The passages the answer to `question` cited, in citation order (asked if needed)."""
        if self._last is not None and self._last[0] == (question, tuple(history)):
            answer = self._last[1]
        else:
            answer = self.answer(question, history)
        hits = [
            ScoredChunk(_chunk_of(c), c.score, rank)
            for rank, c in enumerate(sorted(answer.citations, key=lambda c: c.n), start=1)
        ]
        return hits[:top_k] if top_k else hits


def _chunk_of(citation: Citation, text: str | None = None) -> Chunk:
    return Chunk(
        id=citation.chunk_id,
        text=citation.snippet if text is None else text,
        doc_id=citation.doc_id,
        title=citation.title,
        doc_type="",
        source=citation.source,
        source_path="",
        position=0,
        page=citation.page,
        section=citation.section,
        page_label=citation.page_label,
    )


class RemoteStore:
    """`get` of cited chunks with their full text, from ``GET /v1/documents/{doc_id}``."""

    def __init__(self, http: httpx.Client, assistant: RemoteAssistant) -> None:
        self.http = http
        self.assistant = assistant
        self._passages: dict[str, dict[str, dict[str, Any]]] = {}

    def _document(self, doc_id: str) -> dict[str, dict[str, Any]]:
        if doc_id not in self._passages:
            data = _request(self.http, "GET", f"/v1/documents/{quote(doc_id, safe='')}")
            self._passages[doc_id] = {p["chunk_id"]: p for p in data.get("passages", [])}
        return self._passages[doc_id]

    def get(self, ids: Sequence[str]) -> dict[str, Chunk]:
        """Chunks by id, for chunks an answer cited (others are absent from the result)."""
        found = {}
        for chunk_id in ids:
            doc_id = self.assistant.doc_of_chunk.get(chunk_id)
            passage = self._document(doc_id).get(chunk_id) if doc_id else None
            if passage is not None and doc_id is not None:
                found[chunk_id] = Chunk(
                    id=chunk_id,
                    text=str(passage.get("text", "")),
                    doc_id=doc_id,
                    title="",
                    doc_type="",
                    source="",
                    source_path="",
                    position=int(passage.get("position", 0)),
                    page=passage.get("page"),
                    section=passage.get("section"),
                )
        return found

    def count(self) -> int:
        """Chunks the service holds (``GET /readyz``)."""
        try:
            response = self.http.get("/readyz")
        except httpx.HTTPError as exc:
            raise ServiceError(f"cannot reach the service at {self.http.base_url}: {exc}") from exc
        return int(response.json().get("chunks", 0))


class RemoteContainer:
    """What `evals.runner` reads of a `Container` (``assistant``, ``store``), over HTTP."""

    def __init__(self, http: httpx.Client) -> None:
        self.assistant = RemoteAssistant(http)
        self.store = RemoteStore(http, self.assistant)

    def as_container(self) -> Container:
        """This object typed as the runner expects (it only calls what is defined here)."""
        return cast(Container, self)


def load_cases(dataset: str, limit: int | None = None, half: str = "all") -> list[EvalCase]:
    """The cases of `dataset` (`gold`, `clapnq`, `real-policy`, a JSONL file or a BEIR folder),
    of `half`, then the first `limit`: no store is built, the service answers."""
    check(half)
    path = GOLD_PATH if dataset == "gold" else Path(dataset)
    if dataset == "clapnq":
        if not clapnq.available():
            raise DatasetUnavailable(f"ClapNQ files not found in {clapnq.DEFAULT_DIR}")
        cases = clapnq.load_cases()
    elif dataset == real_policy.NAME:
        cases = real_policy.load_cases()
    elif path.is_dir() and is_beir(path):
        cases = load_beir(path)[1]
    elif path.is_file():
        cases = load_jsonl(path)
    else:
        raise DatasetUnavailable(f"no such dataset: {path}")
    return select(cases, half, key=lambda case: case.id)[: limit or None]


def run_remote(
    http: httpx.Client,
    cases: Sequence[EvalCase],
    progress: Callable[[int, int], None] | None = None,
    judge: Judge | None = None,
    judge_name: str | None = None,
) -> tuple[list[CaseResult], dict[str, Any]]:
    """`evals.runner.run` against the service behind `http`; the summary adds ``service`` and
    ``retrieval`` (what the ranking metrics were computed from)."""
    results, summary = run(
        RemoteContainer(http).as_container(), cases, progress, judge=judge, judge_name=judge_name
    )
    summary["service"] = str(http.base_url).rstrip("/")
    summary["retrieval"] = RANKING_NOTE
    return results, summary
