"""The query section: warm latency of the whole offline answer and of each stage, per store size.

Questions are the dev halves of the gold set and of the real-policy set, each asked once after the
stages are warm (model loaded, BM25 index built, a few unrelated questions answered). The answer is
`Assistant.answer`, what `/v1/ask` runs. At the largest store the same questions are asked again
under cProfile, and the functions that take the most time are kept for the report.
"""

from __future__ import annotations

import cProfile
import pstats
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.container import Container
from assistant.embedder import Embedder
from assistant.pipeline import Assistant, Turn
from assistant.settings import PROJECT_ROOT, Settings
from evals.bench.config import BenchConfig
from evals.bench.stages import STAGES, StageClock, instrument
from evals.bench.stats import summarize
from evals.bench.stores import BuiltStore
from evals.datasets import GOLD_PATH, REAL_POLICY_PATH, load_jsonl
from evals.splits import select

Log = Callable[[str], None]
WARM_UP = (
    "What do the documents say about regional innovation?",
    "Who can I contact about cooperation between clusters?",
    "Which events are planned and where do they take place?",
)
"""Asked before timing (not among the timed questions, so no cache favours those)."""
WARM_ROUNDS = 2
PROFILE_ROWS = 15


@dataclass(frozen=True)
class Question:
    """One timed question with its earlier turns."""

    id: str
    text: str
    history: tuple[Turn, ...]


def questions(limit: int | None = None) -> list[Question]:
    """The gold and real-policy dev halves, interleaved so that a `limit` keeps both."""
    halves = [
        select(load_jsonl(path), "dev", key=lambda c: c.id)
        for path in (GOLD_PATH, REAL_POLICY_PATH)
    ]
    mixed = []
    for i in range(max(len(h) for h in halves)):
        mixed += [h[i] for h in halves if i < len(h)]
    found = [
        Question(c.id, c.question, tuple(Turn(t["role"], t["content"]) for t in c.history))
        for c in mixed
    ]
    return found[:limit] if limit is not None else found


def _assistant(
    built: BuiltStore, settings: Settings, embedder: Embedder, clock: StageClock
) -> tuple[Assistant, float]:
    container = Container(built.settings(settings))
    container.__dict__["embedder"] = embedder
    instrument(container, clock)
    started = time.perf_counter()
    assistant = container.assistant
    assistant.warm_up()
    return assistant, time.perf_counter() - started


def _lexical_origin(assistant: Assistant) -> str | None:
    """`loaded` (saved by an earlier process) or `built` at warm-up; None when not told."""
    loaded = getattr(assistant.lexical, "loaded_from_cache", None)
    return None if loaded is None else ("loaded" if loaded else "built")


def time_store(
    built: BuiltStore, settings: Settings, embedder: Embedder, asked: Sequence[Question]
) -> dict[str, Any]:
    """Warm-up time, then each question's total and per-stage milliseconds, summarised."""
    clock = StageClock()
    assistant, warm_s = _assistant(built, settings, embedder, clock)
    for text in WARM_UP * WARM_ROUNDS:
        assistant.answer(text)
    totals: list[float] = []
    stages: dict[str, list[float]] = {name: [] for name in (*STAGES, "other")}
    refused = 0
    for question in asked:
        clock.reset()
        started = time.perf_counter()
        answer = assistant.answer(question.text, question.history)
        total_ms = (time.perf_counter() - started) * 1000
        totals.append(total_ms)
        refused += answer.refused
        spent = {name: clock.seconds.get(name, 0.0) * 1000 for name in STAGES}
        for name, ms in spent.items():
            stages[name].append(ms)
        stages["other"].append(max(0.0, total_ms - sum(spent.values())))
    return {
        "store": built.label,
        "chunks": built.chunks,
        "questions": len(asked),
        "answered": len(asked) - refused,
        "warm_up_s": round(warm_s, 3),
        "lexical_index": _lexical_origin(assistant),
        "total_ms": summarize(totals),
        "stages_ms": {name: summarize(values) for name, values in stages.items()},
    }


def profile_store(
    built: BuiltStore, settings: Settings, embedder: Embedder, asked: Sequence[Question]
) -> dict[str, Any]:
    """The functions taking the most own time while answering `asked` (cProfile, warm)."""
    assistant, _ = _assistant(built, settings, embedder, StageClock())
    for text in WARM_UP * WARM_ROUNDS:
        assistant.answer(text)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for question in asked:
        assistant.answer(question.text, question.history)
    profiler.disable()
    wall = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    rows = []
    entries: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (path, line, function), (_, calls, own, cumulative, _) in sorted(
        entries.items(), key=lambda item: -item[1][2]
    )[:PROFILE_ROWS]:
        rows.append(
            {
                "function": _name(path, line, function),
                "calls": calls,
                "own_ms_per_question": round(own * 1000 / len(asked), 2),
                "cumulative_ms_per_question": round(cumulative * 1000 / len(asked), 2),
                "own_share": round(own / wall, 3) if wall else None,
            }
        )
    return {"store": built.label, "questions": len(asked), "wall_s": round(wall, 2), "top": rows}


def _name(path: str, line: int, function: str) -> str:
    """`assistant/answer/composer.py:170(compose)`, `torch/nn/…`, or a built-in's own name."""
    if path == "~":
        return function
    marker = "site-packages/"
    if marker in path:
        path = path.split(marker, 1)[1]
    elif path.startswith(str(PROJECT_ROOT)):
        path = str(Path(path).relative_to(PROJECT_ROOT))
    return f"{path}:{line}({function})"


def run(
    config: BenchConfig,
    settings: Settings,
    embedder: Embedder,
    stores: Sequence[BuiltStore],
    log: Log,
) -> dict[str, Any]:
    """The query section's figures (and a profile at the largest store)."""
    asked = questions(config.max_questions)
    rows = []
    for built in stores:
        log(f"query: {len(asked)} questions on the {built.label} store ({built.chunks} chunks)")
        try:
            rows.append(time_store(built, settings, embedder, asked))
        except Exception as exc:  # a store the product cannot serve is a result, not a crash
            log(f"query: the {built.label} store failed: {exc}")
            rows.append({"store": built.label, "chunks": built.chunks, "failed": _failure(exc)})
    profile = None
    answered = [s for s in stores if any(r["store"] == s.label and "failed" not in r for r in rows)]
    if config.profile and answered:
        largest = max(answered, key=lambda s: s.chunks)
        log(f"query: profiling the {largest.label} store")
        profile = profile_store(largest, settings, embedder, asked)
    return {"questions": [q.id for q in asked], "stores": rows, "profile": profile}


def _failure(exc: BaseException) -> str:
    """`TypeName: message` (first line), for the report."""
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
