"""Reading: every candidate unit of the ranked passages scored for how well it answers.

`UnitReader` is the stage (`assistant.stages.UnitScorer`). It embeds nothing it can look up,
computes each unit's features (`assistant.answer.features`) and scores them with one of two
models (`answer.scorer`):
- `learned` (default): a logistic regression fitted on the labelled dev halves of every
  collection we have (`make train-scorer`; card in `assistant/models/scorer/README.md`), whose
  score is P(the unit states what the question asks);
- `blend`: the former hand-weighted blend of the unit's cosine, its passage's score and the
  reader's cosine, kept to measure the learned model against.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.answer.answer_types import comparison_parts, question_parts
from assistant.answer.crosslingual import ENGLISH, CrossLingual, crossing
from assistant.answer.features import UNIT_FEATURES, TermIndex, unit_features
from assistant.answer.reader import Reader
from assistant.answer.reading import Reading, Unit, units_of
from assistant.answer.units import UnitVectorLookup, unit_matrix
from assistant.embedder import Embedder
from assistant.errors import ModelLoadError
from assistant.settings import PROJECT_ROOT
from assistant.types import ScoredChunk

log = logging.getLogger(__name__)

SCORER_DIR = PROJECT_ROOT / "assistant" / "models" / "scorer"
UNIT_MODEL = "unit.json"
ANSWERABLE_MODEL = "answerable.json"
CROSSLINGUAL_UNIT_MODEL = "unit_crosslingual.json"
SENTENCE_WEIGHT = 0.65
"""The blend's weight of the unit's own cosine against its passage's score."""


@dataclass(frozen=True)
class LinearModel:
    """A logistic regression over named features, standardised: P = σ(w·(x − μ)/σ + b).

    Stored as JSON (a few hundred bytes): readable, diffable, no pickle. `threshold` is the
    decision threshold chosen with it (answerability), `card` what it was fitted on and scored.
    """

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float = 0.5
    card: dict[str, Any] | None = None

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        """The model in `path` (written by `save`)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelLoadError(
                f"scorer model {path} cannot be read ({exc}); rebuild it with `make train-scorer`"
            ) from exc
        return cls(
            features=tuple(data["features"]),
            mean=np.array(data["mean"], dtype=np.float64),
            scale=np.array(data["scale"], dtype=np.float64),
            coef=np.array(data["coef"], dtype=np.float64),
            intercept=float(data["intercept"]),
            threshold=float(data.get("threshold", 0.5)),
            card=data.get("card"),
        )

    def save(self, path: Path) -> None:
        """Write the model as JSON."""
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "features": list(self.features),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "coef": [round(float(v), 6) for v in self.coef],
            "intercept": round(self.intercept, 6),
            "threshold": round(self.threshold, 6),
            "card": self.card or {},
        }
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    def predict(self, matrix: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
        """P(positive) for each row of `matrix`, whose columns are `names`."""
        if len(matrix) == 0:
            return np.zeros(0)
        columns = [names.index(f) for f in self.features]
        z = (matrix[:, columns].astype(np.float64) - self.mean) / self.scale
        return np.asarray(1.0 / (1.0 + np.exp(-(z @ self.coef + self.intercept))), dtype=np.float64)

    def contributions(self, row: np.ndarray, names: tuple[str, ...]) -> dict[str, float]:
        """Each feature's share of the log-odds of one row (for the explain trace)."""
        columns = [names.index(f) for f in self.features]
        z = (row[columns].astype(np.float64) - self.mean) / self.scale
        return {f: round(float(v), 4) for f, v in zip(self.features, z * self.coef, strict=True)}


class UnitModel(Protocol):
    """Scores the rows of a feature matrix (higher: the unit answers better)."""

    name: str

    def score(
        self, features: np.ndarray, names: tuple[str, ...], crossing: np.ndarray | None = None
    ) -> np.ndarray: ...


class BlendModel:
    """The hand-weighted blend: 0.65 × cosine + 0.35 × passage score, then mixed with the
    reader's cosine at `reader_weight`."""

    name = "blend"

    def __init__(self, reader_weight: float) -> None:
        self._reader_weight = reader_weight

    def score(
        self, features: np.ndarray, names: tuple[str, ...], crossing: np.ndarray | None = None
    ) -> np.ndarray:
        """The blend of each row (the same rule across languages)."""
        col = {n: i for i, n in enumerate(names)}
        blend = (
            SENTENCE_WEIGHT * features[:, col["cosine"]]
            + (1 - SENTENCE_WEIGHT) * features[:, col["passage"]]
        )
        w = self._reader_weight
        return ((1 - w) * blend + w * features[:, col["reader"]]).astype(np.float64)


class LearnedModel:
    """The learned unit scorer: P(the unit states the answer), loaded on first use."""

    name = "learned"

    def __init__(self, path: Path) -> None:
        self._path = path

    @cached_property
    def model(self) -> LinearModel:
        """The fitted model (read from its JSON file once)."""
        return LinearModel.load(self._path)

    @cached_property
    def crosslingual(self) -> LinearModel | None:
        """The model for units read across languages (no lexical features), when shipped."""
        path = self._path.with_name(CROSSLINGUAL_UNIT_MODEL)
        return LinearModel.load(path) if path.is_file() else None

    def score(
        self, features: np.ndarray, names: tuple[str, ...], crossing: np.ndarray | None = None
    ) -> np.ndarray:
        """P(answers) of each row; rows marked in `crossing` by the cross-language model."""
        return score_units(self.model, self.crosslingual, features, names, crossing)


