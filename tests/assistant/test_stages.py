"""The answer stages: the container wires Protocol implementations, and a ranker plugs in."""

from collections.abc import Sequence
from pathlib import Path

import pytest

from assistant.container import Container
from assistant.retrieval.ranking import PassThroughRanker
from assistant.stages import Answerability, Composer, Ranker, Retriever, UnitScorer, Verifier
from assistant.types import ScoredChunk
from tests.conftest import Stack


class ReversingRanker:
    """Puts the last fused candidate first: proves the pipeline answers from the ranker's order."""

    candidates = 12

    def __init__(self) -> None:
        self.seen: list[int] = []
        self.warmed = False

    def warm_up(self) -> None:
        self.warmed = True

    def rank(self, question: str, hits: Sequence[ScoredChunk], k: int) -> list[ScoredChunk]:
        self.seen.append(len(hits))
        return [ScoredChunk(h.chunk, h.score, r) for r, h in enumerate(list(hits)[::-1][:k])]


@pytest.mark.unit
def test_pass_through_ranker_keeps_the_fused_order() -> None:
    ranker = PassThroughRanker()
    ranker.warm_up()
    assert ranker.rank("q", [], 5) == [] and ranker.candidates == 0
    assert isinstance(ranker, Ranker)


@pytest.mark.integration
def test_container_wires_stages_that_satisfy_their_protocols(indexed: Stack) -> None:
    container = indexed.container
    assert isinstance(container.retriever, Retriever)
    assert isinstance(container.ranker, Ranker)
    assert isinstance(container.scorer, UnitScorer)
    assert isinstance(container.answerability, Answerability)
    assert isinstance(container.composer, Composer)
    assert isinstance(container.verifier, Verifier)
    assert container.generator is None  # generative mode is off by default
    container.assistant.warm_up()


@pytest.mark.integration
def test_a_ranker_sees_its_candidates_and_decides_the_order(indexed: Stack) -> None:
    container = Container(indexed.settings)
    container.__dict__["embedder"] = indexed.container.embedder
    ranker = ReversingRanker()
    container.__dict__["ranker"] = ranker
    question = "Which association represents Portugal in the European Clusters Alliance?"
    fused = indexed.container.assistant.retrieve(question, top_k=12)
    ranked = container.assistant.retrieve(question, top_k=3)
    assert ranker.seen == [12]  # the pipeline retrieved max(k, candidates)
    assert [h.chunk.id for h in ranked] == [h.chunk.id for h in fused[::-1][:3]]
    assert [h.rank for h in ranked] == [0, 1, 2]
    container.assistant.warm_up()
    assert ranker.warmed


@pytest.mark.unit
def test_the_decision_rule_follows_the_scorer_unless_set(tmp_path: Path) -> None:
    from assistant.answer.answerability import LearnedAnswerability, ThresholdAnswerability
    from tests.conftest import make_settings

    def rule(**answer: str) -> object:
        settings = make_settings(tmp_path)
        settings = settings.model_copy(update={"answer": settings.answer.model_copy(update=answer)})
        return Container(settings).answerability

    assert isinstance(rule(), LearnedAnswerability)
    assert isinstance(rule(scorer="blend"), ThresholdAnswerability)
    assert isinstance(rule(decision="threshold"), ThresholdAnswerability)
    assert isinstance(rule(scorer="blend", decision="learned"), LearnedAnswerability)
