"""What a question asks for, and which sentences carry it (unit)."""

import pytest

from assistant.answer.answer_types import (
    asked_types,
    carries,
    compared_sides,
    comparison_parts,
    mentions,
    missing_types,
    question_parts,
    side_items,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("When does the Academy start?", ["date"]),
        ("Where and when does the in-person part take place?", ["date", "name"]),
        ("How many cluster organisations are registered?", ["number"]),
        ("What email address can I use?", ["email"]),
        ("What is the website of the ECCP?", ["url"]),
        ("Who is the contact person?", ["name"]),
        ("Were there more Matchmaking Events or Clusters meet Regions events?", ["number"]),
        ("What are the objectives of the Academy?", []),
        # A comparison in time asks for the dates it compares.
        ("Which came first, the Strasbourg C2Lab or the Chişinău event?", ["date"]),
        ("Which strategy is older, the Northern one or the Western one?", ["date"]),
        ("What are the first steps of a cluster?", ["ordinal"]),
    ],
)
def test_asked_types(question: str, kinds: list[str]) -> None:
    assert asked_types(question) == kinds


def test_a_value_already_in_the_question_does_not_count() -> None:
    question = "How many events took place in 2024?"
    assert not carries("number", "Several events took place in 2024.", question)
    assert carries("number", "The ECCP organised 8 events in 2024.", question)


def test_dates_names_and_addresses() -> None:
    q = "Where and when is it?"
    assert carries("date", "It takes place on 3-4 March 2025.", q)
    assert carries("name", "The Warsaw University of Technology hosts it.", q)
    # Capitals that open a sentence, month names and all-capital abbreviations are not names.
    assert not carries("name", "It runs on 6 November from 10 AM to 2 PM CET.", q)
    assert carries("email", "Write to antonio.novo@clustersalliance.eu today.", "What email?")
    assert carries("url", "See www.clustercollaboration.eu for more.", "What website?")
    assert missing_types(["date", "name"], ["It is on 3 March."], q) == ["name"]


def test_comparison_sides() -> None:
    sides = compared_sides("Were there more Matchmaking Events or Clusters meet Regions events?")
    assert sides == [frozenset({"matchmaking"}), frozenset({"meet", "region", "cluster"})]
    assert mentions(sides[1], "The ECCP organised 6 Clusters meet Regions events.")
    assert not mentions(sides[1], "The ECCP organised 8 cluster events.")
    assert compared_sides("How do I reach the Alliance compared with the ECCP?") == [
        frozenset({"reach", "alliance"}),
        frozenset({"eccp"}),
    ]
    assert compared_sides("Which services and events does the ECCP offer?") == []


def test_one_item_of_a_numbered_series() -> None:
    question = "What is the second stage of cluster evolution, and what drives it?"
    assert asked_types(question) == ["ordinal"]
    assert carries("ordinal", 'Stage 2 is called "Industrial Value Chains".', question)
    assert carries("ordinal", "The second stage is driven by specialisation.", question)
    assert not carries("ordinal", "Stage 3 is driven by synergy.", question)
    assert asked_types("Who came first?") == ["name"]


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        (
            "How often will it report, and in which years?",
            ["How often will it report?", "in which years?"],
        ),
        (
            "In which fund did the government invest, and who manages it?",
            ["In which fund did the government invest?", "who manages it?"],
        ),
        (
            "Where and when does the academy take place?",
            ["Where does the academy take place?", "When does the academy take place?"],
        ),
        (
            "Of the countries in the table, which one is largest, and how large is it?",
            ["Of the countries in the table, which one is largest?", "how large is it?"],
        ),
        # One question: a comparison, and a question word inside a clause.
        ("Which came first, the lab or the summit?", ["Which came first, the lab or the summit?"]),
        ("What might he see when gazing at Mars?", ["What might he see when gazing at Mars?"]),
        ("What does the guide say?", ["What does the guide say?"]),
    ],
)
def test_question_parts(question: str, parts: list[str]) -> None:
    assert question_parts(question) == parts


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        (
            "Which reported the higher R&D intensity, Estonia or Lithuania?",
            ["Which reported the higher R&D intensity, Estonia?",
             "Which reported the higher R&D intensity, Lithuania?"],
        ),
        # The second side replaces as many words as it has, not reaching past the comma.
        (
            "Which document is older, the Northern strategy or the Western one?",
            ["Which document is older, the Northern strategy?",
             "Which document is older, the Western one?"],
        ),
        (
            "How do I reach the Alliance compared with the ECCP?",
            ["How do I reach the Alliance?", "How do I reach the ECCP?"],
        ),
        # Not a comparison: no parts.
        ("Which services and events does the ECCP offer?", []),
        ("Does the guide mention water or energy clusters?", []),
    ],
)  # fmt: skip
def test_comparison_parts(question: str, parts: list[str]) -> None:
    assert comparison_parts(question) == parts


def test_the_words_naming_each_side() -> None:
    parts = comparison_parts("Which reported the higher R&D intensity, Estonia or Lithuania?")
    assert side_items(parts) == [frozenset({"estonia"}), frozenset({"lithuania"})]
