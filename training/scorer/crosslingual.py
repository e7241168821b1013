"""The cross-language decision fitted alone, beside the shipped English models, with its
leave-one-collection-out figures (`cluster-assistant scorer train-crosslingual`).

Rows are the English collections' (the same the English decision learns from), each question
summarised with the unit model without term overlap, as a reading across languages is. Each
collection's test half is decided by a model fitted (unit model included) on the *other*
collections' dev halves; balanced accuracy is reported beside the English decision's on the same
summaries, which is what a reading across languages gets without this model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from assistant.answer.answerability import QUESTION_FEATURES
from assistant.answer.features import CROSSLINGUAL_FEATURES
from assistant.answer.scoring import LinearModel
from training.scorer.card import commit, machine
from training.scorer.collect import CaseRows
from training.scorer.fit import (
    balanced_accuracy,
    fit,
    fit_crosslingual_answerable,
    fit_units,
    question_matrix,
)


def accuracy(model: LinearModel, rows: Sequence[CaseRows], units: LinearModel) -> float:
    """Balanced accuracy of `model` at its threshold, the questions summarised with `units`."""
    if not rows:
        return 0.0
    x = question_matrix(rows, units)
    columns = [QUESTION_FEATURES.index(f) for f in model.features]
    p = model.predict(x[:, columns], model.features)
    return round(balanced_accuracy(p, np.array([r.answerable for r in rows]), model.threshold), 4)


def leave_one_out(
    rows: dict[str, list[CaseRows]], units: LinearModel
) -> tuple[LinearModel, dict[str, Any]]:
    """The decision fitted on every dev half (questions summarised with `units`, the shipped
    cross-language unit model), and per held-out collection: its test half's balanced accuracy
    under the decision fitted without it, beside the English decision's fitted without it."""
    folds: dict[str, Any] = {}
    for held in rows:
        train = [r for n, rs in rows.items() if n != held for r in rs if r.half == "dev"]
        test = [r for r in rows[held] if r.half == "test"]
        fold_units = fit_units(train, CROSSLINGUAL_FEATURES)
        across = fit_crosslingual_answerable(train, fold_units)
        english = fit(train).answerable
        folds[held] = {
            "inputs": list(across.features),
            "threshold": round(across.threshold, 4),
            "crosslingual": accuracy(across, test, fold_units),
            "english_decision": accuracy(english, test, fold_units),
            "questions": len(test),
        }
    dev = [r for rs in rows.values() for r in rs if r.half == "dev"]
    model = fit_crosslingual_answerable(dev, units)
    card = dict(model.card or {})
    card.update(
        {
            "leave_one_out": folds,
            "trained_on": {n: sum(r.half == "dev" for r in rs) for n, rs in rows.items()},
            "measured": {"commit": commit(), "machine": machine()},
        }
    )
    shipped = LinearModel(
        model.features, model.mean, model.scale, model.coef, model.intercept, model.threshold, card
    )
    return shipped, {"features": list(model.features), "threshold": model.threshold, **card}
