"""Fit the unit model and the answerability model on labelled rows (`training.scorer.collect`).

Both are scikit-learn logistic regressions on standardised features, stored as plain JSON
(`assistant.answer.scoring.LinearModel`). Every collection weighs the same whatever its size,
and within one, every question the same: a collection of 600 ClapNQ questions must not decide
what reads well in six policy PDFs. Unit labels are soft (the share of the facts a unit
states): a unit is a positive with that weight and a negative with the rest, so a whole list
that states every asked item outranks one item of it.

The answerability model learns from the questions whose reading can decide them (`reachable`).
Its inputs are chosen from a small family of feature sets
(`ANSWERABLE_CANDIDATES`) by leaving one *training* collection out in turn: each candidate is
fitted on the other training collections' rows and scored on the left-out one, and the set with
the best mean balanced accuracy wins. So the inputs, the weights and the threshold are all chosen
without the collection a leave-one-out fold reports. The threshold is the median of the
thresholds the training collections would each choose for themselves (the middle of those at
which its balanced accuracy — answerable questions answered, unanswerable ones declined — is
highest): each collection is one sample of the collections the assistant will meet, and the
median proposal is where an unseen one's best threshold most likely lies, whichever collection's
accuracy curve is steepest (it replaced the maximum of their mean balanced accuracy;
`docs/decisions.md`, "The threshold the collections propose"). Only collections whose
P(answerable) tells their answerable questions from the rest better than chance
(`informative`) propose. A collection where the fitted model ranks no better than a coin (the
stress PDFs: English questions over German and OCR'd text) says nothing about where the line
lies, only where its noise happens to peak, and used to pull the threshold with it
(`docs/decisions.md`, "Who sets the answerability threshold").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

import numpy as np
from scipy.stats import mannwhitneyu
from sklearn.linear_model import LogisticRegression

from assistant.answer.answerability import QUESTION_FEATURES, summarise
from assistant.answer.features import CROSSLINGUAL_FEATURES, UNIT_FEATURES
from assistant.answer.scoring import LinearModel, score_units
from training.scorer.collect import CaseRows

C = 1.0
"""Inverse regularisation strength of both regressions (scikit-learn's default)."""
ANSWERABLE_CANDIDATES: tuple[tuple[str, ...], ...] = (
    ("best",),
    ("best", "blend_best"),
    ("best", "reader_max"),
    ("best", "coverage_gap"),
    ("best", "unknown"),
    ("best", "terms_best"),
    ("best", "blend_best", "coverage_gap", "unknown"),
    ("best", "names_missing"),
    ("best", "blend_best", "names_missing"),
    ("best", "blend_best", "names_missing", "unknown"),
    ("best", "best_gap", "reader_max", "coverage_gap", "unknown", "terms_best"),
    ("blend_best",),
    ("blend_best", "coverage_gap", "unknown"),
    QUESTION_FEATURES,
)
"""The feature sets answerability may use; `fit` picks one by inner leave-one-collection-out."""


def _weights(rows: Sequence[CaseRows]) -> dict[str, float]:
    """Per question: 1 / (questions of its collection), so each collection sums to 1."""
    per: dict[str, int] = defaultdict(int)
    for r in rows:
        per[r.collection] += 1
    return {f"{r.collection}/{r.case_id}": 1.0 / per[r.collection] for r in rows}


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    return mean, scale


def _logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, names: tuple[str, ...]) -> LinearModel:
    mean, scale = _standardise(x)
    model = LogisticRegression(C=C, max_iter=2000)
    model.fit((x - mean) / scale, y, sample_weight=w * len(w) / w.sum())
    return LinearModel(
        features=names,
        mean=mean,
        scale=scale,
        coef=model.coef_[0].astype(np.float64),
        intercept=float(model.intercept_[0]),
    )


