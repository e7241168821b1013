import pytest

from evals.calibrate import choose_threshold, is_dev, operating_point
from evals.clapnq import detokenize
from evals.metrics import (
    fact_hit_rate,
    ndcg_at_k,
    percentile,
    recall_at_k,
    reciprocal_rank,
    sentence_recall,
    token_f1,
)
from evals.results import CaseResult

pytestmark = pytest.mark.unit


def test_retrieval_metrics_on_distinct_documents() -> None:
    ranked = ["a", "a", "b", "c", "d"]
    assert recall_at_k(ranked, ["c"], 1) == 0.0
    assert recall_at_k(ranked, ["c"], 3) == 1.0  # duplicates of "a" do not use up ranks
    assert recall_at_k(ranked, ["b", "z"], 10) == 0.5
    assert reciprocal_rank(ranked, ["c"]) == pytest.approx(1 / 3)
    assert reciprocal_rank(ranked, ["z"]) == 0.0
    assert ndcg_at_k(["x", "g"], ["g"]) == pytest.approx(1 / 1.5849625, rel=1e-6)
    assert ndcg_at_k(["g"], ["g"]) == 1.0


def test_fact_hits_ignore_case_and_citations() -> None:
    answer = "The ECA represents more than 900 [1] cluster organisations and PORTUGAL clusters [2]."
    assert fact_hit_rate(
        answer, [["900"], ["portugal clusters", "x"], ["150,000"]]
    ) == pytest.approx(2 / 3)
    assert fact_hit_rate("anything", []) == 1.0


def test_token_f1_and_sentence_recall() -> None:
    assert token_f1("The wage is 13.5% higher [1].", "wage 13.5% higher") == 1.0
    assert token_f1("nothing shared", "entirely different") == 0.0
    gold = ["Clusters raise wages by 13.5%.", "Unrelated gold sentence about fish."]
    assert sentence_recall("Clusters raise wages by 13.5% [1].", gold) == 0.5


def test_percentile() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5 and percentile([], 95) == 0.0


def test_detokenize() -> None:
    assert detokenize("the `` year '' , it 's 5 % ( a ) .") == 'the "year", it\'s 5% (a).'


def result(cid: str, answerable: bool, score: float) -> CaseResult:
    return CaseResult(cid, "k", "q", answerable, "a", False, score, [], [], 1.0)


def test_threshold_is_chosen_for_balanced_accuracy() -> None:
    results = [result(f"a{i}", True, 0.6 + i / 100) for i in range(10)] + [
        result(f"u{i}", False, 0.3 + i / 100) for i in range(10)
    ]
    chosen = choose_threshold(results)
    assert 0.39 < chosen.threshold < 0.6
    assert chosen.balanced_accuracy == 1.0
    op = operating_point(results, 0.0)
    assert op.refusal_accuracy == 0.0 and op.answer_rate == 1.0


def test_dev_split_is_stable_and_roughly_half() -> None:
    ids = [f"case-{i}" for i in range(1000)]
    share = sum(map(is_dev, ids)) / len(ids)
    assert 0.45 < share < 0.55 and [is_dev(i) for i in ids[:20]] == [is_dev(i) for i in ids[:20]]


def test_rule_weighs_the_coverage_gap_when_it_separates_the_cases() -> None:
    from dataclasses import replace

    from evals.calibrate import Rule, choose_rule

    # Same evidence for all; only the unanswerable cases lack the question's terms.
    answerable = [replace(result(f"a{i}", True, 0.7), coverage_gap=0.1) for i in range(10)]
    absent = [replace(result(f"u{i}", False, 0.7), coverage_gap=0.8) for i in range(10)]
    other = [result(f"b{i}", True, 0.8) for i in range(5)] + [
        result(f"v{i}", False, 0.2) for i in range(5)
    ]
    rule, threshold, ops = choose_rule([answerable + absent, other], current=Rule(0.0, 0.0))
    weight = rule.gap_weight
    assert weight > 0 and rule.unknown_penalty == 0.0
    assert [op.balanced_accuracy for op in ops] == [1.0, 1.0]
    assert 0.7 - 0.8 * weight < threshold <= 0.7 - 0.1 * weight


def test_rule_weighs_unknown_terms_when_they_separate_the_cases() -> None:
    from dataclasses import replace

    from evals.calibrate import Rule, choose_rule

    answerable = [result(f"a{i}", True, 0.7) for i in range(10)]
    absent = [replace(result(f"u{i}", False, 0.7), unknown_terms=["estonia"]) for i in range(10)]
    rule, threshold, ops = choose_rule([answerable + absent], current=Rule(0.0, 0.0))
    assert rule.gap_weight == 0.0 and rule.unknown_penalty > 0
    assert ops[0].balanced_accuracy == 1.0
    assert 0.7 - rule.unknown_penalty < threshold <= 0.7


def test_of_rules_that_refuse_equally_well_the_one_that_answers_more_wins() -> None:
    from evals.calibrate import Rule, choose_rule

    # Above 0.56, three more unanswerable cases are declined and two answerable ones too:
    # balanced accuracy 0.9990 against 0.9985, a hair's difference; the lower threshold answers
    # every answerable case.
    group = [result(f"u{i}", False, 0.2) for i in range(997)]
    group += [result(f"v{i}", False, 0.56) for i in range(3)]
    group += [result(f"a{i}", True, 0.55) for i in range(2)]
    group += [result(f"b{i}", True, 0.8) for i in range(998)]
    rule, threshold, ops = choose_rule([group], current=Rule(0.0, 0.0))
    assert rule == Rule(0.0, 0.0) and 0.2 < threshold < 0.55
    assert ops[0].answer_rate == 1.0
