"""Teacher labelling and the reader's training data, with a stand-in teacher (unit)."""

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from training.reader import agreement
from training.reader.agreement import HumanPair, is_gold, summary
from training.reader.sources import Passage, text_key
from training.reader.teacher import (
    PairMaker,
    Teacher,
    label,
    load_labels,
    none_probability,
    schedule,
    yes_probability,
)

pytestmark = pytest.mark.unit

VOCAB = ["cluster", "budget", "members", "water", "year", "france"]


class KeywordEmbedder:
    name = "keywords"

    def warm_up(self) -> None: ...

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows = []
        for text in texts:
            v = np.array([1.0 if w in text.lower() else 0.0 for w in VOCAB] + [0.3])
            rows.append(v / np.linalg.norm(v))
        return np.array(rows, dtype=np.float32)


class StubTeacher:
    """Writes a fixed question; says Yes when the text mentions the budget."""

    name = "stub"
    prompt = "answers-v1"

    def __init__(self) -> None:
        self.judged = 0
        self.written = 0

    def question(self, passage: Passage) -> str:
        self.written += 1
        return f"What is the budget of {passage.title}?"

    def near_miss(self, passage: Passage, question: str) -> str:
        self.written += 1
        return question.replace("budget", "water budget in 1990")

    def p_answers(self, question: str, context: str, text: str) -> float:
        self.judged += 1
        return 0.9 if "budget" in text.lower() else 0.1


def passage(source: str, key: str, text: str) -> Passage:
    return Passage(source, f"{key}.md", key, f"Doc {key}", "Money", text)


PASSAGES = [
    passage("corpus", "a", "The cluster has 40 members. Its budget is 2 million euros a year."),
    passage("clapnq", "b", "Water clusters work in France. They meet every year in Lyon."),
    passage("corpus", "c", "Members pay fees. The budget grew in the last year."),
    passage("pdf-stress", "d", "One sentence only"),
]


def test_schedule_takes_sources_in_turn_and_skips_passages_with_one_unit() -> None:
    order = schedule(PASSAGES)
    assert [p.key for p in order].count("d") == 0
    assert {order[0].source, order[1].source} == {"clapnq", "corpus"}


def test_labels_are_appended_and_a_rerun_resumes_without_judging_again(tmp_path: Path) -> None:
    path = tmp_path / "pairs.jsonl"
    maker = PairMaker(KeywordEmbedder(), PASSAGES)  # type: ignore[arg-type]
    teacher = StubTeacher()
    first = label(teacher, maker, schedule(PASSAGES), path, limit_pairs=3)  # type: ignore[arg-type]
    assert first == 3
    rows = load_labels(path)
    assert len(rows) == 3
    assert {r["variant"] for r in rows} == {"generated"}
    again = StubTeacher()
    more = label(again, maker, schedule(PASSAGES), path)  # type: ignore[arg-type]
    rows = load_labels(path)
    assert len(rows) == 3 + more
    assert len({r["id"] for r in rows}) == len(rows)  # nothing judged twice
    assert again.judged == more
    assert {r["variant"] for r in rows} == {"generated", "near-miss"}
    assert {r["level"] for r in rows} == {"unit", "passage"}
    # Our own corpus's text is kept; outside text only by its hash.
    for row in rows:
        assert (row["text"] is not None) == (row["candidate_source"] == "corpus")
        assert len(row["candidate"]) == 16


def test_a_torn_last_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "pairs.jsonl"
    path.write_text('{"id": "x", "p_yes": 0.5}\n{"id": "y", "p_', encoding="utf-8")
    assert [r["id"] for r in load_labels(path)] == ["x"]


def test_a_unit_is_gold_when_it_is_most_of_a_gold_sentence() -> None:
    gold = ["The budget of the cluster is 2 million euros a year."]
    assert is_gold("The budget of the cluster is 2 million euros a year.", gold)
    assert not is_gold("Members pay fees.", gold)


def test_agreement_summary_counts_precision_and_recall() -> None:
    rows = [
        {"human": True, "p_yes": 0.9},
        {"human": True, "p_yes": 0.2},
        {"human": False, "p_yes": 0.7},
        {"human": False, "p_yes": 0.1},
    ]
    assert summary(rows) == {
        "pairs": 4,
        "accuracy": 0.5,
        "precision": 0.5,
        "recall": 0.5,
        "auc": 0.75,
    }


def test_text_key_is_stable_and_ignores_surrounding_space() -> None:
    assert text_key(" a b ") == text_key("a b")
    assert len(text_key("a")) == 16
    assert HumanPair  # the human pairs' type is public


@pytest.mark.unit
def test_first_token_readings_of_the_judging_prompts() -> None:
    yes_no = [
        {"token": "Yes", "logprob": math.log(0.6)},
        {"token": " No", "logprob": math.log(0.2)},
    ]
    assert yes_probability(yes_no) == pytest.approx(0.75)
    assert yes_probability([{"token": "Maybe", "logprob": -0.1}]) == pytest.approx(0.5)
    span = [
        {"token": "NONE", "logprob": math.log(0.5)},
        {"token": "NO", "logprob": math.log(0.1)},
        {"token": "The", "logprob": math.log(0.3)},
        {"token": "N", "logprob": math.log(0.1)},
    ]
    assert none_probability(span) == pytest.approx(0.6)
    assert none_probability([]) == 0.0


