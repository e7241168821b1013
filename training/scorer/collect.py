"""Labelled features: every candidate unit of every question, as the assistant reads it.

A unit's label is the share of the case's required facts it states (any alternative, as the
fact-hit metric matches them), or, for ClapNQ, whether it covers a gold sentence; every unit of
an unanswerable question is a negative. The rows are cached under DATA_DIR/training/scorer,
keyed by the collection, so fitting and leave-one-out runs do not read the documents again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.answer.answerability import names_missing
from assistant.answer.features import UNIT_FEATURES
from assistant.container import Container
from assistant.pipeline import Turn
from evals.datasets import EvalCase
from evals.metrics import fact_hit_rate, sentence_recall
from evals.splits import half_of


@dataclass(frozen=True)
class CaseRows:
    """One question's read units: features, labels, and the inputs of the decision."""

    collection: str
    case_id: str
    half: str
    kind: str
    answerable: bool
    features: np.ndarray
    labels: np.ndarray
    passage_top: float
    unknown: int
    gap: float
    names_missing: float = 0.0
    crossing: np.ndarray | None = None
    """Per unit: whether it was read across languages (scored by the cross-language model
    when the assistant answers; `assistant.answer.crosslingual`)."""

    def crosses(self) -> np.ndarray:
        """`crossing`, all False when not recorded."""
        if self.crossing is None:
            return np.zeros(len(self.labels), dtype=bool)
        return self.crossing


def unit_label(text: str, case: EvalCase) -> float:
    """How much of what `case` asks the unit `text` states (0-1)."""
    if not case.answerable:
        return 0.0
    if case.required_facts:
        return fact_hit_rate(text, case.required_facts)
    if case.gold_sentences:
        return 1.0 if sentence_recall(text, case.gold_sentences) > 0 else 0.0
    return 0.0


def collect_case(container: Container, collection: str, case: EvalCase) -> CaseRows:
    """The read units of one case, labelled."""
    history = [Turn(str(m["role"]), str(m["content"])) for m in case.history]
    read = container.assistant.read(case.question, history)
    reading = read.reading
    labels = np.array([unit_label(u.text, case) for u in reading.units], dtype=np.float32)
    return CaseRows(
        collection=collection,
        case_id=case.id,
        half=half_of(case.id),
        kind=case.kind,
        answerable=case.answerable,
        features=reading.features.astype(np.float32),
        labels=labels,
        passage_top=max((h.score for h in reading.hits), default=0.0),
        unknown=len(read.unknown),
        gap=read.gap,
        names_missing=names_missing(reading.question, reading.hits),
        crossing=None if reading.crossing is None else reading.crossing.astype(bool),
    )


ROWS_VERSION = 2
"""Bumped when what a row records changes (2: each unit's `crossing`)."""


def fingerprint(cases: list[EvalCase]) -> str:
    """What the cached rows depend on: the row format, the features' names and the cases."""
    data = json.dumps(
        [
            ROWS_VERSION,
            list(UNIT_FEATURES),
            [(c.id, c.question, c.required_facts) for c in cases],
        ],
        sort_keys=True,
    )
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def save(rows: list[CaseRows], path: Path, key: str) -> None:
    """Write `rows` as one .npz file (features stacked, offsets per case)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    offsets = np.cumsum([0, *[len(r.labels) for r in rows]])
    meta = [
        {
            "collection": r.collection,
            "case_id": r.case_id,
            "half": r.half,
            "kind": r.kind,
            "answerable": r.answerable,
            "passage_top": r.passage_top,
            "unknown": r.unknown,
            "gap": r.gap,
            "names_missing": r.names_missing,
        }
        for r in rows
    ]
    features = (
        np.vstack([r.features for r in rows])
        if rows
        else np.zeros((0, len(UNIT_FEATURES)), dtype=np.float32)
    )
    labels = np.concatenate([r.labels for r in rows]) if rows else np.zeros(0, dtype=np.float32)
    crossing = np.concatenate([r.crosses() for r in rows]) if rows else np.zeros(0, dtype=bool)
    np.savez_compressed(
        path,
        features=features,
        labels=labels,
        crossing=crossing,
        offsets=offsets,
        meta=json.dumps(meta),
        key=key,
    )


def load(path: Path, key: str) -> list[CaseRows] | None:
    """The rows saved in `path` under `key`, or None when absent or stale."""
    if not path.is_file():
        return None
    data = np.load(path)
    if str(data["key"]) != key:
        return None
    offsets = data["offsets"]
    rows = []
    for i, m in enumerate(json.loads(str(data["meta"]))):
        a, b = int(offsets[i]), int(offsets[i + 1])
        rows.append(
            CaseRows(
                features=data["features"][a:b],
                labels=data["labels"][a:b],
                crossing=data["crossing"][a:b] if "crossing" in data.files else None,
                **m,
            )
        )
    return rows


def collect(
    container: Container, collection: str, cases: list[EvalCase], path: Path, fresh: bool = False
) -> list[CaseRows]:
    """The labelled rows of every case, cached in `path` (read again when `fresh`, or when the
    cases or the feature set changed; a changed store or reader needs `fresh`)."""
    key = fingerprint(cases)
    cached = None if fresh else load(path, key)
    if cached is not None:
        return cached
    rows = [collect_case(container, collection, case) for case in cases]
    save(rows, path, key)
    return rows
