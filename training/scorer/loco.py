"""Leave one collection out: for each collection, fit the scorer on the *other* collections' dev
halves, then evaluate this collection's test half end to end with that fold's models.

It is the figure that says whether reading generalises to documents and questions it did not
learn from; the shipped models (`train`) are fitted on every collection's dev half.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answer.scoring import (
    ANSWERABLE_MODEL,
    CROSSLINGUAL_UNIT_MODEL,
    UNIT_MODEL,
)
from assistant.container import Container
from evals.metrics import auc
from evals.runner import run
from evals.splits import select
from evals.suite import answering_with
from training.scorer.collect import CaseRows, collect
from training.scorer.collections import open_collection
from training.scorer.fit import Fitted, fit, question_matrix, unit_scores

FIGURES = (
    "cases",
    "fact_hit",
    "refusal_accuracy",
    "false_refusal_rate",
    "partial_rate",
    "accuracy",
    "citation_on_gold_doc",
    "citation_on_gold_page",
    "latency_ms_p50",
    "latency_ms_p95",
)


@dataclass
class Collected:
    """One collection's container (its own store) and labelled rows of every case."""

    container: Container
    rows: list[CaseRows]


def gather(
    base: Container,
    names: Sequence[str],
    cache: Path,
    fresh: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Collected]:
    """Every collection opened (ingested when needed) and its rows collected (cached)."""
    reading = answering_with(base, scorer="blend")
    out: dict[str, Collected] = {}
    for name in names:
        container, cases = open_collection(name, reading)
        rows = collect(container, name, cases, cache / f"{name}.npz", fresh)
        out[name] = Collected(container, rows)
        if progress:
            progress(f"{name}: {len(rows)} questions, {sum(len(r.labels) for r in rows)} units")
    return out


def save(fitted: Fitted, directory: Path) -> None:
    """Write both models into `directory`."""
    fitted.units.save(directory / UNIT_MODEL)
    fitted.answerable.save(directory / ANSWERABLE_MODEL)
    if fitted.crosslingual is not None:
        fitted.crosslingual.save(directory / CROSSLINGUAL_UNIT_MODEL)


def unit_auc(fitted: Fitted, rows: Sequence[CaseRows]) -> float:
    """AUC of the unit scores separating units that state a fact from those that do not."""
    pos: list[float] = []
    neg: list[float] = []
    for r in rows:
        if not len(r.labels):
            continue
        p = unit_scores(r, fitted.units, fitted.crosslingual)
        pos += [float(v) for v, y in zip(p, r.labels, strict=True) if y > 0]
        neg += [float(v) for v, y in zip(p, r.labels, strict=True) if y == 0]
    return round(auc(pos, neg), 4) if pos and neg else 0.0


def top1(fitted: Fitted, rows: Sequence[CaseRows]) -> float:
    """Share of answerable questions with a labelled unit whose best-scored unit states one."""
    wins = []
    for r in rows:
        if r.answerable and len(r.labels) and r.labels.max() > 0:
            p = unit_scores(r, fitted.units, fitted.crosslingual)
            wins.append(float(r.labels[int(np.argmax(p))] > 0))
    return round(float(np.mean(wins)), 4) if wins else 0.0


def answerable_auc(fitted: Fitted, rows: Sequence[CaseRows]) -> float:
    """AUC of P(answerable) separating answerable questions from the rest."""
    if not rows:
        return 0.0
    p = fitted.answerable.predict(
        question_matrix(rows, fitted.units, fitted.crosslingual), fitted.answerable.features
    )
    pos = [float(v) for v, r in zip(p, rows, strict=True) if r.answerable]
    neg = [float(v) for v, r in zip(p, rows, strict=True) if not r.answerable]
    return round(auc(pos, neg), 4) if pos and neg else 0.0


def evaluate(container: Container, name: str, **answer: Any) -> dict[str, Any]:
    """The end-to-end figures of the collection's test half, answered with `answer` settings
    (`scorer`, `scorer_dir`)."""
    scoped, cases = open_collection(name, answering_with(container, **answer))
    test = select(cases, "test", key=lambda c: c.id)
    _, summary = run(scoped, test)
    figures = {k: summary.get(k) for k in FIGURES}
    figures["by_kind"] = summary.get("by_kind", {})
    return figures


def loco(
    base: Container,
    names: Sequence[str],
    out: Path,
    collected: dict[str, Collected],
    baseline: bool = True,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The leave-one-collection-out table (and the blend rule's figures on the same halves)."""
    report: dict[str, Any] = {"collections": list(names), "folds": {}}
    for held in names:
        train = [r for n in names if n != held for r in collected[n].rows if r.half == "dev"]
        fitted = fit(train)
        fold = out / f"without-{held}"
        save(fitted, fold)
        test_rows = [r for r in collected[held].rows if r.half == "test"]
        entry: dict[str, Any] = {
            "trained_on": [n for n in names if n != held],
            "threshold": round(fitted.answerable.threshold, 4),
            "inputs": list(fitted.answerable.features),
            "unit_auc": unit_auc(fitted, test_rows),
            "top1": top1(fitted, test_rows),
            "answerable_auc": answerable_auc(fitted, test_rows),
            "learned": evaluate(base, held, scorer="learned", scorer_dir=fold),
        }
        if baseline:
            entry["blend"] = evaluate(base, held, scorer="blend")
        report["folds"][held] = entry
        (out / "loco.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        if progress:
            progress(f"{held}: {json.dumps(entry['learned'] | {'by_kind': None})}")
    return report
