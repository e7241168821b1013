"""The reader with real parts: a student built from the packaged MiniLM, saved in half precision
as training saves it, loaded offline by `CrossEncoderReader` (integration)."""

from pathlib import Path

import numpy as np
import pytest

from assistant.answer.reader import CrossEncoderReader, pair_text
from assistant.errors import ModelLoadError
from evals.reader.train import student

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def saved_student(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reader")
    model = student(2)
    model.model.half()
    model.save_pretrained(str(folder), safe_serialization=True)
    return folder


def test_a_saved_student_loads_offline_and_scores_every_pair(saved_student: Path) -> None:
    reader = CrossEncoderReader(saved_student, batch_size=2)
    assert reader.available
    texts = [pair_text("Doc", "Budget", "The budget is 2 million euros."), "Doc: Members pay."]
    scores = reader.scores("What is the budget?", texts * 3)
    assert scores.shape == (6,) and scores.dtype == np.float32
    assert np.all((scores >= 0) & (scores <= 1))  # probabilities
    assert np.allclose(scores[:2], scores[2:4], atol=1e-5)  # deterministic across batches
    assert reader.scores("q", []).shape == (0,)


def test_a_missing_reader_is_a_clear_error(tmp_path: Path) -> None:
    reader = CrossEncoderReader(tmp_path / "absent")
    assert not reader.available
    with pytest.raises(ModelLoadError, match="reader model is missing"):
        reader.warm_up()
