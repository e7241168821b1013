"""Passages the reader learns from, and the units (sentences, list items) an answer may quote.

Three sources, all read in place: the starter corpus (our own sentences), the text layers of the
pdf-stress PDFs, and the ClapNQ passages of the dev half (the test half is never trained on). The
real-policy PDFs are never a source: they measure generalisation. Candidate texts are identified
by a hash (`text_key`), so labels are committed without copying outside text into the repository;
`unit_texts` rebuilds the hash → text map from the sources.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from assistant.embedder import Embedder
from assistant.settings import PROJECT_ROOT, Settings
from assistant.text import chunk_units
from evals import clapnq
from evals.splits import is_dev
from ingest.chunker import StructuredChunker
from ingest.errors import LoadError
from ingest.loaders import load_document

PDF_STRESS_DIR = PROJECT_ROOT.parent / "shared" / "datasets" / "pdf-stress"
SOURCES = ("corpus", "pdf-stress", "clapnq")


@dataclass(frozen=True)
class Passage:
    """One passage (a chunk of a document) of a source."""

    source: str
    doc: str
    key: str
    title: str
    section: str | None
    text: str

    @property
    def units(self) -> list[str]:
        """The sentences and list items an answer may quote from it."""
        return [u.text for u in chunk_units(self.text)]


def text_key(text: str) -> str:
    """A short, stable identifier of a text."""
    return hashlib.sha256(text.strip().encode()).hexdigest()[:16]


def _chunked(
    paths: list[Path], source: str, settings: Settings, embedder: Embedder
) -> Iterator[Passage]:
    chunker = StructuredChunker(
        embedder.count_tokens, settings.chunking.chunk_size, settings.chunking.chunk_overlap
    )
    for path in paths:
        try:
            doc = load_document(path, settings.ingest.pdf_timeout_s)
        except LoadError:
            continue  # encrypted, scanned or broken: nothing to read
        for chunk in chunker.chunk(doc, path.name):
            if chunk.navigation or not chunk.text.strip():
                continue
            yield Passage(source, path.name, chunk.id, chunk.title, chunk.section, chunk.text)


def corpus_passages(settings: Settings, embedder: Embedder) -> list[Passage]:
    """The starter corpus's chunks."""
    folder = PROJECT_ROOT / "corpus"
    paths = sorted(p for p in folder.rglob("*") if p.suffix in {".md", ".txt", ".pdf"})
    return list(_chunked(paths, "corpus", settings, embedder))


def pdf_stress_passages(settings: Settings, embedder: Embedder) -> list[Passage]:
    """The chunks of the pdf-stress PDFs that have a text layer (none when the folder is absent)."""
    if not PDF_STRESS_DIR.is_dir():
        return []
    return list(_chunked(sorted(PDF_STRESS_DIR.glob("*.pdf")), "pdf-stress", settings, embedder))


def clapnq_passages(folder: Path = clapnq.DEFAULT_DIR) -> list[Passage]:
    """The passages of ClapNQ's dev-half questions (none when the dataset is absent)."""
    if not clapnq.available(folder):
        return []
    seen: dict[str, Passage] = {}
    for case_id, (doc, title, text) in clapnq.passages_by_case(folder).items():
        if is_dev(case_id):
            seen.setdefault(doc, Passage("clapnq", doc, doc, title, None, text))
    return list(seen.values())


def all_passages(settings: Settings, embedder: Embedder) -> list[Passage]:
    """Every source's passages."""
    return [
        *corpus_passages(settings, embedder),
        *pdf_stress_passages(settings, embedder),
        *clapnq_passages(),
    ]


def unit_texts(passages: list[Passage]) -> dict[str, str]:
    """`text_key` → text for every unit and passage of `passages`."""
    texts: dict[str, str] = {}
    for passage in passages:
        texts[text_key(passage.text)] = passage.text
        for unit in passage.units:
            texts[text_key(unit)] = unit
    return texts
