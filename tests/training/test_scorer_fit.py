"""Fitting the scorer on labelled rows, and the labels themselves (unit: no model involved)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from assistant.answer.answerability import QUESTION_FEATURES
from assistant.answer.features import UNIT_FEATURES
from evals.datasets import EvalCase
from training.scorer.collect import CaseRows, load, save, unit_label
from training.scorer.fit import (
    balanced_accuracy,
    choose_threshold,
    fit,
    informative,
    question_matrix,
    unit_scores,
)

pytestmark = pytest.mark.unit


def rows(collection: str, n: int, seed: int, scale: float = 1.0) -> list[CaseRows]:
    """Synthetic questions: the answering unit has a higher cosine (times `scale`, so that the
    collections' score scales differ); unanswerable questions have no such unit."""
    rng = np.random.default_rng(seed)
    out = []
    col = UNIT_FEATURES.index("cosine")
    gap = UNIT_FEATURES.index("cosine_gap")
    for i in range(n):
        answerable = i % 3 != 0
        features = rng.normal(0, 0.05, (12, len(UNIT_FEATURES))).astype(np.float32)
        features[:, col] = scale * (0.3 + rng.normal(0, 0.05, 12))
        labels = np.zeros(12, dtype=np.float32)
        if answerable:
            features[3, col] = scale * 0.7
            labels[3] = 1.0
        features[:, gap] = features[:, col] - features[:, col].max()
        row = CaseRows(
            collection, f"{collection}-{i}", "dev", "single_fact", answerable, features,
            labels, 0.5, 0, 0.0,
        )  # fmt: skip
        out.append(row)
    return out


def test_the_fitted_models_find_the_answer_and_tell_answerable_from_not() -> None:
    train = rows("a", 60, 0) + rows("b", 60, 1, scale=0.6)
    fitted = fit(train)
    test = rows("c", 30, 2, scale=0.8)
    wins = [int(np.argmax(fitted.units.predict(r.features, UNIT_FEATURES))) == 3 for r in test]
    assert np.mean([w for w, r in zip(wins, test, strict=True) if r.answerable]) > 0.9
    p = fitted.answerable.predict(question_matrix(test, fitted.units), fitted.answerable.features)
    answerable = np.array([r.answerable for r in test])
    assert balanced_accuracy(p, answerable, fitted.answerable.threshold) > 0.8


def test_the_threshold_serves_every_collection_alike() -> None:
    p = np.array([0.9, 0.8, 0.2, 0.6, 0.55, 0.1])
    answerable = np.array([True, True, False, True, True, False])
    names = ["a", "a", "a", "b", "b", "b"]
    t = choose_threshold(p, answerable, names)
    assert balanced_accuracy(p[:3], answerable[:3], t) == 1.0
    assert balanced_accuracy(p[3:], answerable[3:], t) == 1.0


def test_a_unit_is_labelled_by_the_share_of_the_facts_it_states() -> None:
    case = EvalCase("c1", "Which two?", True, required_facts=[["Alpha"], ["Beta", "B."]])
    assert unit_label("Alpha and Beta are both.", case) == 1.0
    assert unit_label("Only alpha here.", case) == 0.5
    clap = EvalCase("c2", "Q?", True, gold_sentences=["The river is long and wide."])
    assert unit_label("The river is long and wide.", clap) == 1.0
    assert unit_label("Something else.", clap) == 0.0
    assert unit_label("Alpha", EvalCase("c3", "Q?", False, required_facts=[["Alpha"]])) == 0.0


def test_rows_round_trip_through_the_cache_and_a_changed_key_misses(tmp_path: Path) -> None:
    original = rows("a", 4, 0)
    save(original, tmp_path / "a.npz", "k1")
    loaded = load(tmp_path / "a.npz", "k1")
    assert loaded is not None and [r.case_id for r in loaded] == [r.case_id for r in original]
    assert np.allclose(loaded[1].features, original[1].features)
    assert load(tmp_path / "a.npz", "k2") is None


def test_a_collection_whose_scores_do_not_separate_does_not_move_the_threshold() -> None:
    low = np.linspace(0.1, 0.4, 10)
    p_a = np.concatenate([np.linspace(0.6, 0.9, 10), low])
    p_b = np.concatenate([np.linspace(0.45, 0.9, 10), low])
    # Ranked no better than chance (AUC 0.5), yet its balanced accuracy peaks at 0.6-0.7,
    # where it would decline half of b's answerable questions.
    p_noise = np.concatenate([[0.7] * 5 + [0.05] * 5, [0.6] * 10])
    answerable = np.tile(np.repeat([True, False], 10), 3)
    p = np.concatenate([p_a, p_b, p_noise])
    names = ["a"] * 20 + ["b"] * 20 + ["noise"] * 20
    assert informative(p_a, answerable[:20]) and not informative(p_noise, answerable[40:])
    t = choose_threshold(p, answerable, names)
    assert balanced_accuracy(p_a, answerable[:20], t) == 1.0
    assert balanced_accuracy(p_b, answerable[20:40], t) == 1.0
    # With no informative collection, every collection votes.
    assert 0.6 < choose_threshold(p_noise, answerable[40:], ["noise"] * 20) <= 0.7


def test_collections_that_disagree_get_the_median_of_their_own_best_thresholds() -> None:
    """Three collections whose best thresholds do not overlap, one with many more near-line
    questions: the threshold is the middle collection's own best, not where the steepest
    collection's accuracy pulls the mean."""
    a = (np.linspace(0.8, 0.9, 10), np.linspace(0.6, 0.7, 10))
    b = (np.linspace(0.6, 0.65, 10), np.linspace(0.4, 0.5, 10))
    c = (np.linspace(0.4, 0.4, 10), np.linspace(0.2, 0.3, 10))
    p = np.concatenate([x for pair in (a, b, c) for x in pair])
    answerable = np.tile(np.repeat([True, False], 10), 3)
    names = ["a"] * 20 + ["b"] * 20 + ["c"] * 20
    assert 0.5 < choose_threshold(p, answerable, names) <= 0.6


def test_which_units_were_read_across_languages_round_trips(tmp_path: Path) -> None:
    original = rows("a", 3, 0)
    crossing = np.zeros(12, dtype=bool)
    crossing[[2, 5]] = True
    original[1] = replace(original[1], crossing=crossing)
    save(original, tmp_path / "a.npz", "k1")
    loaded = load(tmp_path / "a.npz", "k1")
    assert loaded is not None
    assert loaded[1].crosses().tolist() == crossing.tolist()
    assert not loaded[0].crosses().any()


def test_the_decision_learns_from_unit_scores_as_the_assistant_gives_them() -> None:
    """Units read across languages are scored by the cross-language model when the assistant
    answers (`assistant.answer.scoring.LearnedModel`), so the decision's inputs are too."""
    fitted = fit(rows("a", 60, 0) + rows("b", 60, 1, scale=0.6))
    assert fitted.crosslingual is not None
    row = rows("c", 2, 2)[1]
    everything = np.ones(12, dtype=bool)
    across = replace(row, crossing=everything)
    expected = fitted.crosslingual.predict(row.features, UNIT_FEATURES)
    assert np.allclose(unit_scores(across, fitted.units, fitted.crosslingual), expected)
    assert np.allclose(
        unit_scores(row, fitted.units, fitted.crosslingual),
        fitted.units.predict(row.features, UNIT_FEATURES),
    )
    best = QUESTION_FEATURES.index("best")
    matrix = question_matrix([across], fitted.units, fitted.crosslingual)
    assert matrix[0, best] == pytest.approx(float(expected.max()))
