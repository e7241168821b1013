import pytest

from evals.citations import CitedSentence, cited_sentences, score_citations

pytestmark = pytest.mark.unit


class KeywordJudge:
    """Supports a claim when every capitalised word of it appears in the passages."""

    def supports(self, passages: list[str], claim: str) -> bool:
        text = " ".join(passages)
        return all(w in text for w in claim.replace(".", "").split() if w[:1].isupper())


def test_sentences_and_their_citations() -> None:
    answer = "Alpha is here [1]. Beta and Gamma [1][2]. Trailing claim\n- Item Delta [3]."
    assert cited_sentences(answer) == [
        CitedSentence("Alpha is here.", (1,)),
        CitedSentence("Beta and Gamma.", (1, 2)),
        CitedSentence("Trailing claim", ()),
        CitedSentence("Item Delta.", (3,)),
    ]


def test_recall_and_precision() -> None:
    passages = {1: "Alpha Beta", 2: "Gamma", 3: "Epsilon"}
    answer = "Alpha is here [1]. Beta and Gamma [1][2]. Uncited Zeta. Item Delta [3]."
    recall, precision, calls = score_citations(answer, passages, KeywordJudge())
    # Supported: sentence 1 and 2 (union of 1 and 2); not: the uncited one, Delta.
    assert recall == pytest.approx(2 / 4)
    # Citations: [1] precise, [1] and [2] both needed in sentence 2, [3] unsupported.
    assert precision == pytest.approx(3 / 4)
    assert calls > 0


def test_redundant_citation_is_imprecise() -> None:
    passages = {1: "Alpha", 2: "Alpha"}
    recall, precision, _ = score_citations("Alpha [1][2].", passages, KeywordJudge())
    assert recall == 1.0 and precision == 1.0  # each alone supports: both count as precise
    passages = {1: "Alpha", 2: "unrelated"}
    _, precision, _ = score_citations("Alpha [1][2].", passages, KeywordJudge())
    assert precision == 0.5
