"""The assistant over the real corpus, model and Chroma store."""

import pytest

from assistant.errors import InvalidFilterError
from assistant.pipeline import Turn
from evals.citations import cited_sentences
from tests.conftest import Stack

pytestmark = pytest.mark.integration

KNOWN = [
    ("How many cluster organisations does the European Clusters Alliance represent?", "900"),
    (
        "Which association represents Portugal in the European Clusters Alliance?",
        "Portugal Clusters",
    ),
    ("How much higher is the average wage in specialised clusters?", "13.5%"),
    ("When does the Bengaluru Tech Summit 2024 take place?", "19"),
    # "where and when": a sentence for each kind of value asked for (with the reader, the
    # "where" sentence is "The training in Warsaw is …", no longer the venue's full name)
    (
        "Where and when does the in-person part of the Cluster Booster Academy take place?",
        "Warsaw",
    ),
    (
        "Where and when does the in-person part of the Cluster Booster Academy take place?",
        "3-4 March 2025",
    ),
    ("What email address can I use to reach the European Clusters Alliance?", "antonio.novo@"),
    # one item of a numbered series: "second stage" is "Stage 2"
    (
        "What is the second stage in the three-stage model of cluster evolution?",
        "Industrial Value Chains",
    ),
    # a comparison: a sentence for each side, with its figure
    (
        "Were there more Matchmaking Events or Clusters meet Regions events in 2024?",
        "8 in-person Matchmaking",
    ),
    (
        "Were there more Matchmaking Events or Clusters meet Regions events in 2024?",
        "6 in-person Clusters",
    ),
]


@pytest.mark.parametrize(("question", "fact"), KNOWN)
def test_known_questions_get_cited_answers(indexed: Stack, question: str, fact: str) -> None:
    answer = indexed.container.assistant.answer(question)
    assert not answer.refused
    assert fact in answer.answer
    assert answer.citations
    # The sentence with the fact cites a passage that contains it.
    sentence = next(s for s in cited_sentences(answer.answer) if fact in s.text)
    by_number = {c.n: c for c in answer.citations}
    assert sentence.cites
    texts = indexed.store.get([by_number[n].chunk_id for n in sentence.cites])
    assert any(fact in chunk.text for chunk in texts.values())


@pytest.mark.parametrize(
    "question",
    ["What is the weather in Paris tomorrow?", "Give me a recipe for apple pie.", "Tell me a joke"],
)
def test_off_topic_questions_are_refused(indexed: Stack, question: str) -> None:
    answer = indexed.container.assistant.answer(question)
    assert answer.refused and answer.citations == []


def test_every_citation_points_at_a_retrieved_chunk(indexed: Stack) -> None:
    answer = indexed.container.assistant.answer("What services do cluster organisations provide?")
    for c in answer.citations:
        assert any(ch.id == c.chunk_id for ch in indexed.store.chunks_of(c.doc_id))
        assert c.title and c.source


def test_pdf_documents_are_cited_with_pages(indexed: Stack) -> None:
    answer = indexed.container.assistant.answer(
        "Should a region try to create clusters from scratch?"
    )
    assert not answer.refused
    pdf_cites = [c for c in answer.citations if c.doc_id == "cluster-policy-dos-and-donts"]
    assert pdf_cites and all(c.page and c.page >= 1 for c in pdf_cites)


def test_doc_type_filter(indexed: Stack) -> None:
    answer = indexed.container.assistant.answer(
        "Where do the Clusters meet Regions events take place in 2024?",
        filters={"doc_type": "event"},
    )
    assert all(
        c.doc_id in {ch.doc_id for ch in indexed.store.chunks_of(c.doc_id)}
        for c in answer.citations
    )
    for c in answer.citations:
        assert indexed.store.chunks_of(c.doc_id)[0].doc_type == "event"


def test_bad_filter_is_an_error(indexed: Stack) -> None:
    with pytest.raises(InvalidFilterError):
        indexed.container.assistant.answer("anything", filters={"colour": "red"})


