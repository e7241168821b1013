"""Answerability: a question of several parts is decided part by part (unit)."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant.answer.answerability import LearnedAnswerability
from assistant.answer.scoring import BlendModel, UnitReader
from assistant.settings import AnswerSettings
from tests.assistant.answer.test_composer import KeywordEmbedder, hit

pytestmark = pytest.mark.unit


class Queued:
    """A stand-in model answering the given probabilities in turn (whole question, then each
    part), with threshold 0.5."""

    threshold = 0.5

    def __init__(self, probabilities: Sequence[float]) -> None:
        self._left = list(probabilities)

    def predict(self, matrix: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
        return np.array([self._left.pop(0) for _ in matrix])


def _decide(question: str, probabilities: Sequence[float]) -> tuple[bool, float, str]:
    embedder = KeywordEmbedder()
    reading = UnitReader(embedder, BlendModel(0.0)).read(
        question,
        embedder.embed([question])[0],
        [hit("There were 8 wage reports.", 0.7, 0), hit("There were 6 budget reports.", 0.6, 1)],
    )
    decider = LearnedAnswerability(Path(__file__), AnswerSettings())
    decider.__dict__["model"] = Queued(probabilities)
    decision = decider.decide(reading)
    return decision.answerable, decision.evidence, decision.rule


def test_a_comparison_whose_every_side_is_answerable_is_answered() -> None:
    question = "Which had more reports, the wage office or the budget office?"
    assert _decide(question, [0.3, 0.7, 0.6]) == (True, 0.6, "learned, per part")


def test_a_side_without_evidence_leaves_the_comparison_declined() -> None:
    question = "Which had more reports, the wage office or the budget office?"
    assert _decide(question, [0.3, 0.7, 0.2]) == (False, 0.3, "learned")


def test_a_question_of_one_part_is_decided_whole() -> None:
    assert _decide("How many wage reports were there?", [0.3]) == (False, 0.3, "learned")
