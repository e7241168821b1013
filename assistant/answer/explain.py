"""The explain trace: how an answer was made, for operators and for us.

It lists the question as searched (a follow-up rewritten to stand alone), the passages
retrieved, the best candidate units with their features and scores (and, under the learned
scorer, each feature's share of the score), the answerability decision with its inputs, and
which stage decided the outcome: retrieval found nothing, answerability declined, verification
dropped every citation, or reading chose the units quoted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from assistant.answer.answerability import Decision
from assistant.answer.reading import Reading
from assistant.types import Answer, ScoredChunk

PASSAGES_SHOWN = 8
UNITS_SHOWN = 8


def decided_by(reading: Reading, decision: Decision, answer: Answer) -> str:
    """Which stage decided the outcome."""
    if not reading.hits:
        return "retrieval: no passage found"
    if not reading.units:
        return "reading: the passages hold no answer unit"
    if not decision.answerable:
        return "answerability: declined"
    if answer.refused:
        return "verification: no citation was supported"
    if answer.coverage == "partial":
        return "composition: the value asked for is absent (partial)"
    return "reading: chose the units quoted"


def explain_trace(
    question: str,
    searched: str,
    history_turns: int,
    hits: Sequence[ScoredChunk],
    reading: Reading,
    decision: Decision,
    answer: Answer,
    contributions: Callable[[np.ndarray], dict[str, float] | None] | None = None,
) -> dict[str, Any]:
    """The trace of one answer (JSON-ready); `contributions` gives a unit's features' shares
    of its score (the learned scorer has them)."""
    units = reading.explain(UNITS_SHOWN)
    if contributions is not None:
        for row, i in zip(units, reading.order, strict=False):
            shares = contributions(reading.features[i])
            if shares is not None:
                row["contributions"] = shares
    # A quoted unit appears with its citation before its closing punctuation.
    quoted = [u["text"] for u in units if str(u["text"]).rstrip(".!?;:") in answer.answer]
    return {
        "question": question,
        "searched_as": searched,
        "history_turns": history_turns,
        "retrieval": [
            {
                "rank": h.rank,
                "doc_id": h.chunk.doc_id,
                "section": h.chunk.section,
                "page": h.chunk.page,
                "score": round(h.score, 4),
            }
            for h in list(hits)[:PASSAGES_SHOWN]
        ],
        "reading": {
            "scorer": reading.scorer,
            "units": len(reading.units),
            "best": units,
            # A question coordinating several: each part with its own best unit.
            "parts": [
                {
                    "part": part,
                    "best": reading.units[int(np.argmax(scores))].text,
                    "score": round(float(np.max(scores)), 4),
                }
                for part, scores in reading.parts
            ],
        },
        "decision": decision.explain(),
        "outcome": "declined" if answer.refused else answer.coverage,
        "decided_by": decided_by(reading, decision, answer),
        "quoted": quoted,
    }
