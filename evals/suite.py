"""Resolve a dataset name to an assistant over the right store and the cases to ask."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.container import Container
from assistant.embedder import SentenceTransformerEmbedder
from assistant.settings import Settings
from evals import clapnq, pdf_stress, real_policy
from evals.datasets import (
    GOLD_PATH,
    REAL_POLICY_PATH,
    EvalCase,
    is_beir,
    load_beir,
    load_jsonl,
    write_passages,
)
from evals.errors import DatasetUnavailable
from evals.splits import check, select
from ingest.documents import slugify
from ingest.pipeline import Ingestor, IngestReport


def answering_with(container: Container, **answer: Any) -> Container:
    """A container over the same store whose answer settings take `answer` (e.g. `scorer`,
    `scorer_dir`), sharing the loaded embedder."""
    settings = container.settings
    scoped = Container(
        settings.model_copy(update={"answer": settings.answer.model_copy(update=answer)})
    )
    scoped.__dict__["embedder"] = container.embedder
    return scoped


def closed_corpus_container(
    settings: Settings, embedder: SentenceTransformerEmbedder, name: str, corpus: Path | None = None
) -> tuple[Container, Path]:
    """A container over a store of its own (DATA_DIR/evals/<name>) and the folder it ingests.

    That folder is `corpus`, read in place (nothing is copied), or, without one,
    DATA_DIR/evals/<name>/passages for the caller to fill.
    """
    data_dir = settings.data_dir / "evals" / name
    folder = corpus if corpus is not None else data_dir / "passages"
    scoped = settings.model_copy(
        update={
            "data_dir": data_dir,
            "ingest": settings.ingest.model_copy(update={"corpus_paths": [folder]}),
        }
    )
    container = Container(scoped)
    container.__dict__["embedder"] = embedder
    return container, folder


def ingest_closed_corpus(container: Container) -> IngestReport:
    """Bring the closed corpus's store in step with its files (incremental: unchanged files cost
    a hash)."""
    return Ingestor.for_container(container).run()


def load_real_policy(
    container: Container, folder: Path | None = None, cases: Path = REAL_POLICY_PATH
) -> tuple[Container, list[EvalCase]]:
    """The real-document benchmark: the PDFs in `folder` (default `real_policy.DEFAULT_DIR`)
    ingested in place into DATA_DIR/evals/real-policy, and the questions in `cases`."""
    folder = real_policy.DEFAULT_DIR if folder is None else folder
    if not real_policy.available(folder):
        raise DatasetUnavailable(f"real-policy PDFs not found in {folder}")
    scoped, _ = closed_corpus_container(
        container.settings, container.embedder, real_policy.NAME, corpus=folder
    )
    ingest_closed_corpus(scoped)
    return scoped, real_policy.load_cases(cases)


def load_pdf_stress(container: Container) -> tuple[Container, list[EvalCase]]:
    """The stress collection: its PDFs ingested in place into DATA_DIR/evals/pdf-stress."""
    if not pdf_stress.available():
        raise DatasetUnavailable(f"pdf-stress PDFs not found in {pdf_stress.DEFAULT_DIR}")
    scoped, _ = closed_corpus_container(
        container.settings, container.embedder, pdf_stress.NAME, corpus=pdf_stress.DEFAULT_DIR
    )
    ingest_closed_corpus(scoped)
    return scoped, pdf_stress.load_cases()


def load_gold(container: Container) -> tuple[Container, list[EvalCase]]:
    """The starter corpus ingested into a store of its own (DATA_DIR/evals/gold), whatever the
    main store holds, and the gold questions."""
    corpus = container.settings.ingest.corpus_paths[0]
    scoped, _ = closed_corpus_container(container.settings, container.embedder, "gold", corpus)
    ingest_closed_corpus(scoped)
    return scoped, load_jsonl(GOLD_PATH)


def _load_all(dataset: str, container: Container) -> tuple[Container, list[EvalCase]]:
    if dataset == "clapnq":
        if not clapnq.available():
            raise DatasetUnavailable(f"ClapNQ files not found in {clapnq.DEFAULT_DIR}")
        scoped, folder = closed_corpus_container(container.settings, container.embedder, "clapnq")
        clapnq.write_corpus(clapnq.DEFAULT_DIR, folder)
        ingest_closed_corpus(scoped)
        return scoped, clapnq.load_cases()
    if dataset == real_policy.NAME:
        return load_real_policy(container)
    if dataset == pdf_stress.NAME:
        return load_pdf_stress(container)
    if dataset == "gold":  # the starter corpus in a store of its own, as every collection
        return load_gold(container)
    path = Path(dataset)
    if path.is_dir() and is_beir(path):
        passages, cases = load_beir(path)
        name = "beir-" + slugify(path.resolve().name)
        scoped, folder = closed_corpus_container(container.settings, container.embedder, name)
        write_passages(passages, folder, source=path.name)
        ingest_closed_corpus(scoped)
        return scoped, cases
    if not path.is_file():
        raise DatasetUnavailable(f"no such dataset: {path}")
    return container, load_jsonl(path)


def load(
    dataset: str, container: Container, limit: int | None = None, half: str = "all"
) -> tuple[Container, list[EvalCase]]:
    """The container to evaluate and the cases, for `gold`, `clapnq`, `real-policy`, a JSONL
    path or a BEIR-style folder: the cases of `half` (`all`, `dev` or `test`, `evals.splits`),
    then the first `limit` of them (ClapNQ's alternate answerable and unanswerable)."""
    check(half)
    scoped, cases = _load_all(dataset, container)
    return scoped, select(cases, half, key=lambda case: case.id)[: limit or None]