@pytest.mark.unit
def test_agreement_summary_reports_auc_per_prompt() -> None:
    rows = [
        {"human": True, "p_yes": 0.9},
        {"human": True, "p_yes": 0.4},
        {"human": False, "p_yes": 0.4},
        {"human": False, "p_yes": 0.1},
    ]
    figures = agreement.summary(rows)
    assert figures["auc"] == pytest.approx((1 + 1 + 0.5 + 1) / 4)
    assert figures["recall"] == 0.5
    assert agreement.prompt_of({}) == "answers-v1"
    assert agreement.prompt_of({"prompt": "extract-v1"}) == "extract-v1"


@pytest.mark.unit
def test_an_unknown_judging_prompt_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown judging prompt"):
        Teacher(None, "x", "nope")  # type: ignore[arg-type]


@pytest.mark.unit
def test_heldout_figures_compare_a_scorer_with_the_human_labels() -> None:
    from evals.datasets import EvalCase
    from training.reader.heldout import figures

    def units(case: EvalCase, texts: list[tuple[str, bool]]) -> list[HumanPair]:
        where = passage("clapnq", case.id, " ".join(t for t, _ in texts))
        return [HumanPair(case, where, text, answers) for text, answers in texts]

    yes = EvalCase("q1", "What is the budget?", True)
    no = EvalCase("q2", "What is the water budget?", False)
    pairs = units(yes, [("The budget is 5 M.", True), ("It has members.", False)]) + units(
        no, [("Members meet yearly.", False), ("The budget rose.", False)]
    )

    def by_word(_: str, texts: Sequence[str], shown: Sequence[str]) -> np.ndarray:
        assert all(s.endswith(t) for s, t in zip(shown, texts, strict=True))
        return np.array([0.9 if " M." in t else 0.5 if "budget" in t else 0.1 for t in texts])

    result = figures(pairs, by_word)
    assert result == {"questions": 2, "unit_auc": 1.0, "top1": 1.0, "answerable_auc": 1.0}


@pytest.mark.unit
def test_passages_too_long_for_the_teacher_are_not_scheduled() -> None:
    from training.reader.teacher import MAX_TEXT_CHARS

    long = passage("pdf-stress", "long", "A sentence that goes on. " * (MAX_TEXT_CHARS // 20))
    short = passage("pdf-stress", "short", "One sentence here. Another sentence there.")
    assert [p.key for p in schedule([long, short])] == ["short"]


@pytest.mark.unit
def test_the_ceiling_sets_the_teacher_beside_cosine_on_the_units_it_judged() -> None:
    from evals.datasets import EvalCase
    from training.reader.heldout import ceiling

    yes = EvalCase("q1", "What is the budget?", True)
    no = EvalCase("q2", "What is the water budget in France?", False)
    texts = [
        (yes, [("The budget is 5 M.", True), ("It has members.", False), ("Not judged.", False)]),
        (no, [("Members meet yearly.", False), ("The budget rose.", False)]),
    ]
    pairs = [
        HumanPair(case, passage("clapnq", case.id, "x"), text, answers)
        for case, units in texts
        for text, answers in units
    ]
    # The teacher says Yes to the budget sentences of both questions and judged all but one unit.
    rows = [
        {
            "case": p.case.id,
            "candidate": text_key(p.text),
            "p_yes": 0.9 if "budget" in p.text else 0.1,
        }
        for p in pairs
        if p.text != "Not judged."
    ]
    result = ceiling(rows, KeywordEmbedder(), pairs)
    assert result["teacher"]["questions"] == 2
    assert result["teacher"]["top1"] == 1.0
    assert result["teacher"]["answerable_auc"] == 0.5  # both questions' best unit got 0.9
    assert set(result["cosine"]) == set(result["teacher"])
    assert ceiling([], KeywordEmbedder(), pairs) == {}


@pytest.mark.integration
def test_the_bi_encoder_reader_trains_on_plain_units_and_is_measured_like_cosine() -> None:
    from assistant.answer.reader import READER_DIR
    from evals.datasets import EvalCase
    from training.reader.tune import measure, rows

    yes = EvalCase("q1", "How big is the cluster's budget?", True)
    no = EvalCase("q2", "Who founded the water cluster?", False)
    where = passage("clapnq", "q1", "x")
    pairs = [
        HumanPair(yes, where, "The cluster's budget is 5 million euros.", True),
        HumanPair(yes, where, "The cluster meets in Lyon every spring.", False),
        HumanPair(no, where, "Water clusters exist in many regions.", False),
    ]
    columns = rows(pairs)
    assert columns == {
        "question": [yes.question, yes.question, no.question],
        "unit": [p.text for p in pairs],  # the text alone, as the reader reads it
        "label": [1.0, 0.0, 0.0],
    }
    shipped = measure(READER_DIR, pairs)
    assert shipped["questions"] == 2 and shipped["top1"] == 1.0
