"""The embedder's question fast path (LRU cache, micro-batching) and its ONNX backends."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.embedder import MicroBatcher, QueryCache, SentenceTransformerEmbedder
from assistant.errors import ModelLoadError
from assistant.settings import EmbeddingSettings
from tests.conftest import Stack


class SlowEncoder:
    """A fake model: one row per text (its length), slow enough for requests to queue."""

    def __init__(self, delay: float = 0.05) -> None:
        self.calls: list[list[str]] = []
        self.delay = delay

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        time.sleep(self.delay)
        return np.array([[float(len(t)), 1.0] for t in texts], dtype=np.float32)


def ask_concurrently(batcher: MicroBatcher, questions: list[list[str]]) -> list[np.ndarray]:
    results: list[np.ndarray | None] = [None] * len(questions)

    def ask(n: int) -> None:
        results[n] = batcher(questions[n])

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(len(questions))]
    for thread in threads:
        thread.start()
        time.sleep(0.002)
    for thread in threads:
        thread.join()
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


@pytest.mark.unit
def test_a_lone_question_is_encoded_at_once_and_alone() -> None:
    encoder = SlowEncoder(delay=0)
    batcher = MicroBatcher(encoder, max_texts=32)
    assert batcher(["a question", "an earlier turn"]).shape == (2, 2)
    assert encoder.calls == [["a question", "an earlier turn"]] and batcher.encodings == 1


@pytest.mark.unit
def test_questions_arriving_while_the_model_is_busy_share_one_encoding() -> None:
    encoder = SlowEncoder()
    batcher = MicroBatcher(encoder, max_texts=32)
    questions = [["q" * n] for n in range(1, 11)] + [["with", "history"]]
    results = ask_concurrently(batcher, questions)
    for texts, vectors in zip(questions, results, strict=True):
        assert vectors[:, 0].tolist() == [len(t) for t in texts]  # each gets its own rows
    assert batcher.encodings < len(questions) / 2
    assert sum(len(call) for call in encoder.calls) == sum(len(q) for q in questions)


@pytest.mark.unit
def test_a_batch_never_exceeds_its_size() -> None:
    encoder = SlowEncoder()
    results = ask_concurrently(MicroBatcher(encoder, max_texts=3), [["x"] for _ in range(9)])
    assert len(results) == 9 and max(len(call) for call in encoder.calls) <= 3


@pytest.mark.unit
def test_a_failed_encoding_fails_every_request_in_it() -> None:
    def broken(texts: list[str]) -> np.ndarray:
        raise ModelLoadError("no model")

    with pytest.raises(ModelLoadError, match="no model"):
        MicroBatcher(broken, max_texts=8)(["q"])


@pytest.mark.unit
def test_query_cache_keeps_the_most_recent_calls_and_hands_out_copies() -> None:
    cache = QueryCache(size=2)
    cache.put(("a",), np.ones((1, 2), dtype=np.float32))
    cache.put(("b",), np.zeros((1, 2), dtype=np.float32))
    got = cache.get(("a",))  # "a" becomes the most recent
    assert got is not None
    got[:] = 5  # the caller's copy, not the cached rows
    cache.put(("c",), np.zeros((1, 2), dtype=np.float32))
    assert cache.get(("b",)) is None and len(cache) == 2
    again = cache.get(("a",))
    assert again is not None and again.tolist() == [[1.0, 1.0]]
    empty = QueryCache(size=0)
    empty.put(("a",), np.ones((1, 2), dtype=np.float32))
    assert empty.get(("a",)) is None


@pytest.mark.unit
def test_an_int8_model_has_its_own_name() -> None:
    """A store is never filled with vectors of both (the ingest fingerprint holds the name)."""
    torch_name = SentenceTransformerEmbedder(EmbeddingSettings()).name
    assert SentenceTransformerEmbedder(EmbeddingSettings(backend="onnx")).name == torch_name
    int8 = SentenceTransformerEmbedder(EmbeddingSettings(backend="onnx-int8")).name
    assert int8 == f"{torch_name}#int8"


@pytest.mark.integration
def test_a_repeated_question_costs_no_encoding(embedder: SentenceTransformerEmbedder) -> None:
    question = ["Which association represents Portugal? (asked twice)"]
    encodings = embedder.batches
    first = embedder.embed(question)
    assert embedder.batches == encodings + 1
    again = embedder.embed(question)
    assert embedder.batches == encodings + 1 and np.array_equal(first, again)
    passages = [f"passage {n}" for n in range(20)]  # ingestion: encoded directly, not cached
    embedder.embed(passages)
    assert embedder.batches == encodings + 1


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder in which the packaged model is exported once for this module."""
    pytest.importorskip("onnx", reason="the [onnx] extra is not installed")
    cache = tmp_path_factory.mktemp("models")
    SentenceTransformerEmbedder(EmbeddingSettings(backend="onnx"), cache).warm_up()
    return cache


