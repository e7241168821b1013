"""Follow-ups rewritten to stand alone (unit)."""

import pytest

from assistant.answer.followup import focus, named, rewrite, standalone

pytestmark = pytest.mark.unit


def test_a_new_name_takes_the_place_of_the_one_in_the_previous_question() -> None:
    assert standalone("And in Palma?", "When is the Heilbronn event?") == (
        "When is the Palma event?"
    )


def test_a_quoted_term_takes_the_place_of_the_previous_quoted_term() -> None:
    previous = 'What does "o. B. d. A." stand for in the script?'
    assert standalone('And the short form "zhgd."?', previous) == (
        'What does "zhgd." stand for in the script?'
    )


def test_a_pronoun_stands_for_what_the_previous_question_named() -> None:
    previous = "Which organisation runs the Luxembourg Cluster Initiative?"
    assert standalone("What targets has it set?", previous) == (
        "What targets has Luxembourg Cluster Initiative set?"
    )
    assert standalone("What is its budget?", previous) == (
        "What is Luxembourg Cluster Initiative’s budget?"
    )


def test_a_question_of_its_own_is_left_alone() -> None:
    previous = "Which national associations are members of the European Clusters Alliance?"
    # It asks (a verb of its own): no frame substitution, and no pronoun to resolve.
    assert standalone("And which one represents Portugal?", previous) == (
        "And which one represents Portugal?"
    )
    assert standalone("What about funding?", "How are clusters funded?") == "What about funding?"


def test_only_the_users_turns_count_and_a_first_question_is_unchanged() -> None:
    history = [("user", "When is the Heilbronn event?"), ("assistant", "In May [1].")]
    assert rewrite("And in Palma?", history) == "When is the Palma event?"
    assert rewrite("And in Palma?", []) == "And in Palma?"


def test_capitals_that_only_open_a_sentence_name_nothing() -> None:
    assert named("What does the Smart Guide say?") == ["Smart Guide"]
    assert named("And how about firms?") == []


def test_a_pronoun_stands_for_what_the_previous_answer_opened_by_naming() -> None:
    previous = "Which sector came out strongest in Estonia's analysis?"
    answer = "ICT, to be used horizontally across other sectors."
    assert standalone("What is its biggest problem?", previous, answer) == (
        "What is ICT’s biggest problem?"
    )
    history = [
        ("user", "Who wrote the geometry script?"),
        ("assistant", "Martin Thoma wrote it in the 2013/2014 winter semester [1]."),
    ]
    assert rewrite("Which women helped him?", history) == "Which women helped Martin Thoma?"


@pytest.mark.parametrize(
    ("answer", "topic"),
    [
        ("Yes: LifeLines, a research study started in 2006.", "LifeLines"),
        ("The Strategic Council for Research, Development.", "Strategic Council for Research"),
        ("More efficient use of resources, with sub-sectors.", "More efficient use of resources"),
        ("Partial answer.\nStatistics Netherlands, which tracks [1].", "Statistics Netherlands"),
        # A pronoun, a count, a clause, a refusal: no new topic.
        ("It is an ECCP training programme.", None),
        ("Six: energy; health; food.", None),
        ("The Alliance's members come from 19 countries, for example Austria.", None),
        ("Luxinnovation leads it [1].", None),
        ("The documents I have do not answer this question.", None),
    ],
)  # fmt: skip
def test_the_focus_of_an_answer(answer: str, topic: str | None) -> None:
    assert focus(answer) == topic


def test_without_a_named_topic_the_previous_question_counts() -> None:
    previous = "What is the EU–India matchmaking?"
    answer = "It is a matchmaking event for clusters and SMEs."
    assert standalone("What does it promote?", previous, answer) == ("What does EU–India promote?")


def test_a_demonstrative_stands_for_the_answers_focus() -> None:
    previous = "Which of the region's key clusters deals with water purification?"
    answer = "Water Technology, one of the five key clusters [1]."
    assert standalone("In which province is that industry rooted?", previous, answer) == (
        "In which province is Water Technology rooted?"
    )


def test_a_demonstrative_with_the_previous_questions_noun_stands_for_its_name() -> None:
    previous = "What is Denmark's capital in the country table?"
    assert standalone("And how big is that country?", previous, "Copenhagen.") == (
        "And how big is Denmark?"
    )


def test_the_x_one_is_the_item_of_the_previous_answer_holding_x() -> None:
    previous = "Which priority areas did Lithuania choose?"
    answer = "Six: energy and environment; health technologies and biotechnologies; transport."
    assert standalone("What falls under the health one?", previous, answer) == (
        "What falls under health technologies and biotechnologies?"
    )
    # No item, or two items, holding the word: left for the other rewrites.
    assert standalone("What falls under the water one?", previous, answer) == (
        "What falls under the water one?"
    )
