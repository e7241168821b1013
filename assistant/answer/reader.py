"""The reader: a small cross-encoder that scores whether a text answers a question.

Distilled offline (`cluster-assistant reader train`, see `assistant/models/reader/README.md`) from
the packaged Qwen's judgements and ClapNQ's human labels into the first layers of the packaged
all-MiniLM-L6-v2; it ships in the repository and loads lazily, offline, like the embedder.
A candidate is shown with its document's title and heading (`pair_text`), as in training.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ModelLoadError
from assistant.settings import PROJECT_ROOT

READER_DIR = PROJECT_ROOT / "assistant" / "models" / "reader"
MAX_LENGTH = 128  # word pieces per (question, candidate) pair


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

    def scores(self, question: str, candidates: Sequence[str]) -> np.ndarray:
        """P(the candidate answers the question), one per candidate."""
        if not candidates:
            return np.zeros(0, dtype=np.float32)
        self.warm_up()
        pairs = [(question, text) for text in candidates]
        result = self._model.predict(
            pairs, batch_size=self._batch_size, show_progress_bar=False, convert_to_numpy=True
        )
        return np.asarray(result, dtype=np.float32).reshape(-1)