@pytest.mark.integration
@pytest.mark.slow
def test_onnx_export_reproduces_the_torch_model(onnx_cache: Path, indexed: Stack) -> None:
    texts = [c.embedding_text for c in indexed.store.all_chunks()][:64]
    torch_model = SentenceTransformerEmbedder(EmbeddingSettings(backend="torch"), onnx_cache)
    reference = torch_model.embed(texts)
    fp32 = SentenceTransformerEmbedder(EmbeddingSettings(backend="onnx"), onnx_cache)
    int8 = SentenceTransformerEmbedder(EmbeddingSettings(backend="onnx-int8"), onnx_cache)
    assert float((fp32.embed(texts) * reference).sum(axis=1).min()) > 0.9999
    assert float((int8.embed(texts) * reference).sum(axis=1).min()) > 0.97
    assert fp32.dimension == 384 and fp32.max_tokens == 256
    assert fp32.count_tokens("cluster policy") == torch_model.count_tokens("cluster policy")


@pytest.mark.integration
@pytest.mark.slow
def test_onnx_export_is_done_once_and_never_left_half_written(onnx_cache: Path) -> None:
    (folder,) = (onnx_cache / "onnx").iterdir()
    assert not folder.name.startswith(".tmp-")
    stamp = (folder / "model.onnx").stat().st_mtime_ns
    again = SentenceTransformerEmbedder(EmbeddingSettings(backend="onnx-int8"), onnx_cache)
    again.warm_up()
    assert again.is_loaded and (folder / "model.onnx").stat().st_mtime_ns == stamp
    assert [p.name for p in (onnx_cache / "onnx").iterdir()] == [folder.name]


@pytest.mark.unit
def test_an_int8_export_that_drifts_refuses_to_load(tmp_path: Path) -> None:
    from assistant.onnx_model import INT8_FILE, META_FILE, OnnxEncoder

    (tmp_path / META_FILE).write_text('{"model": "tuned", "int8_cosine": 0.95}')
    with pytest.raises(ModelLoadError, match="int8 export of tuned does not reproduce"):
        OnnxEncoder(tmp_path, INT8_FILE)


@pytest.mark.unit
def test_a_local_model_is_named_by_its_folder_and_a_digest_of_its_weights(tmp_path: Path) -> None:
    folder = tmp_path / "tuned"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"weights v1")
    (folder / "README.md").write_text("card")
    first = SentenceTransformerEmbedder(EmbeddingSettings(model=str(folder))).name
    assert first.startswith("tuned@") and len(first) == len("tuned@") + 8
    (folder / "README.md").write_text("another card")  # not weights: same name
    assert SentenceTransformerEmbedder(EmbeddingSettings(model=str(folder))).name == first
    (folder / "model.safetensors").write_bytes(b"weights v2")  # retrained in place
    assert SentenceTransformerEmbedder(EmbeddingSettings(model=str(folder))).name != first
