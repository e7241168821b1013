"""The bi-encoder reader with a stand-in embedder (unit): cosine scores, stored unit vectors."""

from collections.abc import Sequence

import numpy as np
import pytest

from assistant.answer.reader import BiEncoderReader

pytestmark = pytest.mark.unit


class CountingEmbedder:
    """Unit vectors along a text's first letter; counts the texts it encodes."""

    name = "counting"

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def warm_up(self) -> None: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded.extend(texts)
        rows = np.zeros((len(texts), 26), dtype=np.float32)
        for i, text in enumerate(texts):
            rows[i, ord(text[0].lower()) - ord("a")] = 1.0
        return rows

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def test_scores_are_the_cosine_of_question_and_candidate() -> None:
    reader = BiEncoderReader(CountingEmbedder())  # type: ignore[arg-type]
    scores = reader.scores("budget?", ["Budgets rose.", "Members pay.", "budget lines"])
    assert scores.dtype == np.float32
    assert scores.tolist() == [1.0, 0.0, 1.0]
    assert reader.scores("q", []).shape == (0,)


def test_units_with_stored_vectors_are_not_encoded() -> None:
    embedder = CountingEmbedder()
    stored = {("c1", 0): np.eye(26, dtype=np.float32)[1]}  # "b"

    def lookup(chunk_ids: Sequence[str]) -> dict[tuple[str, int], np.ndarray]:
        assert list(chunk_ids) == ["c1"]
        return stored

    reader = BiEncoderReader(embedder, lookup)  # type: ignore[arg-type]
    scores = reader.scores("budget?", ["ignored text", "beta"], keys=[("c1", 0), ("c1", 1)])
    assert scores.tolist() == [1.0, 1.0]  # the stored vector wins over the text
    assert embedder.encoded == ["budget?", "beta"]  # only the unit without a vector


def test_the_bi_encoder_reads_the_text_alone() -> None:
    assert BiEncoderReader.shown("Doc", "Budget", "The budget is 2 M.") == "The budget is 2 M."