def fit_units(rows: Sequence[CaseRows], features: tuple[str, ...] = UNIT_FEATURES) -> LinearModel:
    """The unit model: P(the unit states what is asked) from `features` (of `UNIT_FEATURES`)."""
    per_question = _weights(rows)
    xs, ys, ws = [], [], []
    for r in rows:
        if not len(r.labels):
            continue
        w = per_question[f"{r.collection}/{r.case_id}"] / len(r.labels)
        positive = r.labels.astype(np.float64)
        xs += [r.features, r.features]
        ys += [np.ones(len(positive)), np.zeros(len(positive))]
        ws += [w * positive, w * (1 - positive)]
    x = np.vstack(xs).astype(np.float64)
    y = np.concatenate(ys)
    weights = np.concatenate(ws)
    keep = weights > 0
    columns = [UNIT_FEATURES.index(f) for f in features]
    return _logistic(x[keep][:, columns], y[keep], weights[keep], features)


def unit_scores(
    row: CaseRows, units: LinearModel, crosslingual: LinearModel | None = None
) -> np.ndarray:
    """Each unit's score as the assistant gives it (`score_units`): units read across
    languages by `crosslingual` (when given), the others by `units`."""
    return score_units(units, crosslingual, row.features, UNIT_FEATURES, row.crosses())


def question_matrix(
    rows: Sequence[CaseRows], units: LinearModel, crosslingual: LinearModel | None = None
) -> np.ndarray:
    """`QUESTION_FEATURES` of each question, its units scored as in `unit_scores`."""
    out = []
    for r in rows:
        scores = unit_scores(r, units, crosslingual)
        summary = summarise(
            scores, r.features, UNIT_FEATURES, r.passage_top, r.unknown, r.gap, r.names_missing
        )
        out.append([summary[f] for f in QUESTION_FEATURES])
    return np.array(out, dtype=np.float64)


@dataclass(frozen=True)
class Fitted:
    """The two models fitted together."""

    units: LinearModel
    answerable: LinearModel
    crosslingual: LinearModel | None = None
    """The unit model without the lexical features, for units read across languages."""


def balanced_accuracy(p: np.ndarray, answerable: np.ndarray, threshold: float) -> float:
    """Mean of the answered share of answerable questions and the declined share of the rest."""
    parts = []
    if answerable.any():
        parts.append(float((p[answerable] >= threshold).mean()))
    if (~answerable).any():
        parts.append(float((p[~answerable] < threshold).mean()))
    return float(np.mean(parts)) if parts else 0.0


SIGNIFICANCE = 0.05
"""A collection informs the threshold when its P(answerable) ranks its answerable questions
above its unanswerable ones at this one-sided significance (the conventional 5 %)."""


def informative(p: np.ndarray, answerable: np.ndarray) -> bool:
    """Whether `p` puts answerable questions above the rest better than chance: a one-sided
    Mann–Whitney U test (the rank test behind the AUC) at `SIGNIFICANCE`."""
    pos, neg = p[answerable], p[~answerable]
    if not len(pos) or not len(neg):
        return False
    return bool(mannwhitneyu(pos, neg, alternative="greater").pvalue < SIGNIFICANCE)


