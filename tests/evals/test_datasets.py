"""Dataset adapters through the real stack: a BEIR-style folder and (when present) ClapNQ."""

import json
from pathlib import Path

import pytest

from evals import clapnq
from evals.runner import run
from evals.suite import load
from tests.conftest import Stack

pytestmark = pytest.mark.integration


def write_beir(folder: Path) -> None:
    folder.mkdir()
    (folder / "qrels").mkdir()
    docs = [
        {
            "_id": "d1",
            "title": "Lighthouses",
            "text": "The Fastnet lighthouse stands on a rock off Ireland.",
        },
        {"_id": "d2", "title": "Volcanoes", "text": "Mount Etna is an active volcano on Sicily."},
        {"_id": "d3", "title": "Rivers", "text": "The Danube flows through ten countries."},
    ]
    queries = [
        {"_id": "q1", "text": "Where is the Fastnet lighthouse?"},
        {"_id": "q2", "text": "Which volcano is active on Sicily?"},
        {"_id": "q3", "text": "What is the capital of Peru?"},
    ]
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in docs))
    (folder / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in queries))
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n")


def test_beir_folder_runs_end_to_end(stack: Stack, tmp_path: Path) -> None:
    folder = tmp_path / "tiny-beir"
    write_beir(folder)
    container, cases = load(str(folder), stack.container)
    assert container.settings.data_dir == stack.settings.data_dir / "evals" / "beir-tiny-beir"
    assert [c.answerable for c in cases] == [True, True, False]
    results, summary = run(container, cases)
    assert summary["recall@1"] == 1.0
    assert not results[0].refused and "Ireland" in results[0].answer
    assert stack.store.count() == 0  # the product store is untouched


def test_clapnq_cases_and_corpus(tmp_path: Path) -> None:
    if not clapnq.available():
        pytest.skip(f"ClapNQ not present at {clapnq.DEFAULT_DIR}")
    cases = clapnq.load_cases()
    assert len(cases) == 600 and sum(c.answerable for c in cases) == 300
    assert [c.answerable for c in clapnq.load_cases(limit=4)] == [True, False, True, False]
    assert all(c.gold_doc_ids for c in cases)
    written = clapnq.write_corpus(clapnq.DEFAULT_DIR, tmp_path / "p")
    assert written == len(list((tmp_path / "p").glob("*.md"))) >= 590
    ids = {p.stem for p in (tmp_path / "p").glob("*.md")}
    assert all(c.gold_doc_ids[0] in ids for c in cases)
