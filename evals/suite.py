"""Resolve a dataset name to an assistant over the right store and the cases to ask."""

from __future__ import annotations

from pathlib import Path

from assistant.container import Container
from assistant.embedder import SentenceTransformerEmbedder
from assistant.settings import Settings
from evals import clapnq
from evals.datasets import GOLD_PATH, EvalCase, load_jsonl
from ingest.pipeline import Ingestor


class DatasetUnavailable(Exception):
    """The dataset's files are not present (e.g. the shared datasets folder is missing)."""


def clapnq_container(settings: Settings, embedder: SentenceTransformerEmbedder) -> Container:
    """A container whose store holds the ClapNQ passages, ingested (incrementally) on demand."""
    if not clapnq.available():
        raise DatasetUnavailable(f"ClapNQ files not found in {clapnq.DEFAULT_DIR}")
    data_dir = settings.data_dir / "evals" / "clapnq"
    passages = data_dir / "passages"
    clapnq.write_corpus(clapnq.DEFAULT_DIR, passages)
    scoped = settings.model_copy(
        update={
            "data_dir": data_dir,
            "ingest": settings.ingest.model_copy(update={"corpus_paths": [passages]}),
        }
    )
    container = Container(scoped)
    container.__dict__["embedder"] = embedder
    Ingestor(scoped, embedder, container.store).run()
    return container


def load(
    dataset: str, container: Container, limit: int | None = None
) -> tuple[Container, list[EvalCase]]:
    """The container to evaluate and the cases, for `gold`, `clapnq` or a JSONL path."""
    if dataset == "clapnq":
        scoped = clapnq_container(container.settings, container.embedder)
        return scoped, clapnq.load_cases(limit=limit)
    path = GOLD_PATH if dataset == "gold" else Path(dataset)
    if not path.is_file():
        raise DatasetUnavailable(f"no such dataset: {path}")
    return container, load_jsonl(path)[: limit or None]
