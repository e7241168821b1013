"""The readers with real parts: a cross-encoder student built from the packaged MiniLM, saved in
half precision as training saves it, loaded offline by `CrossEncoderReader`; the shipped
bi-encoder reader through the container (integration)."""

from pathlib import Path

import numpy as np
import pytest

from assistant.answer.reader import READER_DIR, BiEncoderReader, CrossEncoderReader, pair_text
from assistant.container import Container
from assistant.errors import ModelLoadError
from assistant.settings import Settings
from training.reader.train import student

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


def test_the_shipped_bi_encoder_reader_loads_offline_and_reads(tmp_path: Path) -> None:
    """The committed reader (half precision, under 50 MB, with its model card) through the
    container: the sentence that answers scores above one on the same topic that does not."""
    folder = READER_DIR
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert size <= 50 * 1024 * 1024
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "Apache-2.0" in card and "ClapNQ" in card
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    reader = Container(settings).reader
    assert isinstance(reader, BiEncoderReader)
    scores = reader.scores(
        "When was the cluster founded?",
        ["The cluster was founded in 2009 in Lyon.", "The cluster has 120 member companies."],
    )
    assert scores[0] > scores[1]
    crossing = settings.model_copy(
        update={"reader": settings.reader.model_copy(update={"kind": "cross-encoder"})}
    )
    assert isinstance(Container(crossing).reader, CrossEncoderReader)
