"""Choose the refusal threshold from data: maximise balanced accuracy on a dev split.

Each case's evidence score is what the composer compares to the threshold. Cases are split into dev
and test deterministically by a hash of their id; the threshold is chosen on dev only and reported
on both, so a single question can never tune it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
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
