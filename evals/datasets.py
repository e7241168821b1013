"""Evaluation datasets: our gold set, or any JSONL file in the same format."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATASETS_DIR = Path(__file__).resolve().parent / "datasets"
GOLD_PATH = DATASETS_DIR / "cluster_gold.jsonl"


@dataclass(frozen=True)
class EvalCase:
    """One question with what a correct answer must find and say."""

    id: str
    question: str
    answerable: bool
    kind: str = "question"
    history: list[dict[str, str]] = field(default_factory=list)
    gold_doc_ids: list[str] = field(default_factory=list)
    gold_sections: list[str] = field(default_factory=list)
    reference_answer: str = ""
    required_facts: list[list[str]] = field(default_factory=list)
    gold_sentences: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, row: dict[str, Any], line: int) -> EvalCase:
        """Validate and build a case from one JSONL row."""
        missing = {"id", "question"} - set(row)
        if missing:
            raise ValueError(f"line {line}: missing fields {sorted(missing)}")
        facts = [[f] if isinstance(f, str) else list(f) for f in row.get("required_facts", [])]
        return cls(
            id=str(row["id"]),
            question=str(row["question"]),
            answerable=bool(row.get("answerable", True)),
            kind=str(row.get("kind", "question")),
            history=list(row.get("history", [])),
            gold_doc_ids=list(row.get("gold_doc_ids", [])),
            gold_sections=list(row.get("gold_sections", [])),
            reference_answer=str(row.get("reference_answer", "")),
            required_facts=facts,
            gold_sentences=list(row.get("gold_sentences", [])),
        )


def load_jsonl(path: Path) -> list[EvalCase]:
    """Cases from a JSONL file (one JSON object per line; blank lines skipped)."""
    cases = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                cases.append(EvalCase.from_json(json.loads(line), number))
    ids = [c.id for c in cases]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{path}: duplicate case ids")
    return cases