def score_units(
    model: LinearModel,
    crosslingual: LinearModel | None,
    features: np.ndarray,
    names: tuple[str, ...],
    crossing: np.ndarray | None = None,
) -> np.ndarray:
    """P(answers) of each row under `model`; rows marked in `crossing` under `crosslingual`
    (when there is one). The assistant scores units so, and the training of answerability
    scores its rows the same way (`training.scorer.fit.unit_scores`)."""
    scores = model.predict(features, names)
    if crossing is not None and crosslingual is not None and crossing.any():
        scores[crossing] = crosslingual.predict(features[crossing], names)
    return scores


class UnitReader:
    """The read stage: the units of the ranked passages, featured and scored.

    Unit vectors come from `unit_vectors` (stored at ingest) when given; units it lacks are
    embedded on the spot. The reader's cosine is a feature when a reader is given.
    """

    def __init__(
        self,
        embedder: Embedder,
        model: UnitModel,
        unit_vectors: UnitVectorLookup | None = None,
        terms: TermIndex | None = None,
        reader: Reader | None = None,
        crosslingual: CrossLingual | None = None,
    ) -> None:
        self._embedder = embedder
        self.model = model
        self._lookup = unit_vectors
        self._terms = terms
        self._reader = reader
        self._crosslingual = crosslingual

    def warm_up(self) -> None:
        """Load the embedding model, the reader and the scorer now."""
        self._embedder.warm_up()
        if self._reader is not None:
            self._reader.warm_up()
        if isinstance(self.model, LearnedModel):
            _ = self.model.model
        if self._crosslingual is not None:
            self._crosslingual.warm_up()

    def read(
        self,
        question: str,
        question_vector: np.ndarray,
        hits: list[ScoredChunk],
        language: str = ENGLISH,
    ) -> Reading:
        """Every unit of `hits` with its features and score (`language`: the question's; pairs
        not English on both sides are scored across languages, `assistant.answer.crosslingual`)."""
        if self._crosslingual is not None:
            hits = self._crosslingual.hits(question, language, hits)
        units = units_of(hits)
        weights = self._terms.question_terms(question) if self._terms is not None else {}
        if not units:
            empty = np.zeros((0, len(UNIT_FEATURES)), dtype=np.float32)
            return Reading(
                question, hits, [], empty, empty, UNIT_FEATURES, np.zeros(0), self.model.name,
                language=language, written=language,
            )  # fmt: skip
        vectors = self._vectors(units)
        cross = crossing(language, [u.hit for u in units])
        features, scores = self._score(
            question, question_vector, units, vectors, cross, weights, language
        )
        # Each question a question coordinates ("…, and in which years?"), and each side of a
        # comparison, scored on its own.
        parts = question_parts(question) if language == ENGLISH else [question]
        if len(parts) == 1 and language == ENGLISH:
            parts = comparison_parts(question) or parts
        scored: list[tuple[str, np.ndarray]] = []
        part_features: list[np.ndarray] = []
        if len(parts) > 1:
            for part, part_vector in zip(parts, self._embedder.embed(parts), strict=True):
                part_weights = self._terms.question_terms(part) if self._terms else {}
                part_rows, part_scores = self._score(
                    part, part_vector, units, vectors, cross, part_weights, language
                )
                scored.append((part, part_scores))
                part_features.append(part_rows)
        return Reading(
            question, hits, units, vectors, features, UNIT_FEATURES, scores, self.model.name,
            weights, language, language, cross, tuple(scored), tuple(part_features),
        )  # fmt: skip

    def _score(
        self,
        question: str,
        question_vector: np.ndarray,
        units: list[Unit],
        vectors: np.ndarray,
        cross: np.ndarray,
        weights: dict[str, float],
        language: str,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The units' features and scores for `question`."""
        cosines = vectors @ question_vector
        read = self._read(question, units)
        if self._crosslingual is not None:
            mapped = self._crosslingual.units(
                question, [(u.hit.chunk.id, u.index, u.text) for u in units], cross
            )
            if mapped:
                cosines = cosines.copy()
                cosines[cross] = mapped["cosine"]
                if read is not None:
                    read = read.copy()
                    read[cross] = mapped["reader"]
        features = unit_features(question, units, cosines, read, self._terms, weights, language)
        return features, self.model.score(features, UNIT_FEATURES, cross)

    def contributions(self, row: np.ndarray) -> dict[str, float] | None:
        """Each feature's share of a unit's log-odds under the learned model (else None)."""
        if isinstance(self.model, LearnedModel):
            return self.model.model.contributions(row, UNIT_FEATURES)
        return None

    def _vectors(self, units: list[Unit]) -> np.ndarray:
        keys = [(u.hit.chunk.id, u.index, u.text) for u in units]
        return unit_matrix(self._embedder, self._lookup, keys)

    def _read(self, question: str, units: list[Unit]) -> np.ndarray | None:
        """The reader's score of each unit, the unit shown as that reader was trained on it."""
        if self._reader is None:
            return None
        return self._reader.scores(
            question,
            [self._reader.shown(u.hit.chunk.title, u.hit.chunk.section, u.text) for u in units],
            keys=[(u.hit.chunk.id, u.index) for u in units],
        )
