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
from training.reader.agreement import HumanPair, human_pairs
from training.reader.sources import text_key

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


def ceiling(
    rows: Sequence[dict[str, Any]],
    embedder: Embedder,
    pairs: Sequence[HumanPair] | None = None,
) -> dict[str, Any]:
    """The teacher's judgements (`teacher_agreement.jsonl` rows of one prompt) against ClapNQ's
    human labels, next to cosine similarity on exactly the same units.

    A student distilled from the teacher can at best match the teacher: when cosine already
    scores these units better, distillation from this teacher cannot give a reader that helps.
    `pairs` defaults to ClapNQ's dev-half units (the agreement rows are judged on those).
    """
    judged = {(row["case"], row["candidate"]): float(row["p_yes"]) for row in rows}
    every = human_pairs(half="dev") if pairs is None else pairs
    pairs = [p for p in every if (p.case.id, text_key(p.text)) in judged]
    if not pairs:
        return {}
    by_text = {(p.case.question, p.text): judged[(p.case.id, text_key(p.text))] for p in pairs}

    def teacher(question: str, texts: Sequence[str], _: Sequence[str]) -> np.ndarray:
        return np.array([by_text[(question, t)] for t in texts])

    return {
        "half": "clapnq dev (the units the teacher judged)",
        "teacher": figures(pairs, teacher),
        "cosine": figures(pairs, cosine_scorer(embedder)),
    }
