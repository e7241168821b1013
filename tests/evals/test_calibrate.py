"""Refusal calibration: chosen on dev halves, reported on test halves, written to .env."""

from pathlib import Path

import pytest

from evals.calibrate import ENV_KEYS, Rule, calibrate, is_dev, write_env
from evals.results import CaseResult

pytestmark = pytest.mark.unit


def result(case_id: str, answerable: bool, evidence: float) -> CaseResult:
    return CaseResult(
        id=case_id,
        kind="q",
        question="?",
        answerable=answerable,
        answer="",
        refused=False,
        evidence_score=evidence,
        citations=[],
        retrieved_doc_ids=[],
        latency_ms=1.0,
    )


def test_rule_is_chosen_on_dev_halves_and_reported_on_both() -> None:
    # Answerable cases score high, unanswerable low: any threshold between separates them.
    rows = [result(f"c{i}", i % 3 != 0, 0.8 if i % 3 != 0 else 0.3) for i in range(60)]
    chosen = calibrate({"set": rows}, Rule(0.0, 0.0))
    assert 0.3 < chosen.threshold < 0.8
    dev, test = chosen.dev["set"], chosen.test["set"]
    assert dev.cases == sum(is_dev(r.id) for r in rows) and dev.cases + test.cases == 60
    assert dev.balanced_accuracy == test.balanced_accuracy == 1.0
    assert chosen.env()[ENV_KEYS["threshold"]] == f"{chosen.threshold:.4f}"


def test_write_env_replaces_only_its_own_keys(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("OTHER=1\nASSISTANT_ANSWER__REFUSAL_THRESHOLD=0.1\n")
    write_env(env, {"ASSISTANT_ANSWER__REFUSAL_THRESHOLD": "0.5"})
    assert env.read_text() == "OTHER=1\nASSISTANT_ANSWER__REFUSAL_THRESHOLD=0.5\n"


def test_a_partial_answer_declines_an_unanswerable_case_at_any_threshold() -> None:
    from dataclasses import replace

    from evals.calibrate import operating_point

    rows = [replace(result("u1", False, 0.9), coverage="partial"), result("u2", False, 0.9)]
    assert operating_point(rows, 0.5).refusal_accuracy == 0.5
