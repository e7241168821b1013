"""The quality gate: the gold set through the real stack must stay above these floors.

Floors start from what the system achieves (see docs/decisions.md) with a small margin; raise them
as quality improves. Judge-based citation metrics run only where the `[llm]` extra is installed.
"""

import json
from pathlib import Path

import pytest

from evals.datasets import GOLD_PATH, load_jsonl
from evals.report import write_outputs
from evals.runner import run
from tests.conftest import Stack

pytestmark = pytest.mark.integration

# Measured 2026-12-08 (the models refitted on rows read at 3bc3a2b: outline sections, a
# comparison's sides read and searched; AMD EPYC 2 cores), the whole gold set through the learned
# scorer and answerability (`assistant/models/scorer/`, fitted on the dev halves of gold,
# real-policy, ClapNQ and pdf-stress): recall@5 1.0, MRR 0.964, fact hit 0.855, refusal accuracy
# 0.833 (15 of 18), accuracy 0.839, false refusals 0.043. Before that refit (a528142's rows):
# 0.826 / 0.833 / 0.805 / 0.043 (docs/decisions.md, "Shipped models refit on rows from the new
# stores").
# The former hand blend measured fact hit 0.947 and accuracy 0.89 here (fitted to this set;
# "Reading that generalises, measured").
FLOORS = {
    "recall@5": 0.97,
    "mrr": 0.93,
    "fact_hit": 0.78,
    "refusal_accuracy": 0.75,
    "accuracy": 0.75,
}
CEILINGS = {"false_refusal_rate": 0.10}


def test_gold_set_meets_the_floors(indexed: Stack, tmp_path: Path) -> None:
    cases = load_jsonl(GOLD_PATH)
    assert len(cases) >= 60 and sum(not c.answerable for c in cases) >= 15
    results, summary = run(indexed.container, cases)
    threshold = indexed.settings.answer.refusal_threshold
    write_outputs(tmp_path, results, summary, threshold=threshold)
    print(json.dumps(summary, indent=2))
    for metric, floor in FLOORS.items():
        assert summary[metric] >= floor, f"{metric} {summary[metric]} fell below {floor}"
    for metric, ceiling in CEILINGS.items():
        assert summary[metric] <= ceiling, f"{metric} {summary[metric]} rose above {ceiling}"
    report = (tmp_path / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 3
    assert len((tmp_path / "results.jsonl").read_text().splitlines()) == len(cases)


def test_gold_cases_are_well_formed() -> None:
    corpus_ids = {p.stem for p in (Path(__file__).parents[2] / "corpus").glob("*.md")}
    for case in load_jsonl(GOLD_PATH):
        assert set(case.gold_doc_ids) <= corpus_ids, case.id
        if case.answerable:
            assert case.gold_doc_ids and case.required_facts, case.id
        else:
            assert not case.gold_doc_ids and not case.required_facts, case.id