def best_thresholds(p: np.ndarray, answerable: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """The `candidates` at which one collection's balanced accuracy is highest."""
    scores = np.array([balanced_accuracy(p, answerable, float(t)) for t in candidates])
    return np.asarray(candidates[scores >= scores.max() - 1e-9])


def choose_threshold(p: np.ndarray, answerable: np.ndarray, collections: Sequence[str]) -> float:
    """Where the `informative` collections (all of them when none is) put the line: the middle
    of the thresholds at which every one of them has its highest balanced accuracy, when they
    share any; otherwise each proposes the middle of its own best thresholds and the median
    proposal is the threshold."""
    names = sorted(set(collections))
    groups = {n: np.array([c == n for c in collections]) for n in names}
    voting = {n: g for n, g in groups.items() if informative(p[g], answerable[g])}
    groups = voting or groups
    # Candidates: every training score (and 0, 1), so a collection's interval of best
    # thresholds is sampled wherever any collection's questions fall.
    candidates = np.unique(np.round(np.concatenate([[0.0], p, [1.0]]), 4))
    best = [best_thresholds(p[g], answerable[g], candidates) for g in groups.values()]
    shared = reduce(np.intersect1d, best)
    if len(shared):  # thresholds every collection finds best: the middle of them
        return float(np.median(shared))
    return float(np.median([np.median(b) for b in best]))


def _answerable_weights(rows: Sequence[CaseRows]) -> np.ndarray:
    """Each collection weighs the same, and within it answerable and unanswerable questions."""
    w = np.zeros(len(rows))
    for name in {r.collection for r in rows}:
        for label in (True, False):
            mask = np.array([r.collection == name and r.answerable == label for r in rows])
            if mask.any():
                w[mask] = 0.5 / mask.sum()
    return w


def fit_answerable(
    rows: Sequence[CaseRows], x: np.ndarray, features: tuple[str, ...]
) -> LinearModel:
    """The answerability model on `features` (columns of `x`, `QUESTION_FEATURES`), with the
    threshold that serves the training collections best."""
    columns = [QUESTION_FEATURES.index(f) for f in features]
    y = np.array([r.answerable for r in rows])
    model = _logistic(x[:, columns], y.astype(np.float64), _answerable_weights(rows), features)
    p = model.predict(x[:, columns], features)
    threshold = choose_threshold(p, y, [r.collection for r in rows])
    return LinearModel(
        model.features, model.mean, model.scale, model.coef, model.intercept, threshold=threshold
    )


def mean_balanced_accuracy(model: LinearModel, rows: Sequence[CaseRows], x: np.ndarray) -> float:
    """Balanced accuracy at the model's threshold, averaged over the rows' collections."""
    columns = [QUESTION_FEATURES.index(f) for f in model.features]
    p = model.predict(x[:, columns], model.features)
    y = np.array([r.answerable for r in rows])
    names = sorted({r.collection for r in rows})
    return float(
        np.mean(
            [
                balanced_accuracy(p[m], y[m], model.threshold)
                for n in names
                if (m := np.array([r.collection == n for r in rows])).any()
            ]
        )
    )


def choose_features(rows: Sequence[CaseRows]) -> tuple[tuple[str, ...], dict[str, float]]:
    """The candidate feature set with the best mean balanced accuracy when each training
    collection in turn is left out (fitted on the others); its scores by candidate."""
    names = sorted({r.collection for r in rows})
    if len(names) < 2:
        return QUESTION_FEATURES, {}
    folds = []
    for held in names:
        train = [r for r in rows if r.collection != held]
        test = [r for r in rows if r.collection == held]
        units, other = fit_units(train), fit_units(train, CROSSLINGUAL_FEATURES)
        folds.append(
            (train, question_matrix(train, units, other), test, question_matrix(test, units, other))
        )
    scores: dict[str, float] = {}
    for candidate in ANSWERABLE_CANDIDATES:
        values = [
            mean_balanced_accuracy(fit_answerable(train, xt, candidate), test, xs)
            for train, xt, test, xs in folds
        ]
        scores[",".join(candidate)] = round(float(np.mean(values)), 4)
    best = max(ANSWERABLE_CANDIDATES, key=lambda c: scores[",".join(c)])
    return best, scores


def reachable(row: CaseRows) -> bool:
    """Whether a question teaches the decision: unanswerable, or answerable with a unit that
    states the answer among those read. An answerable question whose reading holds no answer is
    a retrieval miss: declining it is all the decision can do, and learning from it would only
    teach that weak readings may be answered."""
    return not row.answerable or (len(row.labels) > 0 and float(row.labels.max()) > 0)


def fit(rows: Sequence[CaseRows]) -> Fitted:
    """Both models on `rows` (the dev halves of the training collections)."""
    units = fit_units(rows)
    crosslingual = fit_units(rows, CROSSLINGUAL_FEATURES)
    decided = [r for r in rows if reachable(r)]
    features, candidates = choose_features(decided)
    answerable = fit_answerable(decided, question_matrix(decided, units, crosslingual), features)
    card = {"answerable_candidates": candidates}
    answerable = LinearModel(
        answerable.features,
        answerable.mean,
        answerable.scale,
        answerable.coef,
        answerable.intercept,
        answerable.threshold,
        card,
    )
    return Fitted(units, answerable, crosslingual)
