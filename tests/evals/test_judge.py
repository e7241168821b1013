"""The packaged Qwen judge, where the `[llm]` extra is installed (skipped otherwise)."""

import pytest

from evals import judge as judges

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.enable_socket]

NAME = "qwen2.5-0.5b"


@pytest.fixture(scope="module")
def judge() -> judges.EntailmentJudge:
    if not judges.available(NAME):
        pytest.skip("the [llm] extra is not installed (make install-llm)")
    model = judges.EntailmentJudge(NAME)
    model.warm_up()
    return model


def test_judge_is_deterministic_and_orders_support(judge: judges.EntailmentJudge) -> None:
    passage = ["The European Clusters Alliance represents more than 900 cluster organisations."]
    supported = judge.p_yes(passage, "The alliance represents over 900 cluster organisations.")
    assert judge.p_yes(passage, "The alliance represents over 900 cluster organisations.") == (
        supported
    )
    unsupported = judge.p_yes(passage, "The alliance is based in Tokyo and sells cars.")
    assert 0.0 <= unsupported < supported <= 1.0


def test_unknown_judge_is_refused() -> None:
    with pytest.raises(judges.JudgeUnavailable):
        judges.EntailmentJudge("gpt-17")
