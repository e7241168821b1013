"""The real-policy dataset's loading path: PDFs read in place into a store of their own.

The six real PDFs take minutes to ingest, so the path is exercised on one small starter PDF in a
folder of its own; the real folder is only checked for being reported when absent.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evals import real_policy, suite
from evals.errors import DatasetUnavailable
from evals.runner import run
from evals.suite import load, load_real_policy
from ingest.pipeline import IngestReport, Status
from tests.conftest import CORPUS, Stack

pytestmark = pytest.mark.integration

PDF = CORPUS / "pdf" / "what-are-clusters.pdf"


def test_missing_folder_is_reported(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "no-such-folder"
    monkeypatch.setattr(real_policy, "DEFAULT_DIR", missing)
    with pytest.raises(DatasetUnavailable, match="no-such-folder"):
        load("real-policy", stack.container)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetUnavailable):
        load_real_policy(stack.container, folder=tmp_path / "empty")
    assert not (stack.settings.data_dir / "evals" / "real-policy").exists()


def test_pdfs_are_ingested_in_place_and_incrementally(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "pdfs"
    folder.mkdir()
    shutil.copy(PDF, folder / PDF.name)
    cases = tmp_path / "cases.jsonl"
    rows = [
        {
            "id": "t1",
            "question": "Which institution published the working paper 'Defining Clusters of "
            "Related Industries', and as which working paper number?",
            "gold_doc_ids": ["what-are-clusters"],
            "gold_pages": [1],
            "gold_pdf_pages": [1],
            "required_facts": [["20375"]],
            "answerable": True,
        },
        {"id": "t2", "question": "What is the boiling point of mercury?", "answerable": False},
    ]
    cases.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    reports: list[IngestReport] = []
    ingest = suite.ingest_closed_corpus
    monkeypatch.setattr(suite, "ingest_closed_corpus", lambda c: reports.append(ingest(c)))

    container, loaded = load_real_policy(stack.container, folder=folder, cases=cases)
    data_dir = stack.settings.data_dir / "evals" / "real-policy"
    assert container.settings.data_dir == data_dir
    assert container.settings.ingest.corpus_paths == [folder]  # read in place
    assert sorted(p.name for p in folder.iterdir()) == [PDF.name]
    assert not (data_dir / "passages").exists()  # nothing copied
    assert reports[0].count(Status.INDEXED) == 1 and container.store.count() > 0
    assert stack.store.count() == 0  # the product store is untouched
    assert [c.gold_pdf_pages for c in loaded] == [[1], []]

    load_real_policy(stack.container, folder=folder, cases=cases)
    assert reports[1].count(Status.UNCHANGED) == 1 and reports[1].chunks_embedded == 0

    results, summary = run(container, loaded)
    answered = results[0]
    assert not answered.refused, answered.answer
    on_page = [c["page"] == 1 for c in answered.citations]
    assert any(on_page)  # the answer's passage is on PDF page 1
    assert answered.metrics["citation_on_gold_page"] == sum(on_page) / len(on_page)
    assert "citation_on_gold_page" not in results[1].metrics
    assert summary["citation_on_gold_page"] == answered.metrics["citation_on_gold_page"]
    assert sum(h["cases"] for h in summary["halves"].values()) == 2
