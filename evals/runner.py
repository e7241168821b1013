"""Run an evaluation: ask every case, score it, summarise, write the results."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from statistics import fmean
from typing import Any

from assistant.container import Container
from assistant.pipeline import Turn
from evals.citations import Judge, score_citations
from evals.datasets import EvalCase
from evals.metrics import (
    dedupe,
    fact_hit_rate,
    ndcg_at_k,
    percentile,
    recall_at_k,
    reciprocal_rank,
    sentence_recall,
    token_f1,
)

KS = (1, 3, 5, 10)


@dataclass
class CaseResult:
    """One case's answer and scores."""

    id: str
    kind: str
    question: str
    answerable: bool
    answer: str
    refused: bool
    evidence_score: float
    citations: list[dict[str, Any]]
    retrieved_doc_ids: list[str]
    latency_ms: float
    metrics: dict[str, float] = field(default_factory=dict)
    judge_calls: int = 0
    unknown_terms: list[str] = field(default_factory=list)
    coverage_gap: float = 0.0

    @property
    def correct(self) -> bool:
        """Declined an unanswerable case, or answered an answerable one with all its facts."""
        if not self.answerable:
            return self.refused
        return not self.refused and self.metrics.get("fact_hit", 1.0) == 1.0


def evaluate_case(container: Container, case: EvalCase, judge: Judge | None = None) -> CaseResult:
    """Ask one case and score it (citation metrics only with a judge)."""
    assistant = container.assistant
    history = [Turn(str(m["role"]), str(m["content"])) for m in case.history]
    started = time.perf_counter()
    answer = assistant.answer(case.question, history)
    latency = (time.perf_counter() - started) * 1000
    ranked = dedupe([h.chunk.doc_id for h in assistant.retrieve(case.question, history, top_k=20)])
    result = CaseResult(
        id=case.id,
        kind=case.kind,
        question=case.question,
        answerable=case.answerable,
        answer=answer.answer,
        refused=answer.refused,
        evidence_score=answer.evidence_score,
        citations=[asdict(c) for c in answer.citations],
        retrieved_doc_ids=ranked[:10],
        latency_ms=round(latency, 2),
        unknown_terms=answer.unknown_terms,
        coverage_gap=answer.coverage_gap,
    )
    m = result.metrics
    if case.answerable:
        for k in KS:
            m[f"recall@{k}"] = recall_at_k(ranked, case.gold_doc_ids, k)
        m["mrr"] = reciprocal_rank(ranked, case.gold_doc_ids)
        m["ndcg@10"] = ndcg_at_k(ranked, case.gold_doc_ids, 10)
        if case.required_facts:
            m["fact_hit"] = (
                0.0 if answer.refused else fact_hit_rate(answer.answer, case.required_facts)
            )
        m["token_f1"] = 0.0 if answer.refused else token_f1(answer.answer, case.reference_answer)
        if case.gold_sentences:
            m["sentence_recall"] = (
                0.0 if answer.refused else sentence_recall(answer.answer, case.gold_sentences)
            )
        cited = {c.doc_id for c in answer.citations}
        m["citation_on_gold_doc"] = (
            len(cited & set(case.gold_doc_ids)) / len(cited) if cited else 0.0
        )
    if judge is not None and not answer.refused:
        chunks = container.store.get([c.chunk_id for c in answer.citations])
        passages = {c.n: chunks[c.chunk_id].text for c in answer.citations if c.chunk_id in chunks}
        recall, precision, calls = score_citations(answer.answer, passages, judge)
        m["citation_recall"], m["citation_precision"] = recall, precision
        result.judge_calls = calls
    return result


def summarise(results: Sequence[CaseResult]) -> dict[str, Any]:
    """Means of every metric, refusal rates, latency percentiles, and a per-kind breakdown."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    summary: dict[str, Any] = {"cases": len(results), "answerable": len(answerable)}
    names = sorted({name for r in results for name in r.metrics})
    for name in names:
        pool = (
            results
            if name.startswith("citation_") and name != "citation_on_gold_doc"
            else answerable
        )
        values = [r.metrics[name] for r in pool if name in r.metrics]
        summary[name] = round(fmean(values), 4)
    summary["refusal_accuracy"] = (
        round(fmean(1.0 if r.refused else 0.0 for r in unanswerable), 4) if unanswerable else None
    )
    summary["false_refusal_rate"] = (
        round(fmean(1.0 if r.refused else 0.0 for r in answerable), 4) if answerable else None
    )
    summary["accuracy"] = round(fmean(1.0 if r.correct else 0.0 for r in results), 4)
    latencies = [r.latency_ms for r in results]
    summary["judge_calls"] = sum(r.judge_calls for r in results)
    summary["latency_ms_p50"] = round(percentile(latencies, 50), 1)
    summary["latency_ms_p95"] = round(percentile(latencies, 95), 1)
    by_kind: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results:
        by_kind[r.kind].append(r)
    summary["by_kind"] = {
        kind: {"cases": len(rs), "accuracy": round(fmean(1.0 if r.correct else 0.0 for r in rs), 4)}
        for kind, rs in sorted(by_kind.items())
    }
    return summary


def run(
    container: Container,
    cases: Sequence[EvalCase],
    progress: Callable[[int, int], None] | None = None,
    judge: Judge | None = None,
    judge_name: str | None = None,
) -> tuple[list[CaseResult], dict[str, Any]]:
    """Evaluate every case; the model is warmed up first so latency is the warm path."""
    container.assistant.answer("warm-up question about clusters")
    results = []
    for i, case in enumerate(cases, start=1):
        results.append(evaluate_case(container, case, judge))
        if progress:
            progress(i, len(cases))
    summary = summarise(results)
    summary["judge"] = judge_name if judge is not None else "none (install the [llm] extra)"
    return results, summary


def write_outputs(
    out: Path,
    results: Sequence[CaseResult],
    summary: dict[str, Any],
    threshold: float | None = None,
    title: str = "Evaluation report",
) -> None:
    """results.jsonl, summary.json, report.md and report.html in `out`."""
    from evals.report import render_html

    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("w", encoding="utf-8") as handle:
        for r in results:
            row = asdict(r) | {"correct": r.correct}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (out / "report.md").write_text(render_markdown(results, summary), encoding="utf-8")
    (out / "report.html").write_text(
        render_html(results, summary, threshold, title), encoding="utf-8"
    )


def render_markdown(results: Sequence[CaseResult], summary: dict[str, Any]) -> str:
    """A readable report: the metric table, per-kind accuracy, and the failed cases."""
    lines = ["# Evaluation report", "", "| metric | value |", "|---|---|"]
    for key, value in summary.items():
        if key != "by_kind":
            lines.append(f"| {key} | {value} |")
    lines += ["", "## By kind", "", "| kind | cases | accuracy |", "|---|---|---|"]
    for kind, row in summary["by_kind"].items():
        lines.append(f"| {kind} | {row['cases']} | {row['accuracy']} |")
    lines += ["", "## Cases answered wrongly", ""]
    for r in results:
        if not r.correct:
            verdict = (
                "should decline"
                if not r.answerable
                else ("declined" if r.refused else f"facts {r.metrics.get('fact_hit', 0):.2f}")
            )
            lines += [
                f"### {r.id} ({r.kind}): {verdict}",
                f"**Q:** {r.question}",
                "",
                f"**A:** {r.answer}",
                "",
                f"retrieved: {', '.join(r.retrieved_doc_ids[:5])}; evidence {r.evidence_score}",
                "",
            ]
    return "\n".join(lines) + "\n"
