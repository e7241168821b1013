"""The packaged Qwen judge, where the `[llm]` extra is installed (skipped otherwise)."""

import pytest

from evals import judge as judges

NAME = "qwen2.5-0.5b"


@pytest.fixture(scope="module")
def judge() -> judges.EntailmentJudge:
    if not judges.available(NAME):
        pytest.skip("the [llm] extra is not installed (make install-llm)")
    model = judges.EntailmentJudge(NAME)
    model.warm_up()
    return model


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.enable_socket
def test_judge_is_deterministic_and_orders_support(judge: judges.EntailmentJudge) -> None:
    passage = ["The European Clusters Alliance represents more than 900 cluster organisations."]
    supported = judge.p_yes(passage, "The alliance represents over 900 cluster organisations.")
    assert judge.p_yes(passage, "The alliance represents over 900 cluster organisations.") == (
        supported
    )
    unsupported = judge.p_yes(passage, "The alliance is based in Tokyo and sells cars.")
    assert 0.0 <= unsupported < supported <= 1.0


@pytest.mark.unit
def test_unknown_judge_is_refused() -> None:
    with pytest.raises(judges.JudgeUnavailable):
        judges.EntailmentJudge("gpt-17")


class Scripted:
    """A judge that says yes when the claim is in the passage."""

    def p_yes(self, passages: list[str], claim: str) -> float:
        return 0.9 if claim in passages[0] else 0.1


@pytest.mark.unit
def test_validation_counts_agreement_with_the_labels() -> None:
    pairs = [
        {"id": "a", "passage": "x y z", "claim": "y", "supported": True},
        {"id": "b", "passage": "x y z", "claim": "w", "supported": False},
        {"id": "c", "passage": "x y z", "claim": "q", "supported": True},
    ]
    result = judges.validate(Scripted(), pairs)
    assert [v.correct for v in result.verdicts] == [True, True, False]
    assert result.right == 2 and result.accuracy == pytest.approx(2 / 3)
    assert len(judges.load_pairs()) == 24


@pytest.mark.unit
def test_choose_none_and_unknown() -> None:
    assert judges.choose("none") is None
    with pytest.raises(judges.JudgeUnavailable):
        judges.choose("gpt-17")
