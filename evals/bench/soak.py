"""A bounded soak: mixed requests at a fixed concurrency while documents are uploaded.

Against a running service (its URL and its process id): closed-loop clients, one keep-alive
connection each, send a deterministic mix of `POST /v1/ask`, `POST /v1/chat` streamed (the whole
Server-Sent Events stream is read), `POST /v1/chat/completions` plain and streamed, `POST
/v1/feedback`, `GET /v1/documents` and `GET /v1/documents/{id}`, with the questions of the
starter corpus's evaluation set. While they run, a thread uploads PDFs through the service's own
writer path (`POST /v1/documents` with the admin key: parsed, ingested and committed under the
store's writer lock inside the server). The load goes on until at least `requests` were sent
*and* the last upload has finished, so the whole ingest runs under load, and then for
`after_ingest` more requests, whose memory curve shows whether the server stays flat once the
ingest's own working memory is in place.

An error is any transport error, any status other than 2xx, and any stream that ends without its
final event (`done` for `/v1/chat`, a `finish_reason: stop` chunk and `[DONE]` for the OpenAI
stream) or carries an `error` event. The server's resident memory (the process and every process
it started, summed; each one apart too) is sampled every second. Afterwards the uploaded
documents must be listed by `GET /v1/documents`, and questions of the real-policy set about each
must be answered with a citation to it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from evals.bench.stats import summarize
from evals.datasets import GOLD_PATH, REAL_POLICY_PATH, EvalCase, load_jsonl

Log = Callable[[str], None]

MIX: tuple[tuple[str, int], ...] = (
    ("ask", 3),
    ("chat_stream", 3),
    ("openai", 2),
    ("openai_stream", 2),
    ("feedback", 1),
    ("documents", 1),
    ("document", 1),
)
"""Request kinds and their weights: a round of 13 requests holds each kind this many times."""
KINDS: tuple[str, ...] = tuple(kind for kind, _ in MIX)
REQUEST_TIMEOUT_S = 120.0
UPLOAD_TIMEOUT_S = 1800.0
SAMPLE_EVERY_S = 1.0


def schedule(n: int) -> list[str]:
    """The kinds of requests 0..n-1: the weighted round of `MIX`, interleaved, repeated."""
    pending = {kind: weight for kind, weight in MIX}
    round_: list[str] = []
    while any(pending.values()):
        for kind, _ in MIX:
            if pending[kind]:
                round_.append(kind)
                pending[kind] -= 1
    return [round_[i % len(round_)] for i in range(n)]


@dataclass(frozen=True)
class Conversation:
    """A question and the turns before it."""

    question: str
    history: tuple[tuple[str, str], ...] = ()

    def messages(self) -> list[dict[str, str]]:
        """The conversation as chat messages, the question last."""
        earlier = [{"role": role, "content": text} for role, text in self.history]
        return [*earlier, {"role": "user", "content": self.question}]


def conversations(path: Path = GOLD_PATH) -> list[Conversation]:
    """Every question of an evaluation set, with its history."""
    return [
        Conversation(c.question, tuple((t["role"], t["content"]) for t in c.history))
        for c in load_jsonl(path)
    ]


@dataclass(frozen=True)
class Outcome:
    """One request: its kind, how long it took to the last byte, and what went wrong (or None)."""

    kind: str
    ms: float
    problem: str | None


def sse_events(lines: Iterator[str]) -> Iterator[tuple[str | None, str]]:
    """`(event, data)` per Server-Sent Event (data lines joined with newlines)."""
    event: str | None = None
    data: list[str] = []
    for line in lines:
        if not line:
            if data or event:
                yield event, "\n".join(data)
            event, data = None, []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data or event:
        yield event, "\n".join(data)


def chat_stream_problem(events: Sequence[tuple[str | None, str]]) -> str | None:
    """Why a `/v1/chat` stream is incomplete: no `done` event last, or an `error` event."""
    names = [name for name, _ in events]
    if "error" in names:
        return f"error event: {events[names.index('error')][1][:200]}"
    if not names or names[-1] != "done":
        return f"stream ended without its done event (events: {names[-3:]})"
    if "answer" not in json.loads(events[-1][1]):
        return "done event without an answer"
    return None


def openai_stream_problem(events: Sequence[tuple[str | None, str]]) -> str | None:
    """Why an OpenAI chunk stream is incomplete: no `[DONE]` last, no `stop` chunk, an error."""
    datas = [data for _, data in events]
    if not datas or datas[-1] != "[DONE]":
        return f"stream ended without [DONE] (last: {datas[-1][:100] if datas else None!r})"
    finished = False
    for data in datas[:-1]:
        chunk = json.loads(data)
        if "error" in chunk:
            return f"error chunk: {data[:200]}"
        finished |= any(c.get("finish_reason") == "stop" for c in chunk.get("choices", []))
    return None if finished else "no chunk with finish_reason stop"


class Client:
    """One closed-loop client: a keep-alive connection and the request of each kind."""

    def __init__(self, base_url: str, doc_ids: Sequence[str]) -> None:
        self._base_url = base_url
        self._doc_ids = doc_ids
        self._http = httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S)

    def close(self) -> None:
        """Close the connection."""
        self._http.close()

    def send(self, kind: str, n: int, asked: Conversation) -> Outcome:
        """Send request number `n` of `kind` about `asked`; time it to the last byte."""
        started = time.perf_counter()
        try:
            problem = self._send(kind, n, asked)
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            problem = f"{type(exc).__name__}: {exc}"[:300]
            self._http.close()
            self._http = httpx.Client(base_url=self._base_url, timeout=REQUEST_TIMEOUT_S)
        return Outcome(kind, (time.perf_counter() - started) * 1000, problem)

    def _send(self, kind: str, n: int, asked: Conversation) -> str | None:
        messages = asked.messages()
        body: dict[str, Any]
        if kind == "ask":
            body = {"question": asked.question, "history": messages[:-1]}
            return _json_problem(self._http.post("/v1/ask", json=body), "answer")
        if kind == "openai":
            body = {"model": "cluster-policy-assistant", "messages": messages}
            return _json_problem(self._http.post("/v1/chat/completions", json=body), "choices")
        if kind == "feedback":
            body = {
                "rating": "up" if n % 2 else "down",
                "question": asked.question,
                "answer": "An answer rated by the soak.",
                "comment": f"soak request {n}",
            }
            return _json_problem(self._http.post("/v1/feedback", json=body), "id")
        if kind == "documents":
            response = self._http.get("/v1/documents", params={"limit": 100})
            return _json_problem(response, "items")
        if kind == "document":
            doc_id = self._doc_ids[n % len(self._doc_ids)]
            return _json_problem(self._http.get(f"/v1/documents/{doc_id}"), "passages")
        if kind == "chat_stream":
            body = {"messages": messages, "stream": True}
            return self._stream("/v1/chat", body, chat_stream_problem)
        if kind == "openai_stream":
            body = {"model": "cluster-policy-assistant", "messages": messages, "stream": True}
            return self._stream("/v1/chat/completions", body, openai_stream_problem)
        raise ValueError(f"unknown request kind {kind!r}")

    def _stream(
        self,
        path: str,
        body: dict[str, Any],
        check: Callable[[Sequence[tuple[str | None, str]]], str | None],
    ) -> str | None:
        with self._http.stream("POST", path, json=body) as response:
            if response.status_code != 200:
                response.read()
                return f"{response.status_code}: {response.text[:200]}"
            if not response.headers.get("content-type", "").startswith("text/event-stream"):
                return f"not an event stream: {response.headers.get('content-type')}"
            events = list(sse_events(response.iter_lines()))
        return check(events)


def _json_problem(response: httpx.Response, key: str) -> str | None:
    if not 200 <= response.status_code < 300:
        return f"{response.status_code}: {response.text[:200]}"
    if key not in response.json():
        return f"{response.status_code} without {key!r}: {response.text[:200]}"
    return None


def list_documents(http: httpx.Client) -> list[dict[str, Any]]:
    """Every document `GET /v1/documents` lists, page by page."""
    found: list[dict[str, Any]] = []
    while True:
        response = http.get("/v1/documents", params={"limit": 100, "offset": len(found)})
        response.raise_for_status()
        page = response.json()
        found += page["items"]
        if not page["items"] or len(found) >= page["total"]:
            return found


class RssSampler:
    """Samples the resident memory of a process and its descendants every second, in a thread.

    Each sample: seconds since the sampler started, the sum in MiB, and MiB per process (labelled
    by its command line)."""

    def __init__(self, pid: int, every_s: float = SAMPLE_EVERY_S) -> None:
        import psutil

        self._psutil = psutil
        self._root = psutil.Process(pid)
        self._every_s = every_s
        self.started = time.perf_counter()
        self.samples: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._take()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def now(self) -> float:
        """Seconds since the sampler started (the samples' clock)."""
        return time.perf_counter() - self.started

    def _take(self) -> None:
        processes = [self._root, *self._root.children(recursive=True)]
        per: dict[str, float] = {}
        for proc in processes:
            try:
                rss = proc.memory_info().rss / 2**20
                label = _label(proc.cmdline(), proc.pid)
            except (self._psutil.NoSuchProcess, self._psutil.AccessDenied):
                continue
            per[label] = round(rss, 1)
        self.samples.append(
            {"t": round(self.now(), 2), "mb": round(sum(per.values()), 1), "per": per}
        )

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            try:
                self._take()
            except self._psutil.NoSuchProcess:
                return

    def stop(self) -> list[dict[str, Any]]:
        """Stop sampling; the samples."""
        self._stop.set()
        self._thread.join()
        return self.samples


def _label(cmdline: Sequence[str], pid: int) -> str:
    words = [Path(part).name if i < 2 else part for i, part in enumerate(cmdline)]
    text = " ".join(w for w in words if not w.startswith("--log"))
    return f"{text[:80]} [{pid}]"


def rss_summary(samples: Sequence[dict[str, Any]], after_s: float) -> dict[str, Any]:
    """The sum's curve after `after_s` (the end of the warm-up): start, end, min, max, and the
    growth end − start and max − start, in MiB; per process the same start, end and max."""
    later = [s for s in samples if s["t"] >= after_s] or list(samples[-1:])
    if not later:
        return {"samples": 0}
    values = [s["mb"] for s in later]
    per: dict[str, dict[str, float]] = {}
    for label in later[0]["per"]:
        series = [s["per"][label] for s in later if label in s["per"]]
        per[label] = {"start": series[0], "end": series[-1], "max": max(series)}
    return {
        "samples": len(later),
        "from_s": later[0]["t"],
        "to_s": later[-1]["t"],
        "start_mb": values[0],
        "end_mb": values[-1],
        "min_mb": min(values),
        "max_mb": max(values),
        "growth_mb": round(values[-1] - values[0], 1),
        "max_growth_mb": round(max(values) - values[0], 1),
        "per_process": per,
    }


@dataclass
class Uploads:
    """Uploads the files one after another through `POST /v1/documents`, in a thread."""

    base_url: str
    admin_key: str
    files: Sequence[Path]
    results: list[dict[str, Any]] = field(default_factory=list)
    started_s: float | None = None
    finished_s: float | None = None
    clock: Callable[[], float] = time.perf_counter

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.done = threading.Event()

    def start(self) -> None:
        """Begin uploading."""
        self._thread.start()

    def _run(self) -> None:
        self.started_s = self.clock()
        headers = {"X-API-Key": self.admin_key}
        try:
            with httpx.Client(base_url=self.base_url, timeout=UPLOAD_TIMEOUT_S) as http:
                for path in self.files:
                    began = time.perf_counter()
                    entry: dict[str, Any] = {"file": path.name}
                    try:
                        with path.open("rb") as handle:
                            response = http.post(
                                "/v1/documents",
                                files={"file": (path.name, handle, "application/pdf")},
                                headers=headers,
                            )
                        entry["status_code"] = response.status_code
                        body = response.json()
                        entry.update(
                            {k: body.get(k) for k in ("doc_id", "status", "chunks", "reason")}
                        )
                    except (httpx.HTTPError, ValueError) as exc:
                        entry["error"] = f"{type(exc).__name__}: {exc}"[:300]
                    entry["seconds"] = round(time.perf_counter() - began, 2)
                    self.results.append(entry)
        finally:
            self.finished_s = self.clock()
            self.done.set()

    def seconds(self) -> float | None:
        """How long the uploads took, once they have finished."""
        if self.started_s is None or self.finished_s is None:
            return None
        return round(self.finished_s - self.started_s, 2)

    def indexed(self) -> list[str]:
        """Doc ids of the uploads that were indexed."""
        return [
            str(r["doc_id"])
            for r in self.results
            if r.get("status_code") == 201 and r.get("status") == "indexed"
        ]


@dataclass(frozen=True)
class SoakPlan:
    """What one soak sends."""

    requests: int = 3000
    concurrency: int = 16
    uploads: tuple[Path, ...] = ()
    admin_key: str = ""
    warm_up: int = 64
    """Requests (the same mix) before the soak proper; the RSS curve is judged after them."""
    probes: int = 3
    """Real-policy questions asked per uploaded document afterwards (it must be cited in one)."""
    probe_connections: int = 4
    """Each probe question is asked on this many fresh connections (every worker should see the
    new document; with several workers the kernel spreads connections over them)."""
    keep_going_while_ingesting: bool = True
    after_ingest: int = 600
    """Requests sent after the last upload has finished: the RSS curve of steady load with the
    ingest's memory in place (the ingest itself holds embedding batches and parser state)."""
    seed: tuple[Path, ...] = ()
    """Files uploaded before the warm-up: they load the models the writer path needs into the
    server (otherwise that load lands in the soak's RSS curve) and give an empty store
    documents."""


def load(
    base_url: str,
    kinds: Sequence[str],
    asked: Sequence[Conversation],
    doc_ids: Sequence[str],
    concurrency: int,
    more: Callable[[int], bool],
) -> tuple[list[Outcome], float]:
    """`concurrency` closed-loop clients sending request `n` (kind `kinds[n % len]`) while
    `more(n)`; every outcome and the wall seconds."""
    lock = threading.Lock()
    issued = 0
    outcomes: list[Outcome] = []

    def client() -> None:
        nonlocal issued
        http = Client(base_url, doc_ids)
        try:
            while True:
                with lock:
                    if not more(issued):
                        return
                    n = issued
                    issued += 1
                outcome = http.send(kinds[n % len(kinds)], n, asked[n % len(asked)])
                with lock:
                    outcomes.append(outcome)
        finally:
            http.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes, time.perf_counter() - started


def by_kind(outcomes: Sequence[Outcome]) -> dict[str, dict[str, Any]]:
    """Per kind: requests, errors, a few error samples, and the latency of the successful ones."""
    found: dict[str, dict[str, Any]] = {}
    for kind in [*KINDS, "all"]:
        mine = [o for o in outcomes if kind in ("all", o.kind)]
        errors = [o.problem for o in mine if o.problem]
        found[kind] = {
            "requests": len(mine),
            "errors": len(errors),
            "error_samples": sorted(set(errors))[:3],
            "latency_ms": summarize([o.ms for o in mine if not o.problem]),
        }
    return found


def probe_questions(doc_id: str, limit: int) -> list[EvalCase]:
    """Answerable real-policy questions whose evidence is in `doc_id` alone, without history."""
    cases = [
        c
        for c in load_jsonl(REAL_POLICY_PATH)
        if c.answerable and c.gold_doc_ids == [doc_id] and not c.history
    ]
    return cases[:limit]


def visibility(base_url: str, doc_ids: Sequence[str], plan: SoakPlan) -> dict[str, Any]:
    """Whether every uploaded document is listed, and answered from (cited) on fresh connections."""
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S) as http:
        listed = {d["doc_id"] for d in list_documents(http)}
    documents = []
    for doc_id in doc_ids:
        asked = []
        for case in probe_questions(doc_id, plan.probes):
            cited_on = 0
            for _ in range(plan.probe_connections):
                with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S) as http:
                    response = http.post("/v1/ask", json={"question": case.question})
                cited = response.status_code == 200 and doc_id in {
                    c["doc_id"] for c in response.json().get("citations", [])
                }
                cited_on += int(cited)
            asked.append({"id": case.id, "question": case.question, "cited_on": cited_on})
        documents.append(
            {
                "doc_id": doc_id,
                "listed": doc_id in listed,
                "questions": asked,
                "answered_with_citation": any(
                    q["cited_on"] == plan.probe_connections for q in asked
                ),
            }
        )
    return {
        "listed_total": len(listed),
        "connections_per_question": plan.probe_connections,
        "documents": documents,
        "all_visible": all(d["listed"] and d["answered_with_citation"] for d in documents),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def run(base_url: str, server_pid: int, plan: SoakPlan, log: Log = print) -> dict[str, Any]:
    """Warm up, then the soak with the uploads running, then the visibility checks."""
    base_url = base_url.rstrip("/")
    asked = conversations()
    seeded = Uploads(base_url, plan.admin_key, plan.seed)
    seeded.start()
    seeded.done.wait()
    if plan.seed and len(seeded.indexed()) != len(plan.seed):
        raise RuntimeError(f"the seed uploads failed: {seeded.results}")
    if plan.seed:
        log(f"soak: seeded {len(plan.seed)} files in {seeded.seconds()} s")
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S) as http:
        doc_ids = [d["doc_id"] for d in list_documents(http)]
    if not doc_ids:
        raise RuntimeError("the service lists no documents: nothing for GET /v1/documents/{id}")
    kinds = schedule(sum(weight for _, weight in MIX))  # one round; request n is kinds[n % len]
    rss = RssSampler(server_pid)
    warm, warm_s = load(
        base_url, kinds, asked, doc_ids, plan.concurrency, lambda n: n < plan.warm_up
    )
    warm_end = rss.now()
    log(f"soak: warm-up {len(warm)} requests in {warm_s:.1f} s")
    uploads = Uploads(base_url, plan.admin_key, plan.uploads, clock=rss.now)
    uploads.start()

    ingested_at: list[int] = []

    def more(n: int) -> bool:
        if not uploads.done.is_set():
            return n < plan.requests or plan.keep_going_while_ingesting
        if not ingested_at:
            ingested_at.append(n)
        return n < max(plan.requests, ingested_at[0] + plan.after_ingest)

    outcomes, seconds = load(base_url, kinds, asked, doc_ids, plan.concurrency, more)
    load_end = rss.now()
    uploads.done.wait()
    samples = rss.stop()
    kinds_found = by_kind(outcomes)
    log(
        f"soak: {len(outcomes)} requests in {seconds:.1f} s, "
        f"{kinds_found['all']['errors']} errors; uploads {uploads.results}"
    )
    seen = visibility(base_url, uploads.indexed(), plan)
    return {
        "plan": {
            "requests": plan.requests,
            "concurrency": plan.concurrency,
            "warm_up": plan.warm_up,
            "mix": dict(MIX),
            "uploads": [p.name for p in plan.uploads],
            "keep_going_while_ingesting": plan.keep_going_while_ingesting,
            "after_ingest": plan.after_ingest,
        },
        "seed": seeded.results,
        "warm_up": {"requests": len(warm), "errors": sum(1 for o in warm if o.problem)},
        "requests": len(outcomes),
        "requests_before_ingest_finished": ingested_at[0] if ingested_at else None,
        "seconds": round(seconds, 2),
        "requests_per_s": round(len(outcomes) / seconds, 2) if seconds else 0.0,
        "errors": kinds_found["all"]["errors"],
        "kinds": kinds_found,
        "ingest": {
            "files": uploads.results,
            "seconds": uploads.seconds(),
            "started_at_s": _round(uploads.started_s),
            "finished_at_s": _round(uploads.finished_s),
            "finished_before_load_ended": (
                uploads.finished_s is not None and uploads.finished_s <= load_end
            ),
        },
        "timeline_s": {"warm_up_end": round(warm_end, 2), "load_end": round(load_end, 2)},
        "rss": {
            "after_warm_up": rss_summary(samples, warm_end),
            "after_ingest": (
                rss_summary(samples, uploads.finished_s) if uploads.finished_s is not None else None
            ),
            "samples": samples,
        },
        "visibility": seen,
    }
