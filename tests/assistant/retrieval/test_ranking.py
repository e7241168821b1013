"""The ranking stage with a stand-in reader (unit); the container's choice from settings."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant.container import Container
from assistant.retrieval.ranking import PassThroughRanker, ReaderRanker
from assistant.settings import Settings
from assistant.types import ScoredChunk
from tests.factories import chunk

pytestmark = pytest.mark.unit


class BudgetReader:
    def warm_up(self) -> None: ...

    def shown(self, title: str, section: str | None, text: str) -> str:
        return f"{title}: {text}"

    def scores(
        self,
        question: str,
        candidates: Sequence[str],
        keys: Sequence[tuple[str, int]] | None = None,
    ) -> np.ndarray:
        self.keys = list(keys or [])
        return np.array([1.0 if "budget" in c else 0.0 for c in candidates], dtype=np.float32)


def hit(text: str, score: float, rank: int) -> ScoredChunk:
    return ScoredChunk(chunk(text, rank, id=f"c{rank}", title="Doc"), score, rank)


def test_reader_ranker_brings_up_the_passage_that_answers() -> None:
    hits = [hit(f"filler {i}", 0.8 - i * 0.01, i) for i in range(7)]
    hits.append(hit("The budget is 2 million euros.", 0.6, 7))
    ranked = ReaderRanker(BudgetReader(), candidates=20, weight=0.5).rank("budget?", hits, 5)
    assert ranked[0].chunk.text.startswith("The budget")
    assert [h.rank for h in ranked] == list(range(5))
    assert ranked[0].score == pytest.approx(0.6)  # similarity kept as the score


def test_reader_ranker_only_rescores_its_candidates() -> None:
    hits = [hit(f"filler {i}", 0.8, i) for i in range(3)] + [hit("budget", 0.5, 3)]
    ranked = ReaderRanker(BudgetReader(), candidates=3, weight=0.9).rank("q", hits, 3)
    assert all("budget" not in h.chunk.text for h in ranked)


def test_container_picks_the_ranker_from_settings(tmp_path: Path) -> None:
    plain = Container(Settings(data_dir=tmp_path))
    assert isinstance(plain.ranker, PassThroughRanker)
    reading = Container(Settings(data_dir=tmp_path, ranking={"kind": "reader"}))  # type: ignore[arg-type]
    assert isinstance(reading.ranker, ReaderRanker)
    assert reading.ranker.candidates == 20


def test_a_passage_is_read_by_its_best_unit() -> None:
    """The reader scores sentences (what it learnt on), a passage takes its best one's score, and
    the units go with their keys so that stored reader vectors serve them."""
    reader = BudgetReader()
    hits = [
        hit("Members meet in May. Dues are paid yearly.", 0.8, 0),
        hit("The cluster was founded in 2001. Its budget is 2 million euros.", 0.7, 1),
    ]
    ranked = ReaderRanker(reader, candidates=20, weight=0.5).rank("budget?", hits, 2)
    assert [h.chunk.id for h in ranked] == ["c1", "c0"]
    assert reader.keys == [("c0", 0), ("c0", 1), ("c1", 0), ("c1", 1)]
