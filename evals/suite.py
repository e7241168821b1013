"""Resolve a dataset name to an assistant over the right store and the cases to ask."""

from __future__ import annotations

from pathlib import Path

from assistant.container import Container
from assistant.embedder import SentenceTransformerEmbedder
from assistant.settings import Settings
from evals import clapnq
from evals.datasets import GOLD_PATH, EvalCase, is_beir, load_beir, load_jsonl, write_passages
from evals.errors import DatasetUnavailable
from ingest.documents import slugify
from ingest.pipeline import Ingestor


def closed_corpus_container(
    settings: Settings, embedder: SentenceTransformerEmbedder, name: str
) -> tuple[Container, Path]:
    """A container over a store of its own (DATA_DIR/evals/<name>) and the folder to fill."""
    data_dir = settings.data_dir / "evals" / name
    passages = data_dir / "passages"
    scoped = settings.model_copy(
        update={
            "data_dir": data_dir,
            "ingest": settings.ingest.model_copy(update={"corpus_paths": [passages]}),
        }
    )
    container = Container(scoped)
    container.__dict__["embedder"] = embedder
    return container, passages


def ingest_closed_corpus(container: Container) -> None:
    """Bring the closed corpus's store in step with its passage files (incremental)."""
    Ingestor(container.settings, container.embedder, container.store).run()


def load(
    dataset: str, container: Container, limit: int | None = None
) -> tuple[Container, list[EvalCase]]:
    """The container to evaluate and the cases, for `gold`, `clapnq` or a JSONL path."""
    if dataset == "clapnq":
        if not clapnq.available():
            raise DatasetUnavailable(f"ClapNQ files not found in {clapnq.DEFAULT_DIR}")
        scoped, folder = closed_corpus_container(container.settings, container.embedder, "clapnq")
        clapnq.write_corpus(clapnq.DEFAULT_DIR, folder)
        ingest_closed_corpus(scoped)
        return scoped, clapnq.load_cases(limit=limit)
    path = GOLD_PATH if dataset == "gold" else Path(dataset)
    if path.is_dir() and is_beir(path):
        passages, cases = load_beir(path)
        name = "beir-" + slugify(path.resolve().name)
        scoped, folder = closed_corpus_container(container.settings, container.embedder, name)
        write_passages(passages, folder, source=path.name)
        ingest_closed_corpus(scoped)
        return scoped, cases[: limit or None]
    if not path.is_file():
        raise DatasetUnavailable(f"no such dataset: {path}")
    return container, load_jsonl(path)[: limit or None]
