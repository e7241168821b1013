"""Reading across languages: a question–passage pair that is not English on both sides is
scored with the multilingual model, its similarities mapped onto the English model's scales.

all-MiniLM-L6-v2 (dense search, unit cosines) and the reader are English models: between a
French question and an English sentence their cosines say little. For those pairs the unit's
`cosine` and `reader` features and its passage's score come from multilingual-e5-small
instead, through linear maps fitted where both models are meaningful — English questions over
English units of the dev halves (`training/multilingual`, card in
`assistant/models/multilingual/README.md`) — so the learned scorer and answerability read them
on the scale they were fitted on. English pairs are scored exactly as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from assistant.language import normalise
from assistant.multilingual import E5Embedder
from assistant.types import ScoredChunk

CALIBRATION_PATH = (
    Path(__file__).resolve().parents[1] / "models" / "multilingual" / "calibration.json"
)
ENGLISH = "en"

UnitLookup = Callable[[Sequence[str], str], Mapping[tuple[str, int], np.ndarray]]
ChunkLookup = Callable[[Sequence[str], str], Mapping[str, np.ndarray]]


@dataclass(frozen=True)
class Calibration:
    """`target ≈ slope · e5 cosine + intercept` for each mapped score."""

    maps: dict[str, tuple[float, float]]

    @classmethod
    def load(cls, path: Path = CALIBRATION_PATH) -> Calibration:
        """The fitted maps (identity when the file is absent)."""
        if not path.is_file():
            return cls({})
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls({k: (float(v["slope"]), float(v["intercept"])) for k, v in data["maps"].items()})

    def apply(self, name: str, values: np.ndarray) -> np.ndarray:
        """`values` (e5 cosines) on the scale of `name` (`cosine`, `reader`, `passage`)."""
        slope, intercept = self.maps.get(name, (1.0, 0.0))
        return (slope * values + intercept).astype(values.dtype)


def language_of(hit: ScoredChunk) -> str:
    """A passage's language code (English when the store does not say)."""
    return normalise(hit.chunk.language) or ENGLISH


def crossing(question_language: str, hits: Sequence[ScoredChunk]) -> np.ndarray:
    """Per hit: whether the pair is not English on both sides."""
    if question_language != ENGLISH:
        return np.ones(len(hits), dtype=bool)
    return np.array([language_of(h) != ENGLISH for h in hits], dtype=bool)


class CrossLingual:
    """Multilingual similarities for the pairs the English models cannot score."""

    def __init__(
        self,
        model: E5Embedder,
        units: UnitLookup,
        chunks: ChunkLookup,
        calibration_path: Path = CALIBRATION_PATH,
    ) -> None:
        self._model = model
        self._units = units
        self._chunks = chunks
        self._path = calibration_path

    @cached_property
    def calibration(self) -> Calibration:
        """The fitted maps (read once)."""
        return Calibration.load(self._path)

    def warm_up(self) -> None:
        """Load the model and the maps now."""
        self._model.warm_up()
        _ = self.calibration

    def hits(self, question: str, language: str, hits: list[ScoredChunk]) -> list[ScoredChunk]:
        """`hits` with the crossing ones' scores from the multilingual model."""
        cross = crossing(language, hits)
        if not cross.any():
            return hits
        asked = self._model.embed_queries([question])[0]
        wanted = [h.chunk.id for h, c in zip(hits, cross, strict=True) if c]
        stored = self._chunks(wanted, self._model.name)
        missing = [h for h, c in zip(hits, cross, strict=True) if c and h.chunk.id not in stored]
        fresh = self._model.embed_passages([h.chunk.embedding_text for h in missing])
        vectors = {**stored, **{h.chunk.id: v for h, v in zip(missing, fresh, strict=True)}}
        out = []
        for hit, c in zip(hits, cross, strict=True):
            if c:
                sim = np.array([float(vectors[hit.chunk.id] @ asked)], dtype=np.float32)
                hit = replace(hit, score=float(self.calibration.apply("passage", sim)[0]))
            out.append(hit)
        return out

    def units(
        self, question: str, keys: Sequence[tuple[str, int, str]], cross: np.ndarray
    ) -> dict[str, np.ndarray]:
        """For the crossing units (`cross`, one per key): their `cosine` and `reader` values."""
        rows = [k for k, c in zip(keys, cross, strict=True) if c]
        if not rows:
            return {}
        asked = self._model.embed_queries([question])[0]
        sims = (self._unit_vectors(rows) @ asked).astype(np.float32)
        return {name: self.calibration.apply(name, sims) for name in ("cosine", "reader")}

    def similarities(
        self, claims: Sequence[str], keys: Sequence[tuple[str, int, str]]
    ) -> np.ndarray:
        """Claims × passage units (chunk id, unit index, text), on the English model's cosine
        scale: verification of sentences written in another language than their passage."""
        if not claims or not keys:
            return np.zeros((len(claims), len(keys)), dtype=np.float32)
        asked = self._model.embed_queries(list(claims))
        sims = (asked @ self._unit_vectors(keys).T).astype(np.float32)
        return self.calibration.apply("cosine", sims)

    def _unit_vectors(self, keys: Sequence[tuple[str, int, str]]) -> np.ndarray:
        """The multilingual vectors of units (chunk id, unit index, text), one row per key:
        stored at ingest, else encoded now."""
        stored = self._units(sorted({cid for cid, _, _ in keys}), self._model.name)
        missing = [text for cid, index, text in keys if (cid, index) not in stored]
        fresh = iter(self._model.embed_passages(missing)) if missing else iter(())
        return np.vstack(
            [
                stored[(cid, index)] if (cid, index) in stored else next(fresh)
                for cid, index, _ in keys
            ]
        )
