"""The multilingual slice: translations of gold and real-policy cases, and its report."""

from __future__ import annotations

from collections import Counter

import pytest

from evals.datasets import load_jsonl
from evals.multilingual import DATASETS, OVER_OTHER_LANGUAGES, SETS, evaluate
from evals.splits import half_of
from tests.conftest import Stack


@pytest.mark.unit
def test_every_translation_keeps_its_originals_facts() -> None:
    per_language: Counter[str] = Counter()
    for translated_path, source_path in SETS.values():
        sources = {c.id: c for c in load_jsonl(source_path)}
        cases = load_jsonl(translated_path)
        assert {half_of(c.id) for c in cases} == {"dev", "test"}
        for case in cases:
            original = sources[case.source_id or ""]
            assert case.language in {"fr", "de", "es", "it", "pl", "nl"}
            assert case.id == f"ml-{case.language}-{original.id}"
            assert case.required_facts == original.required_facts
            assert case.answerable == original.answerable
            assert case.question != original.question
            per_language[case.language or ""] += 1
    assert set(per_language.values()) == {12}


@pytest.mark.unit
def test_english_questions_over_documents_in_other_languages_have_both_halves() -> None:
    for collection, document in OVER_OTHER_LANGUAGES.values():
        cases = [c for c in load_jsonl(DATASETS[collection]) if document in c.gold_doc_ids]
        assert len(cases) >= 15
        assert {half_of(c.id) for c in cases} == {"dev", "test"}
        assert any(not c.answerable for c in cases) and all(not c.language for c in cases)


@pytest.mark.slow
@pytest.mark.integration
def test_report_sets_each_language_beside_english(indexed: Stack) -> None:
    report = evaluate(indexed.container, "test", collections=("gold",))
    assert report["over_other_languages"] == {} and report["skipped"] == []
    languages = report["languages"]
    assert set(languages) <= {"fr", "de", "es", "it", "pl", "nl"} and languages
    for row in languages.values():
        assert row["own"]["cases"] == row["english"]["cases"] > 0
    answered = [r["own"]["fact_hit"] for r in languages.values() if r["own"]["fact_hit"]]
    assert answered, "some translated question is answered from the English documents"
