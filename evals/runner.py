"""Run an evaluation: ask every case, score it, summarise (`evals.report` writes the results)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict
from statistics import fmean
from typing import Any

from assistant.container import Container
from assistant.pipeline import Turn
from evals.citations import Judge, score_citations
from evals.datasets import EvalCase
from evals.metrics import (
    citation_on_gold_page,
    dedupe,
    fact_hit_rate,
    ndcg_at_k,
    percentile,
    recall_at_k,
    reciprocal_rank,
    sentence_recall,
    token_f1,
)
from evals.results import KS, CaseResult
from evals.splits import HALVES, half_of

HALF_KEYS = (
    "cases",
    "fact_hit",
    "refusal_accuracy",
    "partial_rate",
    "false_refusal_rate",
    "accuracy",
    "recall@5",
    "citation_on_gold_doc",
    "citation_on_gold_page",
    "latency_ms_p50",
    "latency_ms_p95",
)
"""The figures `summarise` gives for each half (dev, test), where the dataset has them."""
ANSWERABLE_ONLY = frozenset({"citation_on_gold_doc", "citation_on_gold_page"})
"""Citation metrics averaged over answerable cases (the judge's are over every answer given)."""


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
        coverage=answer.coverage,
        flagged=list(answer.flagged),
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
        if case.gold_pdf_pages and not answer.refused:
            m["citation_on_gold_page"] = citation_on_gold_page(
                result.citations, case.gold_doc_ids, case.gold_pdf_pages
            )
    if judge is not None and not answer.refused:
        chunks = container.store.get([c.chunk_id for c in answer.citations])
        passages = {c.n: chunks[c.chunk_id].text for c in answer.citations if c.chunk_id in chunks}
        recall, precision, calls = score_citations(answer.answer, passages, judge)
        m["citation_recall"], m["citation_precision"] = recall, precision
        result.judge_calls = calls
    return result


def summarise(results: Sequence[CaseResult]) -> dict[str, Any]:
    """Means of every metric, refusal rates, latency percentiles, a per-kind breakdown, and the
    main figures of the dev and test halves (`halves`, split by `evals.splits`)."""
    summary = _figures(results)
    summary["halves"] = {half: _half(results, half) for half in HALVES}
    return summary


def _half(results: Sequence[CaseResult], half: str) -> dict[str, Any]:
    """`HALF_KEYS` over the cases of one half (just `cases: 0` when it has none)."""
    chosen = [r for r in results if half_of(r.id) == half]
    if not chosen:
        return {"cases": 0}
    figures = _figures(chosen)
    return {key: figures[key] for key in HALF_KEYS if key in figures}


def _figures(results: Sequence[CaseResult]) -> dict[str, Any]:
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    summary: dict[str, Any] = {"cases": len(results), "answerable": len(answerable)}
    names = sorted({name for r in results for name in r.metrics})
    for name in names:
        pool = (
            results if name.startswith("citation_") and name not in ANSWERABLE_ONLY else answerable
        )
        values = [r.metrics[name] for r in pool if name in r.metrics]
        summary[name] = round(fmean(values), 4)
    # An unanswerable case is declined by a refusal or by a `partial` answer that says first
    # that the documents do not give what was asked.
    summary["refusal_accuracy"] = (
        round(fmean(1.0 if r.declined else 0.0 for r in unanswerable), 4) if unanswerable else None
    )
    summary["partial_rate"] = (
        round(fmean(1.0 if r.coverage == "partial" else 0.0 for r in answerable), 4)
        if answerable
        else None
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
