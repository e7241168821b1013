"""Answer-unit vectors come from the store; only units it lacks are embedded (and that is said)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from assistant.answer import units as units_module
from assistant.answer.units import unit_matrix

pytestmark = pytest.mark.unit


class CountingEmbedder:
    """A fake model: the vector of a text is [len(text), 0]."""

    name = "fake"

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def warm_up(self) -> None:
        return None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded += list(texts)
        return np.array([[float(len(t)), 0.0] for t in texts], dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def test_stored_vectors_are_used_and_nothing_is_embedded() -> None:
    stored = {("c1", 0): np.array([1.0, 1.0]), ("c2", 3): np.array([2.0, 2.0])}
    model = CountingEmbedder()
    matrix = unit_matrix(model, lambda ids: stored, [("c2", 3, "b"), ("c1", 0, "a")])
    assert matrix.tolist() == [[2.0, 2.0], [1.0, 1.0]] and model.embedded == []


def test_units_the_store_lacks_are_embedded_in_place_and_logged_once(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(units_module, "_warned", False)
    stored = {("c1", 0): np.array([1.0, 1.0])}
    model = CountingEmbedder()
    keys = [("c1", 0, "a"), ("c1", 1, "three"), ("c9", 0, "xy")]
    with caplog.at_level("WARNING", logger="assistant.answer.units"):
        matrix = unit_matrix(model, lambda ids: stored, keys)
        unit_matrix(model, lambda ids: stored, keys)
    assert matrix.tolist() == [[1.0, 1.0], [5.0, 0.0], [2.0, 0.0]]
    assert model.embedded == ["three", "xy", "three", "xy"]
    assert len([r for r in caplog.records if "--rebuild" in r.getMessage()]) == 1
