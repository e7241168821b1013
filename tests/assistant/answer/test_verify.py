"""Citation verification: claims parsed from answers, checked against the passages they cite."""

from __future__ import annotations

import pytest

from assistant.answer.verify import CitationVerifier, grounded_terms, parse_claims
from assistant.embedder import SentenceTransformerEmbedder
from assistant.settings import VerificationSettings
from assistant.types import Chunk, ScoredChunk

ECA = (
    "The European Clusters Alliance brings together 23 national cluster associations. "
    "It represents more than 900 cluster organisations. "
    "Those organisations stand for 150,000 of the most innovative businesses in Europe."
)
AVIATION = "Aviation Valley is located in south-eastern Poland, near Rzeszów."


def hit(n: int, text: str, doc: str) -> ScoredChunk:
    chunk = Chunk(
        id=f"c{n}",
        text=text,
        doc_id=doc,
        title=doc,
        doc_type="other",
        source="test",
        source_path=f"{doc}.md",
        position=0,
    )
    return ScoredChunk(chunk, 0.8, n)


@pytest.mark.unit
def test_claims_are_cut_after_markers_and_into_sentences() -> None:
    claims = parse_claims(
        "Row one [1] Row two [2] Alpha is one. B is c [1][3]. D [4, 5].\n- item [2]"
    )
    assert [(c.text, c.cited) for c in claims] == [
        ("Row one", [1]),
        ("Row two", [2]),
        ("Alpha is one.", []),
        ("B is c.", [1, 3]),
        ("D.", [4, 5]),
        ("item", [2]),
    ]
    assert claims[-1].is_item


@pytest.mark.unit
def test_grounded_terms_are_figures_and_names() -> None:
    terms = grounded_terms("The alliance reaches 150,000 businesses across Europe and Ukraine.")
    assert terms == {"150000", "europe", "ukraine"}
    # A possessive names the same thing: "Stern's paper" is grounded by a passage naming Stern.
    assert grounded_terms("It is Stern's paper, one of the ECCP’s 25 events.") == {
        "25",
        "stern",
        "eccp",
    }
    # So does a plural's: "the Members’ votes" is grounded by a passage naming the Members.
    assert grounded_terms("It counts the Members’ votes.") == {"members"}


@pytest.mark.integration
class TestVerifier:
    @pytest.fixture
    def verifier(self, embedder: SentenceTransformerEmbedder) -> CitationVerifier:
        return CitationVerifier(embedder, VerificationSettings())

    def test_verbatim_sentences_are_verified_and_snippets_quote_them(
        self, verifier: CitationVerifier
    ) -> None:
        passages = {1: hit(1, ECA, "eca")}
        out = verifier.verify(
            "It represents more than 900 cluster organisations [1].", passages, False
        )
        assert out.support == 1.0 and out.flagged == [] and out.dropped_citations == 0
        assert out.citations[0].verified
        assert out.citations[0].snippet == "It represents more than 900 cluster organisations."

    def test_paraphrase_is_verified_but_a_changed_figure_is_not(
        self, verifier: CitationVerifier
    ) -> None:
        passages = {1: hit(1, ECA, "eca")}
        good = verifier.verify(
            "The alliance represents more than 900 cluster organisations [1].", passages, True
        )
        assert good.support == 1.0
        bad = verifier.verify(
            "The alliance represents more than 700 cluster organisations [1].", passages, True
        )
        assert bad.support == 0.0 and bad.answer == "" and bad.dropped_citations == 1

    def test_wrong_citation_is_repaired_and_numbers_made_contiguous(
        self, verifier: CitationVerifier
    ) -> None:
        passages = {1: hit(1, AVIATION, "aviation"), 2: hit(2, ECA, "eca"), 3: hit(3, "x y", "z")}
        out = verifier.verify(
            "Those organisations stand for 150,000 of the most innovative businesses in Europe "
            "[1]. Aviation Valley is located in south-eastern Poland, near Rzeszów [7].",
            passages,
            True,
        )
        assert out.answer.count("[1]") == 1 and out.answer.count("[2]") == 1
        assert [(c.n, c.doc_id) for c in out.citations] == [(1, "eca"), (2, "aviation")]
        assert out.support == 1.0

    def test_unsupported_sentence_is_dropped_or_flagged(
        self, embedder: SentenceTransformerEmbedder
    ) -> None:
        passages = {1: hit(1, ECA, "eca")}
        text = (
            "It represents more than 900 cluster organisations [1]. Its president is Jane Doe [1]."
        )
        dropped = CitationVerifier(embedder, VerificationSettings()).verify(text, passages, True)
        assert "Jane" not in dropped.answer and dropped.flagged == ["Its president is Jane Doe."]
        assert dropped.support == 0.5
        flagged = CitationVerifier(embedder, VerificationSettings(unsupported="flag")).verify(
            text, passages, True
        )
        assert flagged.answer.endswith("Its president is Jane Doe (unverified).")
