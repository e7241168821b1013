"""The learned scorer's model file, the blend, and the answerability rules (unit)."""

from pathlib import Path

import numpy as np
import pytest

from assistant.answer.answerability import (
    QUESTION_FEATURES,
    LearnedAnswerability,
    summarise,
)
from assistant.answer.features import UNIT_FEATURES, plural_question
from assistant.answer.scoring import ANSWERABLE_MODEL, SCORER_DIR, UNIT_MODEL, LinearModel
from assistant.errors import ModelLoadError
from assistant.settings import AnswerSettings

pytestmark = pytest.mark.unit


def model(features: tuple[str, ...], coef: list[float], threshold: float = 0.5) -> LinearModel:
    n = len(features)
    return LinearModel(
        features, np.zeros(n), np.ones(n), np.array(coef, dtype=float), 0.0, threshold
    )


def test_a_linear_model_round_trips_through_json_and_predicts(tmp_path: Path) -> None:
    m = model(("cosine", "terms"), [2.0, -1.0], threshold=0.42)
    m.save(tmp_path / "m.json")
    loaded = LinearModel.load(tmp_path / "m.json")
    assert loaded.features == ("cosine", "terms") and loaded.threshold == pytest.approx(0.42)
    # Columns are picked by name, whatever the matrix's order.
    matrix = np.array([[0.0, 1.0], [1.0, 0.0]])
    p = loaded.predict(matrix, ("terms", "cosine"))
    assert p[0] == pytest.approx(1 / (1 + np.exp(-2.0)))
    assert p[1] == pytest.approx(1 / (1 + np.exp(1.0)))
    assert loaded.contributions(np.array([0.0, 1.0]), ("terms", "cosine")) == {
        "cosine": 2.0,
        "terms": -0.0,
    }


def test_an_unreadable_model_names_the_command_that_rebuilds_it(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="make train-scorer"):
        LinearModel.load(tmp_path / "m.json")


def test_the_shipped_models_use_known_features() -> None:
    units = LinearModel.load(SCORER_DIR / UNIT_MODEL)
    answerable = LinearModel.load(SCORER_DIR / ANSWERABLE_MODEL)
    assert set(units.features) <= set(UNIT_FEATURES)
    assert set(answerable.features) <= set(QUESTION_FEATURES)
    assert 0.0 < answerable.threshold < 1.0
    assert (SCORER_DIR / "README.md").is_file()  # the card


def test_the_summary_of_a_reading_is_relative_to_its_best_unit() -> None:
    names = UNIT_FEATURES
    features = np.zeros((3, len(names)), dtype=np.float32)
    features[:, names.index("cosine")] = [0.2, 0.6, 0.4]
    features[1, names.index("gives_value")] = 1.0
    summary = summarise(np.array([0.1, 0.9, 0.5]), features, names, 0.7, 5, 0.25)
    assert summary["best"] == pytest.approx(0.9) and summary["second"] == pytest.approx(0.5)
    assert summary["best_gap"] == pytest.approx(0.9 - 0.5)
    assert summary["cosine_max"] == pytest.approx(0.6) and summary["value_found"] == 1.0
    assert summary["unknown"] == 2.0  # at most two unknown terms count
    assert summary["passage_top"] == pytest.approx(0.7) and summary["coverage_gap"] == 0.25
    empty = summarise(np.zeros(0), features[:0], names, 0.0, 0, 0.5)
    assert empty["best"] == 0.0 and empty["coverage_gap"] == 0.5


def test_learned_answerability_uses_the_models_threshold_unless_one_is_set(
    tmp_path: Path,
) -> None:
    path = tmp_path / ANSWERABLE_MODEL
    coef = [1.0 if f == "best" else 0.0 for f in QUESTION_FEATURES]
    model(QUESTION_FEATURES, coef, threshold=0.6).save(path)
    rule = LearnedAnswerability(path, AnswerSettings())
    assert rule.model.threshold == pytest.approx(0.6)
    strict = LearnedAnswerability(path, AnswerSettings(answerable_threshold=0.99))
    assert strict.model.threshold == pytest.approx(0.6)  # the setting overrides at decision


def test_a_plural_content_word_marks_a_question_that_may_want_several_things() -> None:
    assert plural_question("Which clusters work on water?")
    assert not plural_question("What is the process?")  # -ss is no plural


def test_a_name_the_best_passages_never_mention_is_missing() -> None:
    from assistant.answer.answerability import names_missing
    from assistant.types import Chunk, ScoredChunk

    chunk = Chunk(
        id="c0", text="The Alliance met in Heilbronn in 2024.", doc_id="d", title="Events",
        doc_type="other", source="s", source_path="x.md", position=0, section="Dates",
    )  # fmt: skip
    hits = [ScoredChunk(chunk, 0.8, 0)]
    assert names_missing("When did the Alliance meet in Heilbronn?", hits) == 0.0
    assert names_missing("Who won the 2022 FIFA World Cup?", hits) == 1.0
    assert names_missing("When did the Alliance meet in Palma?", hits) == 0.5
    assert names_missing("when did they meet?", hits) == 0.0  # nothing named


def test_a_unit_that_defines_the_asked_term_is_marked() -> None:
    from assistant.answer.features import _defines
    from assistant.answer.reading import Unit
    from assistant.types import Chunk, ScoredChunk

    chunk = Chunk(
        id="c0", text="", doc_id="d", title="T", doc_type="other", source="s",
        source_path="x.md", position=0,
    )  # fmt: skip
    hit = ScoredChunk(chunk, 0.8, 0)
    units = [
        Unit("Smart specialisation is a place-based approach to innovation.", hit, 0, False),
        Unit("Regions use smart specialisation to set priorities.", hit, 1, False),
    ]

    class Words:
        def terms_of_each(self, texts: list[str]) -> list[set[str]]:
            return [set(t.lower().split()) for t in texts]

        def covered(self, weights: dict[str, float], present: set[str]) -> float:
            return sum(w for t, w in weights.items() if t in present) / sum(weights.values())

        def matches(self, term: str, present: set[str]) -> bool:
            return term in present

    weights = {"smart": 1.0, "specialisation": 2.0}
    assert list(_defines(units, Words(), weights)) == [1.0, 0.0]  # type: ignore[arg-type]
