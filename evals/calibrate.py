"""Choose the refusal rule from data: maximise balanced accuracy on a dev split.

The rule is `evidence - weight × coverage_gap < threshold`: the evidence score (question-sentence
similarity) lowered by the share of question terms the best passages lack. Both the weight and the
threshold are chosen here. Cases are split into dev
and test deterministically by a hash of their id; the threshold is chosen on dev only and reported
on both, so a single question can never tune it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

from evals.runner import CaseResult


def is_dev(case_id: str) -> bool:
    """Half of the cases, chosen by a hash of the id (stable across runs and machines)."""
    return hashlib.sha256(case_id.encode()).digest()[0] % 2 == 0


@dataclass(frozen=True)
class Operating:
    """How a threshold performs on a set of cases."""

    threshold: float
    refusal_accuracy: float  # unanswerable cases declined
    answer_rate: float  # answerable cases answered
    balanced_accuracy: float
    cases: int


def operating_point(results: Sequence[CaseResult], threshold: float) -> Operating:
    """Refusal accuracy, answer rate and their mean at `threshold`."""
    pos = [r.evidence_score for r in results if not r.answerable]
    neg = [r.evidence_score for r in results if r.answerable]
    refusal = sum(s < threshold for s in pos) / len(pos) if pos else 0.0
    answered = sum(s >= threshold for s in neg) / len(neg) if neg else 0.0
    return Operating(round(threshold, 4), refusal, answered, (refusal + answered) / 2, len(results))


def choose_threshold(results: Sequence[CaseResult]) -> Operating:
    """The threshold with the best balanced accuracy (ties: the lower one, which answers more)."""
    scores = sorted({r.evidence_score for r in results})
    midpoints = [(a + b) / 2 for a, b in pairwise(scores)]
    candidates = [scores[0] - 1e-4, *midpoints, scores[-1] + 1e-4]
    best = max(
        (operating_point(results, t) for t in candidates),
        key=lambda op: (round(op.balanced_accuracy, 9), -op.threshold),
    )
    return best


def curve(results: Sequence[CaseResult], steps: int = 41) -> list[Operating]:
    """Operating points over evenly spaced thresholds (precision/recall of refusing)."""
    return [operating_point(results, i / (steps - 1)) for i in range(steps)]


GAP_WEIGHTS = tuple(round(0.1 * i, 1) for i in range(11))


def rescored(results: Sequence[CaseResult], current: float, weight: float) -> list[CaseResult]:
    """`results` with evidence scores as they would be with coverage-gap weight `weight`.

    `current` is the weight the results were produced with.
    """
    return [
        replace(r, evidence_score=r.evidence_score + (current - weight) * r.coverage_gap)
        for r in results
    ]


TIE = 0.002  # rules this close in mean balanced accuracy refuse equally well


def choose_rule(
    groups: Sequence[Sequence[CaseResult]], current: float
) -> tuple[float, float, list[Operating]]:
    """The coverage-gap weight and threshold with the best balanced accuracy, averaged over
    `groups` (one per dataset, so 600 ClapNQ cases do not drown 87 cluster-policy cases).

    Returns (weight, threshold, the operating point in each group). Rules within `TIE` of the
    best count as equal, and of those the one that answers most (mean answer rate) wins: with
    about ten unanswerable cases in the gold dev half, one case moves its balanced accuracy by
    0.05, and a higher threshold that catches it while declining many more ClapNQ answers would
    otherwise win by a hair. Further ties go to the smaller weight, then the lower threshold.
    """
    rules: list[tuple[float, float, float, list[Operating]]] = []
    for weight in GAP_WEIGHTS:
        scored = [rescored(group, current, weight) for group in groups]
        values = sorted({r.evidence_score for group in scored for r in group})
        candidates = [values[0] - 1e-4, *((a + b) / 2 for a, b in pairwise(values))]
        for threshold in candidates:
            ops = [operating_point(group, threshold) for group in scored]
            mean = sum(op.balanced_accuracy for op in ops) / len(ops)
            rules.append((mean, weight, threshold, ops))
    best = max(rule[0] for rule in rules)
    _, weight, threshold, ops = max(
        (rule for rule in rules if rule[0] >= best - TIE),
        key=lambda rule: (sum(op.answer_rate for op in rule[3]), -rule[1], -rule[2]),
    )
    return weight, round(threshold, 4), ops
