"""Hostile files in a batch, through the real ingest: PDFs built to exhaust a parser (a deflate
bomb, a page-tree loop, a billion-laughs chain, 50,000 pages, a huge image-only page) and an
oversized text each cost their own file a reason, and the rest of the batch lands."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistant.embedder import SentenceTransformerEmbedder
from assistant.multilingual import E5Embedder
from assistant.settings import IngestSettings
from ingest.pipeline import Ingestor, Status
from tests.conftest import Stack
from tests.ingest.bombs import write_all

pytestmark = [pytest.mark.integration, pytest.mark.slow]

GOOD = """---
title: Good note
doc_type: other
---
The Zorblat cluster in Tartu has 47 members.
"""


def test_bombs_get_their_reason_and_the_batch_lands(
    tmp_path: Path,
    embedder: SentenceTransformerEmbedder,
    reader_embedder: SentenceTransformerEmbedder,
    multilingual: E5Embedder,
) -> None:
    corpus = tmp_path / "corpus"
    write_all(corpus)
    (corpus / "good.md").write_text(GOOD, encoding="utf-8")
    (corpus / "huge.txt").write_bytes(b"cluster " * (3 * 1024 * 1024 // 8))  # 3 MB of text
    stack = Stack(tmp_path / "data", embedder, corpus, reader_embedder, multilingual)
    ingest = IngestSettings.model_validate(
        {**stack.settings.ingest.model_dump(), "pdf_timeout_s": 8, "max_text_mb": 2}
    )
    settings = stack.settings.model_copy(update={"ingest": ingest})
    ingestor = Ingestor(settings, embedder, stack.store, reader_embedder, multilingual)
    started = time.monotonic()
    report = ingestor.run()
    seconds = time.monotonic() - started
    outcomes = {Path(o.path).name: o for o in report.outcomes}
    assert outcomes["good.md"].status == Status.INDEXED
    reasons = {name: (o.reason or "").split(":")[0] for name, o in outcomes.items()}
    assert reasons["deflate-bomb.pdf"] == "too_large"
    assert reasons["page-tree-loop.pdf"] == "corrupt"
    assert reasons["fifty-thousand-pages.pdf"] == "timeout"
    assert reasons["huge-image.pdf"] == "no_text"
    assert reasons["huge.txt"] == "too_large"
    # The chain of arrays is never walked by text extraction: the page's text is read.
    assert outcomes["billion-laughs.pdf"].status == Status.INDEXED
    assert seconds < 60, seconds
    hits = stack.container.assistant.answer("How many members does the Zorblat cluster have?")
    assert "47" in hits.answer
