"""Fit the decision for readings that cross languages: when the best unit of a reading is scored
across languages (a French question over English passages), whether to answer is decided by a
model fitted on such readings, not by the English one.

The English answerability model reads the summary of English readings, in which term overlap
and the English models' cosines carry the evidence; across languages term overlap is gone and
the cosines come from multilingual-e5 through the maps of `calibrate`, so the same summary runs
lower for an answerable question and the English model declines it (measured on the slice's dev
half: 9 of 20 answerable questions declined, their English originals answered). The rows are the
multilingual slice's translated questions read as the assistant reads them, the units scored by
the shipped cross-language unit model; features and threshold are chosen by leaving one
collection out (gold, real-policy), and the shipped model is fitted on both dev halves.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answer.answerability import QUESTION_FEATURES
from assistant.answer.scoring import (
    CROSSLINGUAL_ANSWERABLE_MODEL,
    CROSSLINGUAL_UNIT_MODEL,
    LinearModel,
)
from assistant.container import Container
from evals.datasets import load_jsonl
from evals.multilingual import SETS
from evals.splits import select
from training.multilingual.calibrate import COLLECTIONS
from training.scorer.card import commit, machine
from training.scorer.collect import CaseRows, collect
from training.scorer.fit import (
    balanced_accuracy,
    fit_answerable,
    question_matrix,
    reachable,
)

CANDIDATES: tuple[tuple[str, ...], ...] = (
    ("best",),
    ("best", "blend_best"),
    ("best", "reader_max"),
    ("best", "cosine_max"),
    ("best", "passage_top"),
    ("best", "names_missing"),
    ("best", "best_gap"),
    ("best", "cosine_max", "names_missing"),
    ("best", "blend_best", "names_missing"),
)
"""Feature sets the cross-language decision may use: none built on term overlap (coverage gap,
unknown terms, terms covered), which says nothing between two languages."""


def rows_of(container: Container, name: str, half: str, cache: Path) -> list[CaseRows]:
    """The translated cases of `half` of collection `name`, read and labelled (cached)."""
    cases = select(load_jsonl(SETS[name][0]), half, key=lambda c: c.id)
    return collect(container, name, cases, cache / f"multilingual-{name}-{half}.npz")


def _accuracy(model: LinearModel, rows: Sequence[CaseRows], units: LinearModel) -> float:
    """Balanced accuracy of `model` at its threshold on `rows`."""
    x = question_matrix(rows, units)
    columns = [QUESTION_FEATURES.index(f) for f in model.features]
    p = model.predict(x[:, columns], model.features)
    return balanced_accuracy(p, np.array([r.answerable for r in rows]), model.threshold)


def _fit(rows: Sequence[CaseRows], units: LinearModel, features: tuple[str, ...]) -> LinearModel:
    decided = [r for r in rows if reachable(r)]
    return fit_answerable(decided, question_matrix(decided, units), features)


def choose(
    dev: dict[str, list[CaseRows]], units: LinearModel
) -> tuple[tuple[str, ...], dict[str, float]]:
    """The candidate with the best mean balanced accuracy, each collection's dev half decided
    by a model fitted on the other's."""
    scores: dict[str, float] = {}
    for candidate in CANDIDATES:
        values = []
        for held in dev:
            train = [r for n, rs in dev.items() if n != held for r in rs]
            values.append(_accuracy(_fit(train, units, candidate), dev[held], units))
        scores[",".join(candidate)] = round(float(np.mean(values)), 4)
    best = max(CANDIDATES, key=lambda c: scores[",".join(c)])
    return best, scores


def leave_one_out(
    dev: dict[str, list[CaseRows]], test: dict[str, list[CaseRows]], units: LinearModel
) -> dict[str, dict[str, Any]]:
    """Per collection: features chosen and model fitted on the *other* collection's dev half
    alone, balanced accuracy on this collection's test half."""
    out: dict[str, dict[str, Any]] = {}
    for held in dev:
        train = [r for n, rs in dev.items() if n != held for r in rs]
        best = max(CANDIDATES, key=lambda c: _accuracy(_fit(train, units, c), train, units))
        model = _fit(train, units, best)
        out[held] = {
            "features": list(best),
            "threshold": model.threshold,
            "balanced_accuracy": round(_accuracy(model, test[held], units), 4),
            "questions": len(test[held]),
        }
    return out


def main(scorer_dir: Path | None = None) -> Path:
    """Read the slice, choose and fit the cross-language decision, write it and report."""
    from training.scorer.collections import open_collection

    base = Container()
    directory = scorer_dir or base.settings.answer.scorer_dir
    units = LinearModel.load(directory / CROSSLINGUAL_UNIT_MODEL)
    cache = base.settings.data_dir / "training" / "scorer"
    dev: dict[str, list[CaseRows]] = {}
    test: dict[str, list[CaseRows]] = {}
    for name in COLLECTIONS:
        container, _ = open_collection(name, base)
        dev[name] = rows_of(container, name, "dev", cache)
        test[name] = rows_of(container, name, "test", cache)
        print(name, len(dev[name]), "dev,", len(test[name]), "test questions", flush=True)
    features, scores = choose(dev, units)
    model = _fit([r for rs in dev.values() for r in rs], units, features)
    loco = leave_one_out(dev, test, units)
    card = {
        "candidates": scores,
        "leave_one_out": loco,
        "trained_on": {n: len(rs) for n, rs in dev.items()},
        "measured": {"commit": commit(), "machine": machine()},
    }
    shipped = LinearModel(
        model.features, model.mean, model.scale, model.coef, model.intercept, model.threshold, card
    )
    path = directory / CROSSLINGUAL_ANSWERABLE_MODEL
    shipped.save(path)
    print(json.dumps({"features": list(features), "threshold": model.threshold, **card}, indent=1))
    return path
