"""Decide: do the read units answer the question, or does the assistant decline?

One stage (`assistant.stages.Answerability`) with two rules (`answer.scorer`):
- `LearnedAnswerability` (default): a logistic regression over features of the whole reading
  (the best unit's learned score and its margin over the rest, the best cosine and reader score,
  how much of the question the best unit and passages cover by the store's own IDF, terms the
  documents never use, whether the value asked for is found). Its P(answerable) is comparable
  across collections because its inputs are, mostly, relative; its threshold is chosen leaving
  one collection out (card: `assistant/models/scorer/README.md`);
- `ThresholdAnswerability`: the former absolute rule, best blended score minus the coverage-gap
  and unknown-term penalties against `answer.refusal_threshold`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from assistant.answer.followup import named
from assistant.answer.reading import Reading
from assistant.answer.scoring import BlendModel, LinearModel
from assistant.settings import AnswerSettings
from assistant.types import ScoredChunk

QUESTION_FEATURES: tuple[str, ...] = (
    "best",
    "blend_best",
    "best_gap",
    "second",
    "cosine_max",
    "reader_max",
    "terms_best",
    "terms_context_best",
    "terms_max",
    "coverage_gap",
    "unknown",
    "asks_value",
    "value_found",
    "passage_top",
    "names_missing",
)
UNKNOWN_TERMS_COUNTED = 2  # at most this many unknown question terms lower the evidence
VALUE_POOL = 5  # the asked-for value counts as found when one of this many best units holds it
BLEND = BlendModel(reader_weight=0.35)
"""`blend_best` is the best unit under the former hand blend (at its shipped reader weight): a
fixed combination of cosine, passage score and reader score, kept as one summary feature."""


@dataclass(frozen=True)
class Decision:
    """Whether to answer, with the evidence and the inputs it was decided on."""

    answerable: bool
    evidence: float
    """P(answerable) under the learned rule; the penalised best score under the threshold rule."""
    threshold: float
    rule: str
    inputs: dict[str, float] = field(default_factory=dict)

    def explain(self) -> dict[str, object]:
        """The decision for the explain trace."""
        return {
            "rule": self.rule,
            "answerable": self.answerable,
            "evidence": round(self.evidence, 4),
            "threshold": round(self.threshold, 4),
            "inputs": {k: round(v, 4) for k, v in self.inputs.items()},
        }


_YEAR = re.compile(r"\b(?:1[5-9]|20)\d\d\b")
_TOKEN = re.compile(r"[\w’'-]+")
NAME_PASSAGES = 3  # names are looked for in this many best passages


def names_missing(question: str, hits: Sequence[ScoredChunk]) -> float:
    """Share of what the question names (capitalised names, quoted terms, years) that the best
    passages (text, title, heading) never mention: an answer about something else."""
    names = [*named(question), *_YEAR.findall(question)]
    if not names:
        return 0.0
    text = " ".join(
        f"{h.chunk.title} {h.chunk.section or ''} {h.chunk.text}" for h in hits[:NAME_PASSAGES]
    )
    present = {t.lower() for t in _TOKEN.findall(text)}
    missing = sum(1 for n in names if not all(t.lower() in present for t in _TOKEN.findall(n)))
    return missing / len(names)


def question_features(
    reading: Reading, unknown_terms: Sequence[str], coverage_gap: float
) -> dict[str, float]:
    """The reading summarised for the decision (`QUESTION_FEATURES`)."""
    top = max((h.score for h in reading.hits), default=0.0)
    return summarise(
        reading.scores, reading.features, reading.feature_names, top, len(unknown_terms),
        coverage_gap, names_missing(reading.question, reading.hits),
    )  # fmt: skip


def part_inputs(
    reading: Reading, unknown_terms: Sequence[str], coverage_gap: float
) -> list[dict[str, float]]:
    """`question_features` of each part of the reading (`Reading.parts`), read on its own."""
    top = max((h.score for h in reading.hits), default=0.0)
    return [
        summarise(
            scores,
            features,
            reading.feature_names,
            top,
            len(unknown_terms),
            coverage_gap,
            names_missing(part, reading.hits),
        )
        for (part, scores), features in zip(reading.parts, reading.part_features, strict=True)
    ]


def summarise(
    scores: np.ndarray,
    features: np.ndarray,
    names: tuple[str, ...],
    passage_top: float,
    unknown_terms: int,
    coverage_gap: float,
    missing_names: float = 0.0,
) -> dict[str, float]:
    """`QUESTION_FEATURES` from the units' scores and features (one row per unit, columns
    `names`), the best passage's score, the number of unknown terms and the coverage gap."""
    unknown = float(min(unknown_terms, UNKNOWN_TERMS_COUNTED))
    if len(scores) == 0:
        empty = dict.fromkeys(QUESTION_FEATURES, 0.0)
        return {
            **empty, "coverage_gap": coverage_gap, "unknown": unknown,
            "names_missing": missing_names,
        }  # fmt: skip
    order = np.argsort(-scores, kind="stable")
    best = int(order[0])
    top = scores[order[:10]]

    def column(name: str) -> np.ndarray:
        return features[:, names.index(name)]

    terms = column("terms")
    return {
        "best": float(scores[best]),
        "blend_best": float(BLEND.score(features, names).max()),
        "best_gap": float(scores[best] - top.mean()),
        "second": float(scores[order[1]]) if len(order) > 1 else 0.0,
        "cosine_max": float(column("cosine").max()),
        "reader_max": float(column("reader").max()),
        "terms_best": float(terms[best]),
        "terms_context_best": float(column("terms_context")[best]),
        "terms_max": float(terms.max()),
        "coverage_gap": float(coverage_gap),
        "unknown": unknown,
        "asks_value": float(column("asks_value")[best]),
        "value_found": float(column("gives_value")[order[:VALUE_POOL]].max()),
        "passage_top": float(passage_top),
        "names_missing": float(missing_names),
    }


