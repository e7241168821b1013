"""Replacing a changed document while it is being read: the new chunks are written before the
old ones are deleted, so for a moment both are in the store (or, after a kill at that point,
until the next run). An answer then reads one version of the document, never a mix."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from ingest.manifest import Manifest
from ingest.pipeline import Status
from tests.conftest import Stack

pytestmark = pytest.mark.integration

DOC = """---
id: zorblat-cluster
title: Zorblat cluster profile
doc_type: other
source: Zorblat cluster
---

# Zorblat cluster profile

## Members

The Zorblat cluster in Tartu has {members} member companies, most of them in food processing.

## History

The Zorblat cluster was founded in {founded} by three dairies and the university of Tartu.
"""
QUESTION = "How many member companies does the Zorblat cluster have, and when was it founded?"


class Killed(Exception):
    """A kill -9 between writing a document's new chunks and deleting its old ones."""


def write(corpus: Path, members: int, founded: int) -> None:
    (corpus / "zorblat.md").write_text(DOC.format(members=members, founded=founded), "utf-8")


def test_an_answer_never_mixes_a_documents_old_and_new_chunks(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    for path in list(stack.corpus.iterdir()):  # a small store: one other document
        if path.name != "what-are-clusters.md":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    write(stack.corpus, 47, 2011)
    assert stack.ingestor.run().failures == []
    old = {c.id for c in stack.store.chunks_of("zorblat-cluster")}
    write(stack.corpus, 52, 2014)

    def killed(ids: object) -> None:
        raise Killed

    monkeypatch.setattr(stack.store, "delete_ids", killed)
    with pytest.raises(Killed):
        stack.ingestor.run()
    monkeypatch.undo()
    chunks = stack.store.chunks_of("zorblat-cluster")
    versions = {c.version for c in chunks}
    assert len(versions) == 2 and len(chunks) == 2 * len(old)  # both versions are stored

    stack.container.lexical.refresh()
    vector = np.asarray(stack.container.embedder.embed_query(QUESTION), dtype=np.float32)
    hits = stack.container.retriever.retrieve(QUESTION, vector, 10)
    read = {h.chunk.version for h in hits if h.chunk.doc_id == "zorblat-cluster"}
    assert len(read) == 1, "retrieval read two versions of one document"
    answer = stack.container.assistant.answer(QUESTION)
    text = answer.answer
    assert not answer.refused
    assert ("47" in text or "2011" in text) != ("52" in text or "2014" in text), text

    # The next run finishes the replacement: only the new version is left.
    report = stack.ingestor.run()
    assert report.failures == [] and report.count(Status.INDEXED) == 1
    chunks = stack.store.chunks_of("zorblat-cluster")
    assert {c.id for c in chunks}.isdisjoint(old) and len({c.version for c in chunks}) == 1
    manifest = Manifest.load(stack.settings.manifest_path)
    assert manifest.chunk_count == stack.store.count()
    for question, new, gone in (
        ("How many member companies does the Zorblat cluster have?", "52", "47"),
        ("When was the Zorblat cluster founded?", "2014", "2011"),
    ):
        text = stack.container.assistant.answer(question).answer
        assert new in text and gone not in text, text
