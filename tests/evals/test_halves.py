"""Dev/test halves, page-level gold and the real-policy dataset's fields (no model involved)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from evals import cli as eval_cli
from evals.calibrate import is_dev as calibrate_is_dev
from evals.compare import compare
from evals.datasets import REAL_POLICY_PATH, EvalCase, load_jsonl
from evals.errors import DatasetUnavailable
from evals.metrics import citation_on_gold_page
from evals.report import render_html, render_markdown, write_outputs
from evals.results import CaseResult
from evals.runner import HALF_KEYS, summarise
from evals.splits import half_of, is_dev, select
from evals.suite import load

pytestmark = pytest.mark.unit

IDS = [f"case-{i}" for i in range(40)]


def result(
    case_id: str,
    answerable: bool = True,
    refused: bool = False,
    metrics: dict[str, float] | None = None,
    latency: float = 10.0,
) -> CaseResult:
    return CaseResult(
        id=case_id,
        kind="answerable" if answerable else "unanswerable",
        question=f"question {case_id}?",
        answerable=answerable,
        answer="" if refused else "an answer [1]",
        refused=refused,
        evidence_score=0.5,
        citations=[],
        retrieved_doc_ids=[],
        latency_ms=latency,
        metrics=metrics or {},
    )


def test_eval_case_reads_page_fields() -> None:
    row = {
        "id": "rp1",
        "question": "Q?",
        "gold_doc_ids": ["a", "b"],
        "gold_pages": [2, "cover", "Annex, p. 2"],
        "gold_pdf_pages": [2, 1, 23],
    }
    case = EvalCase.from_json(row, 1)
    assert case.gold_pages == [2, "cover", "Annex, p. 2"]
    assert case.gold_pdf_pages == [2, 1, 23]
    plain = EvalCase.from_json({"id": "g1", "question": "Q?"}, 1)
    assert plain.gold_pages == [] and plain.gold_pdf_pages == []


def test_real_policy_cases_carry_pdf_pages() -> None:
    cases = load_jsonl(REAL_POLICY_PATH)
    assert len(cases) == 123
    answerable = [c for c in cases if c.answerable]
    assert answerable and all(c.gold_pdf_pages and c.gold_doc_ids for c in answerable)
    assert all(isinstance(p, int) and p >= 1 for c in cases for p in c.gold_pdf_pages)
    dev = sum(is_dev(c.id) for c in cases)
    assert 0.35 < dev / len(cases) < 0.65


def test_split_is_shared_with_calibration() -> None:
    assert calibrate_is_dev is is_dev
    assert [half_of(i) for i in IDS] == ["dev" if is_dev(i) else "test" for i in IDS]
    dev, test = select(IDS, "dev", key=str), select(IDS, "test", key=str)
    assert dev and test and sorted(dev + test) == sorted(IDS)
    assert select(IDS, "all", key=str) == IDS
    assert dev == [i for i in IDS if i in dev]  # order kept
    with pytest.raises(ValueError, match="half"):
        select(IDS, "train", key=str)


def test_citation_on_gold_page() -> None:
    cites = [
        {"doc_id": "lu", "page": 25, "page_label": "25"},
        {"doc_id": "lu", "page": 24},
        {"doc_id": "ee", "page": 25},  # right page, wrong document
        {"doc_id": "lu", "page": None},
    ]
    assert citation_on_gold_page(cites, ["lu"], [25]) == 0.25
    assert citation_on_gold_page(cites, ["lu", "ee"], [25, 24]) == 0.75
    assert citation_on_gold_page([], ["lu"], [25]) == 0.0


def test_summary_has_halves_with_their_own_figures() -> None:
    results = [
        result(i, metrics={"fact_hit": 1.0 if is_dev(i) else 0.0, "recall@5": 1.0}, latency=5.0)
        for i in IDS[:20]
    ] + [result(i, answerable=False, refused=is_dev(i)) for i in IDS[20:]]
    # The page metric only where a case has gold pages and was answered.
    results[0].metrics["citation_on_gold_page"] = 0.5
    summary = summarise(results)
    # The overall figures keep their keys.
    assert summary["cases"] == 40 and summary["fact_hit"] == round(
        sum(is_dev(i) for i in IDS[:20]) / 20, 4
    )
    assert {"accuracy", "refusal_accuracy", "by_kind", "latency_ms_p95"} <= set(summary)
    halves = summary["halves"]
    assert set(halves) == {"dev", "test"}
    dev, test = halves["dev"], halves["test"]
    assert dev["cases"] + test["cases"] == 40
    assert dev["fact_hit"] == 1.0 and test["fact_hit"] == 0.0
    assert dev["refusal_accuracy"] == 1.0 and test["refusal_accuracy"] == 0.0
    assert dev["false_refusal_rate"] == test["false_refusal_rate"] == 0.0
    assert dev["accuracy"] == 1.0 and test["accuracy"] == 0.0
    assert dev["recall@5"] == 1.0 and dev["latency_ms_p50"] > 0
    assert set(dev) <= set(HALF_KEYS) and "by_kind" not in dev
    page_half = half_of(IDS[0])
    assert halves[page_half]["citation_on_gold_page"] == 0.5
    assert summary["citation_on_gold_page"] == 0.5
    other = "test" if page_half == "dev" else "dev"
    assert "citation_on_gold_page" not in halves[other]


def test_a_half_without_cases() -> None:
    dev_only = [result(i) for i in IDS if is_dev(i)]
    halves = summarise(dev_only)["halves"]
    assert halves["test"] == {"cases": 0} and halves["dev"]["cases"] == len(dev_only)


def test_reports_show_the_halves() -> None:
    results = [result(i, metrics={"fact_hit": 1.0}) for i in IDS]
    summary = summarise(results)
    markdown = render_markdown(results, summary)
    assert "## Dev and test halves" in markdown and "| metric | dev | test |" in markdown
    assert "| halves |" not in markdown
    page = render_html(results, summary, None, "t")
    assert "Dev and test halves" in page and "<th>dev</th><th>test</th>" in page


def test_compare_covers_the_halves(tmp_path: Path) -> None:
    old = [result(i, metrics={"fact_hit": 1.0}) for i in IDS]
    new = [result(i, metrics={"fact_hit": 0.0 if i == IDS[0] else 1.0}) for i in IDS]
    write_outputs(tmp_path / "old", old, summarise(old))
    write_outputs(tmp_path / "new", new, summarise(new))
    text = compare(tmp_path / "old", tmp_path / "new")
    assert "## Dev half" in text and "## Test half" in text
    flipped = half_of(IDS[0])
    section = text.split(f"## {flipped.capitalize()} half")[1]
    assert "| fact_hit | 1.0 |" in section.split("##")[0]
    assert f"- {IDS[0]} ({flipped}):" in text


def write_cases(path: Path, ids: list[str]) -> Path:
    path.write_text("\n".join(json.dumps({"id": i, "question": f"{i}?"}) for i in ids) + "\n")
    return path


@pytest.mark.parametrize("half", ["dev", "test"])
def test_load_keeps_one_half_then_limits(tmp_path: Path, half: str) -> None:
    path = write_cases(tmp_path / "cases.jsonl", IDS)
    container: Any = object()  # a JSONL dataset is asked through the container given
    _, cases = load(str(path), container, half=half)
    assert [c.id for c in cases] == [i for i in IDS if half_of(i) == half]
    _, first = load(str(path), container, limit=3, half=half)
    assert [c.id for c in first] == [c.id for c in cases[:3]]
    with pytest.raises(ValueError, match="half"):
        load(str(path), container, half="train")


def test_eval_half_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_cases(tmp_path / "cases.jsonl", IDS)
    asked: list[str] = []

    container = SimpleNamespace(
        settings=SimpleNamespace(answer=SimpleNamespace(refusal_threshold=0.5))
    )

    def fake_evaluate(dataset: str, given: Any, cases: Any, judge: str = "none") -> Any:
        asked.extend(c.id for c in cases)
        results = [result(c.id) for c in cases]
        return given, results, summarise(results)

    monkeypatch.setattr(eval_cli, "offline_container", lambda: container)
    monkeypatch.setattr(eval_cli, "_evaluate", fake_evaluate)
    runner = CliRunner()
    out = tmp_path / "out"
    args = ["--dataset", str(path), "--judge", "none", "--out", str(out), "--half", "test"]
    done = runner.invoke(eval_cli.eval_app, args)
    assert done.exit_code == 0, done.output
    assert asked == [i for i in IDS if not is_dev(i)]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["half"] == "test" and summary["halves"]["dev"] == {"cases": 0}
    wrong = runner.invoke(eval_cli.eval_app, [*args[:-1], "train"])
    assert wrong.exit_code == 2


def test_calibrate_skips_absent_datasets(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_load(name: str, limit: int | None, half: str = "all", scorer: Any = None) -> Any:
        assert scorer == "blend"  # calibrate tunes the blend rule's threshold
        if name != "gold":
            raise DatasetUnavailable(f"{name} files not found")
        return None, IDS

    def fake_evaluate(dataset: str, container: Any, cases: Any, judge: str = "none") -> Any:
        rows = [result(i, answerable=n % 3 != 0) for n, i in enumerate(cases)]
        for row in rows:
            row.evidence_score = 0.8 if row.answerable else 0.2
        return container, rows, {}

    answer = SimpleNamespace(coverage_gap_weight=0.0, unknown_term_penalty=0.0)
    container = SimpleNamespace(settings=SimpleNamespace(answer=answer))

    monkeypatch.setattr(eval_cli, "_load", fake_load)
    monkeypatch.setattr(eval_cli, "_evaluate", fake_evaluate)
    monkeypatch.setattr(eval_cli, "offline_container", lambda: container)
    runner = CliRunner()
    done = runner.invoke(eval_cli.eval_app, ["calibrate"])
    assert done.exit_code == 0, done.output
    assert "skipped clapnq" in done.output and "skipped real-policy" in done.output
    assert "threshold" in done.output
    none_left = runner.invoke(eval_cli.eval_app, ["calibrate", "--dataset", "clapnq"])
    assert none_left.exit_code == 2 and "no dataset" in none_left.output


def test_pdf_stress_cases_are_a_collection_of_their_own() -> None:
    from evals.pdf_stress import CASES_PATH

    cases = load_jsonl(CASES_PATH)
    assert len(cases) >= 40 and len({c.id for c in cases}) == len(cases)
    answerable = [c for c in cases if c.answerable]
    unanswerable = [c for c in cases if not c.answerable]
    assert len(unanswerable) >= 10 and all(not c.required_facts for c in unanswerable)
    assert all(c.required_facts and c.gold_pdf_pages and c.gold_doc_ids for c in answerable)
    assert sum(bool(c.history) for c in cases) >= 4  # follow-ups
    assert len({d for c in cases for d in c.gold_doc_ids}) >= 5
    dev = sum(is_dev(c.id) for c in cases)
    assert 0.3 < dev / len(cases) < 0.7


def test_gold_is_evaluated_in_a_store_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """`eval --dataset gold` on a fresh data dir ingests the starter corpus into its own store
    (DATA_DIR/evals/gold) as every collection does, whatever the main store holds."""
    import evals.suite as suite

    opened: list[Any] = []
    scoped = SimpleNamespace(name="gold store")

    def fake_load_gold(container: Any) -> Any:
        opened.append(container)
        return scoped, load_jsonl(suite.GOLD_PATH)

    monkeypatch.setattr(suite, "load_gold", fake_load_gold)
    main = SimpleNamespace(name="main store")
    container, cases = load("gold", main, half="test")  # type: ignore[arg-type]
    assert opened == [main] and container is scoped
    assert cases and all(not is_dev(c.id) for c in cases)