class ThresholdAnswerability:
    """The absolute rule: best blended score − penalties ≥ `refusal_threshold` (the blend of the
    units' features, whichever scorer ranked them)."""

    def __init__(self, settings: AnswerSettings) -> None:
        self._settings = settings

    def warm_up(self) -> None:
        """Nothing to load."""

    def decide(
        self, reading: Reading, unknown_terms: Sequence[str] = (), coverage_gap: float = 0.0
    ) -> Decision:
        """Answer when the penalised best score reaches the threshold."""
        inputs = question_features(reading, unknown_terms, coverage_gap)
        s = self._settings
        units = bool(reading.units)
        # The best unit under the hand blend (its weights from `reader_weight`), whichever
        # scorer ranked the units.
        blend = BlendModel(s.reader_weight)
        best = float(blend.score(reading.features, reading.feature_names).max()) if units else 0.0
        evidence = (
            best - s.unknown_term_penalty * inputs["unknown"] - s.coverage_gap_weight * coverage_gap
        )
        answerable = units and evidence >= s.refusal_threshold
        return Decision(answerable, evidence, s.refusal_threshold, "threshold", inputs)


class LearnedAnswerability:
    """P(answerable) from the reading's summary, against the model's own threshold (or
    `answer.answerable_threshold` when set)."""

    def __init__(self, path: Path, settings: AnswerSettings) -> None:
        self._path = path
        self._settings = settings

    @cached_property
    def model(self) -> LinearModel:
        """The fitted model (read once)."""
        return LinearModel.load(self._path)

    def warm_up(self) -> None:
        """Read the model now."""
        _ = self.model

    def decide(
        self, reading: Reading, unknown_terms: Sequence[str] = (), coverage_gap: float = 0.0
    ) -> Decision:
        """Answer when P(answerable) reaches the threshold."""
        inputs = question_features(reading, unknown_terms, coverage_gap)
        model = self.model
        row = np.array([[inputs[f] for f in QUESTION_FEATURES]])
        p = float(model.predict(row, QUESTION_FEATURES)[0])
        threshold = self._settings.answerable_threshold
        if threshold is None:
            threshold = model.threshold
        if reading.units and p < threshold and reading.parts:
            # A question of several parts (two sides of a comparison, two coordinated
            # questions) whose every part is answerable is answerable, though no one unit
            # answers the whole: its evidence is the weakest part's.
            parts = part_inputs(reading, unknown_terms, coverage_gap)
            rows = np.array([[part[f] for f in QUESTION_FEATURES] for part in parts])
            each = [float(v) for v in model.predict(rows, QUESTION_FEATURES)]
            inputs = {**inputs, "parts_min": min(each)}
            if min(each) >= threshold:
                return Decision(True, min(each), threshold, "learned, per part", inputs)
        return Decision(bool(reading.units) and p >= threshold, p, threshold, "learned", inputs)
