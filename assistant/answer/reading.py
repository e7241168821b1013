"""What reading produces: every candidate answer unit of the ranked passages, with its features
and its score (`Reading`), and the units themselves (`Unit`).

A unit is a sentence, a list item, a whole list (a lead-in with its items, or a sentence that
enumerates after a colon) or a table row. Every unit competes for every question: the
question's shape enters the score as features (`assistant.answer.features`), never as a gate
that removes a kind of unit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.text import DO, DONT, chunk_units
from assistant.types import ScoredChunk

_LABEL = re.compile(r"^\W*(?:don[’']?t|do not|do(?: instead)?)\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class Unit:
    """One candidate answer unit and the passage it comes from."""

    text: str
    hit: ScoredChunk
    index: int
    is_item: bool
    line: int = 0
    is_list: bool = False
    items: tuple[int, ...] = ()
    is_row: bool = False

    @property
    def kind(self) -> str:
        """`sentence`, `item`, `list` or `row`."""
        if self.is_row:
            return "row"
        if self.is_list:
            return "list"
        return "item" if self.is_item else "sentence"

    @property
    def advice(self) -> str | None:
        """Which half of a Do/Don't pair this unit is ("dont" or "do"), if any.

        A list item opening with "Don't"/"Do" is one; so is any unit with a labelled opening
        ("Don't:", "Do instead:"), as PDF text loses list bullets.
        """
        labelled = _LABEL.match(self.text)
        if labelled:
            return "dont" if DONT.match(labelled.group(0)) else "do"
        if not self.is_item:
            return None
        if DONT.match(self.text):
            return "dont"
        return "do" if DO.match(self.text) else None


def units_of(hits: Sequence[ScoredChunk]) -> list[Unit]:
    """The answer units of `hits`, in rank order, each sentence once (chunks overlap); tables of
    contents give none (they list headings and answer nothing)."""
    seen: set[str] = set()
    units: list[Unit] = []
    for hit in hits:
        if hit.chunk.navigation:
            continue
        for unit in chunk_units(hit.chunk.text):
            key = unit.text.lower()
            if key not in seen:
                seen.add(key)
                units.append(
                    Unit(
                        unit.text,
                        hit,
                        unit.index,
                        unit.is_item,
                        unit.line,
                        unit.is_list,
                        unit.items,
                        unit.is_row,
                    )
                )
    return units


@dataclass(frozen=True)
class Reading:
    """The read candidates of one question: units, their vectors, features and scores."""

    question: str
    hits: list[ScoredChunk]
    units: list[Unit]
    vectors: np.ndarray
    """The units' embeddings (one row per unit; used against repeating a sentence)."""
    features: np.ndarray
    """One row per unit, columns `feature_names`."""
    feature_names: tuple[str, ...]
    scores: np.ndarray
    """The unit scorer's score per unit (higher answers better; a probability when learned)."""
    scorer: str
    """Which scorer gave `scores` (`learned` or `blend`)."""
    weights: dict[str, float] = field(default_factory=dict)
    """The question's content terms, weighted by the store's IDF."""
    language: str = "en"
    """The question's language (ISO 639-1): answers' fixed texts are worded in it."""
    written: str = "en"
    """The language the question is written in: its shape (a yes/no question, a plural, a
    value asked) is read only in English, whose grammar the shape patterns are
    (`assistant.answer.features.english_grammar`)."""
    crossing: np.ndarray | None = None
    """Per unit: whether it was scored across languages (question and unit not both English;
    `assistant.answer.crosslingual`). Term overlap says nothing about those units."""

    parts: tuple[tuple[str, np.ndarray], ...] = ()
    """For a question that coordinates several (`assistant.answer.answer_types.question_parts`),
    each part with every unit's score for that part alone: each part gets its own best unit.
    A comparison's sides are its parts (`answer_types.comparison_parts`)."""
    part_features: tuple[np.ndarray, ...] = ()
    """Per part, its units' features (rows as `features`): each part can be decided on."""

    def crosses(self, i: int) -> bool:
        """Whether unit `i` was scored across languages."""
        return self.crossing is not None and bool(self.crossing[i])

    def feature(self, name: str) -> np.ndarray:
        """One feature's column."""
        return self.features[:, self.feature_names.index(name)]

    @property
    def order(self) -> list[int]:
        """Unit indexes, best-scoring first (ties: reading order)."""
        return [int(i) for i in np.argsort(-self.scores, kind="stable")]

    def explain(self, limit: int = 8) -> list[dict[str, object]]:
        """The `limit` best units with their features and scores, for the explain trace."""
        rows: list[dict[str, object]] = []
        for i in self.order[:limit]:
            unit = self.units[i]
            rows.append(
                {
                    "text": unit.text,
                    "kind": unit.kind,
                    "doc_id": unit.hit.chunk.doc_id,
                    "chunk_id": unit.hit.chunk.id,
                    "passage_rank": unit.hit.rank,
                    "score": round(float(self.scores[i]), 4),
                    "features": {
                        name: round(float(v), 4)
                        for name, v in zip(self.feature_names, self.features[i], strict=True)
                    },
                }
            )
        return rows
