"""Follow-ups rewritten to stand alone (unit)."""

import pytest

from assistant.answer.followup import named, rewrite, standalone

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
