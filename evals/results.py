"""What an evaluation produces per case: the answer and its scores (`CaseResult`).

Its own module so that the runner, the report and calibration all read it without importing one
another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KS = (1, 3, 5, 10)
"""The cut-offs of recall@k."""


@dataclass
class CaseResult:
    """One case's answer and scores."""

    id: str
    kind: str
    question: str
    answerable: bool
    answer: str
    refused: bool
    evidence_score: float
    citations: list[dict[str, Any]]
    retrieved_doc_ids: list[str]
    latency_ms: float
    metrics: dict[str, float] = field(default_factory=dict)
    judge_calls: int = 0
    unknown_terms: list[str] = field(default_factory=list)
    coverage_gap: float = 0.0
    coverage: str = "full"
    """The answer's coverage: `full`, `partial` (says the asked-for value is absent) or `none`."""
    flagged: list[str] = field(default_factory=list)
    """Sentences verification found unsupported (removed, or kept marked): with `refused`, they
    tell a generated answer verification emptied from one the model declined itself."""

    @property
    def declined(self) -> bool:
        """Refused, or said first that the documents do not give what was asked (`partial`)."""
        return self.refused or self.coverage == "partial"

    @property
    def correct(self) -> bool:
        """Declined an unanswerable case, or answered an answerable one with all its facts."""
        if not self.answerable:
            return self.declined
        return not self.refused and self.metrics.get("fact_hit", 1.0) == 1.0