def test_follow_up_uses_the_conversation(indexed: Stack) -> None:
    history = [
        Turn("user", "Which national associations are members of the European Clusters Alliance?"),
        Turn("assistant", "The members include ..."),
    ]
    answer = indexed.container.assistant.answer("And which one represents Portugal?", history)
    assert not answer.refused and "Portugal Clusters" in answer.answer


def test_a_list_from_a_pdf_is_answered_as_a_list(indexed: Stack) -> None:
    """The services list sits in a PDF, whose bullets come out as glyphs."""
    answer = indexed.container.assistant.answer(
        "Which types of services do cluster organisations offer?"
    )
    assert "- Improving the business environment" in answer.answer
    assert "- Influencing the legal framework" in answer.answer
    assert all(c.page for c in answer.citations)


@pytest.mark.integration
def test_a_restricted_list_question_gets_the_matching_items(indexed: Stack) -> None:
    answer = indexed.container.assistant.answer("Which of the Finnish clusters work on water?")
    items = [line for line in answer.answer.splitlines() if line.startswith("- ")]
    assert len(items) == 3 and all("Water" in line for line in items)
    assert "Finnish Water Forum" in answer.answer and "Kuopio Water Cluster" in answer.answer


@pytest.mark.integration
def test_a_demonym_finds_its_country(indexed: Stack) -> None:
    question = "Which association represents Swedish clusters in the European Clusters Alliance?"
    assert indexed.container.lexical.unknown_terms(question) == []
    answer = indexed.container.assistant.answer(question)
    assert "Clusters of Sweden" in answer.answer
    assert "Portugal" not in answer.answer and "Poland" not in answer.answer


@pytest.mark.integration
def test_an_absent_figure_gives_a_partial_answer(indexed: Stack) -> None:
    answer = indexed.container.assistant.answer(
        "What is the budget of the Cluster Booster Academy?"
    )
    assert answer.coverage == "partial" and not answer.refused
    assert answer.answer.startswith("The documents do not give the figure asked for.")
    assert answer.citations and all(c.verified for c in answer.citations)
    full = indexed.container.assistant.answer(
        "How many cluster organisations does the European Clusters Alliance represent?"
    )
    assert full.coverage == "full" and "900" in full.answer
    declined = indexed.container.assistant.answer("What is the capital of Mongolia?")
    assert declined.refused and declined.coverage == "none"


@pytest.mark.integration
def test_a_yes_no_question_about_membership_is_answered_from_the_list(indexed: Stack) -> None:
    assistant = indexed.container.assistant
    member = assistant.answer("Does Portugal belong to the European Clusters Alliance?")
    assert "Portugal Clusters" in member.answer and member.coverage == "full"
    absent = assistant.answer("Is Estonia represented in the European Clusters Alliance?")
    assert absent.coverage == "partial" and not absent.refused
    assert absent.answer.startswith("Estonia is not among the entries of this list")
    assert absent.citations and "Estonia" not in absent.answer.split(":", 1)[1]
    which = assistant.answer("Which association represents Estonia in the Alliance?")
    assert which.coverage == "partial" and which.answer.startswith("Estonia is not among")
    # A statement outscoring every entry answers; an unrelated list is no evidence of absence.
    located = assistant.answer("Is Aviation Valley in Spain?")
    assert located.answer == "Aviation Valley is located in south-eastern Poland [1]."
    assert located.note == "" and located.citations[0].doc_id == "aviation-valley-poland"


@pytest.mark.integration
def test_a_comparison_reads_each_side_and_cites_both(indexed: Stack) -> None:
    answer = indexed.container.assistant.answer(
        "Which came first, the Strasbourg C2Lab or the Clusters meet Regions event in Chişinău?",
        explain=True,
    )
    assert "25-26 September 2023" in answer.answer and "10-11 October 2024" in answer.answer
    assert answer.explain is not None
    parts = [p["part"] for p in answer.explain["reading"]["parts"]]
    assert parts == [
        "Which came first, the Strasbourg C2Lab?",
        "Which came first, the Clusters meet Regions event in Chişinău?",
    ]
    assert len({c.doc_id for c in answer.citations}) >= 2
