"""The reader: a small model that scores whether a text answers a question.

Two kinds (`reader.kind`), both loaded lazily and offline like the embedder:
- `bi-encoder` (`BiEncoderReader`): the packaged all-MiniLM-L6-v2 fine-tuned on ClapNQ's human
  labels (`cluster-assistant reader train-bi`, model card in `assistant/models/reader/README.md`);
  its score is the cosine of the question and the candidate; answer units are encoded at ingest
  (stored beside the embedder's), so reading costs one encoding of the question;
- `cross-encoder` (`CrossEncoderReader`): a student distilled into the first layers of the same
  model (`cluster-assistant reader train`); measured below cosine, none ships.
Each reader shows a candidate as it was trained on it (`shown`): the cross-encoder with its
document's title and heading (`pair_text`), the bi-encoder as the text alone.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.answer.units import UnitVectorLookup, unit_matrix
from assistant.embedder import Embedder
from assistant.errors import ModelLoadError
from assistant.settings import PROJECT_ROOT

READER_DIR = PROJECT_ROOT / "assistant" / "models" / "reader"
MAX_LENGTH = 128  # word pieces per (question, candidate) pair


class Reader(Protocol):
    """What the composer and the reader ranker need from a reader: how it wants a candidate
    shown, and a score per candidate (higher: answers better). `keys` are the candidates'
    (chunk id, unit index) when they are answer units, so stored vectors can serve them."""

    def warm_up(self) -> None: ...

    def shown(self, title: str, section: str | None, text: str) -> str: ...

    def scores(
        self,
        question: str,
        candidates: Sequence[str],
        keys: Sequence[tuple[str, int]] | None = None,
    ) -> np.ndarray: ...


def pair_text(title: str, section: str | None, text: str) -> str:
    """A candidate as the reader sees it: where it comes from, then the text."""
    where = f"{title} — {section}" if section else title
    return f"{where}: {text}"


class CrossEncoderReader:
    """P(answers) for (question, candidate) pairs from the distilled cross-encoder."""

    def __init__(self, path: Path = READER_DIR, batch_size: int = 32) -> None:
        self._path = path
        self._batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        """Whether the model files are present."""
        return (self._path / "config.json").is_file()

    @staticmethod
    def shown(title: str, section: str | None, text: str) -> str:
        """A candidate as this reader was trained to see it: with where it comes from."""
        return pair_text(title, section, text)

    def warm_up(self) -> None:
        """Load the model now rather than on first use."""
        with self._lock:
            if self._model is not None:
                return
            if not self.available:
                raise ModelLoadError(f"the reader model is missing at {self._path}")
            import torch
            from sentence_transformers import CrossEncoder

            self._model = CrossEncoder(
                str(self._path),
                max_length=MAX_LENGTH,
                device="cpu",
                local_files_only=True,
                model_kwargs={"dtype": torch.float32},
            )

    def scores(
        self,
        question: str,
        candidates: Sequence[str],
        keys: Sequence[tuple[str, int]] | None = None,
    ) -> np.ndarray:
        """P(the candidate answers the question), one per candidate (`keys` are not needed)."""
        if not candidates:
            return np.zeros(0, dtype=np.float32)
        self.warm_up()
        pairs = [(question, text) for text in candidates]
        result = self._model.predict(
            pairs, batch_size=self._batch_size, show_progress_bar=False, convert_to_numpy=True
        )
        return np.asarray(result, dtype=np.float32).reshape(-1)


class BiEncoderReader:
    """Cosine of question and candidate under the reader's own sentence embedder.

    Answer units come with their (chunk id, unit index) keys: their vectors are read from the
    store (`lookup`, written at ingest) and only units without one are encoded. Candidates
    without keys are encoded on the spot.
    """

    def __init__(self, embedder: Embedder, lookup: UnitVectorLookup | None = None) -> None:
        self._embedder = embedder
        self._lookup = lookup

    def warm_up(self) -> None:
        """Load the reader's embedder now rather than on first use."""
        self._embedder.warm_up()

    @staticmethod
    def shown(title: str, section: str | None, text: str) -> str:
        """A candidate as this reader was trained to see it: the text alone (on ClapNQ a title
        in front lowered held-out unit AUC, 0.861 → 0.837 on the dev half it learnt from)."""
        return text

    def scores(
        self,
        question: str,
        candidates: Sequence[str],
        keys: Sequence[tuple[str, int]] | None = None,
    ) -> np.ndarray:
        """Cosine similarity (-1..1) of the question and each candidate."""
        if not candidates:
            return np.zeros(0, dtype=np.float32)
        asked = self._embedder.embed([question])[0]
        if keys is None:
            vectors = self._embedder.embed(list(candidates))
        else:
            rows = [(cid, index, text) for (cid, index), text in zip(keys, candidates, strict=True)]
            vectors = unit_matrix(self._embedder, self._lookup, rows)
        return np.asarray(vectors @ asked, dtype=np.float32)
