"""The reader against ClapNQ's human labels on a half it was not trained on (the test half).

Three figures, each next to the same figure for cosine similarity of the packaged embedder (what
the composer uses without the reader), so a student is kept only when it adds something:
- `unit_auc`: a gold sentence scores above a non-gold unit of the same dataset half;
- `top1`: for answerable questions, the best-scored unit of the passage is a gold sentence;
- `answerable_auc`: the passage's best unit score separates answerable from unanswerable questions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from assistant.answer.reader import CrossEncoderReader, pair_text
from assistant.embedder import Embedder
from evals.metrics import auc
from evals.reader.agreement import HumanPair, human_pairs

Scorer = Callable[[str, Sequence[str], Sequence[str]], np.ndarray]
"""(question, units, units as the reader sees them) → one score per unit."""


def figures(pairs: Sequence[HumanPair], scorer: Scorer) -> dict[str, float]:
    """`unit_auc`, `top1` and `answerable_auc` of one scorer over human-labelled units."""
    by_case: dict[str, list[HumanPair]] = {}
    for pair in pairs:
        by_case.setdefault(pair.case.id, []).append(pair)
    pos: list[float] = []
    neg: list[float] = []
    hits = answerable = 0
    best_yes: list[float] = []
    best_no: list[float] = []
    for group in by_case.values():
        case = group[0].case
        texts = [p.text for p in group]
        shown = [pair_text(p.passage.title, None, p.text) for p in group]
        scores = scorer(case.question, texts, shown)
        for pair, score in zip(group, scores, strict=True):
            (pos if pair.answers else neg).append(float(score))
        (best_yes if case.answerable else best_no).append(float(scores.max()))
        if case.answerable and any(p.answers for p in group):
            answerable += 1
            hits += int(group[int(np.argmax(scores))].answers)
    return {
        "questions": len(by_case),
        "unit_auc": round(auc(pos, neg), 4),
        "top1": round(hits / answerable, 4) if answerable else 0.0,
        "answerable_auc": round(auc(best_yes, best_no), 4),
    }


def cosine_scorer(embedder: Embedder) -> Scorer:
    """Cosine similarity of question and unit vectors (the composer's signal without a reader)."""

    def score(question: str, texts: Sequence[str], _: Sequence[str]) -> np.ndarray:
        vectors = embedder.embed([question, *texts])
        return np.asarray(vectors[1:] @ vectors[0])

    return score


def reader_scorer(reader: CrossEncoderReader) -> Scorer:
    """The reader's P(answers) for the units as it sees them in the product."""

    def score(question: str, _: Sequence[str], shown: Sequence[str]) -> np.ndarray:
        return reader.scores(question, list(shown))

    return score


def heldout(reader: CrossEncoderReader, embedder: Embedder, half: str = "test") -> dict[str, Any]:
    """The reader's and cosine's figures on ClapNQ's `half` (empty when ClapNQ is absent)."""
    pairs = human_pairs(half=half)
    if not pairs:
        return {}
    return {
        "half": f"clapnq {half}",
        "reader": figures(pairs, reader_scorer(reader)),
        "cosine": figures(pairs, cosine_scorer(embedder)),
    }
