"""The multilingual slice: questions in French, German, Spanish, Italian, Polish and Dutch,
translated from gold and real-policy cases (same facts), asked over the English documents.

Each language's figures sit beside those of the English originals of the *same* cases, asked
on the same store in the same run, so the ratio says what asking in another language costs.
Halves follow the translated cases' ids (`evals.splits`), as for every dataset.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.container import Container
from evals.datasets import DATASETS_DIR, GOLD_PATH, REAL_POLICY_PATH, EvalCase, load_jsonl
from evals.errors import DatasetUnavailable
from evals.pdf_stress import CASES_PATH as PDF_STRESS_PATH
from evals.results import CaseResult
from evals.runner import run, summarise
from evals.splits import select
from evals.suite import load_gold, load_pdf_stress, load_real_policy

SETS: dict[str, tuple[Path, Path]] = {
    "gold": (DATASETS_DIR / "multilingual_gold.jsonl", GOLD_PATH),
    "real-policy": (DATASETS_DIR / "multilingual_real_policy.jsonl", REAL_POLICY_PATH),
}
"""Per collection: the translated cases and the English cases they translate."""
OVER_OTHER_LANGUAGES: dict[str, tuple[str, str]] = {
    "de": ("pdf-stress", "sf-geotopo-komprimiert"),
}
"""English questions over a document in another language, by the document's language: its
collection and document id (the pdf-stress cases over the German geometry script)."""
DATASETS: dict[str, Path] = {"pdf-stress": PDF_STRESS_PATH}
"""The English cases of the collections holding documents in other languages."""
FIGURES = ("cases", "fact_hit", "refusal_accuracy", "false_refusal_rate", "accuracy")


def _open(name: str, container: Container) -> Container:
    if name == "gold":
        return load_gold(container)[0]
    if name == "pdf-stress":
        return load_pdf_stress(container)[0]
    return load_real_policy(container)[0]


def _figures(results: list[CaseResult]) -> dict[str, Any]:
    summary = summarise(results)
    return {k: summary.get(k) for k in FIGURES}


def evaluate(
    container: Container,
    half: str = "test",
    collections: tuple[str, ...] = ("gold", "real-policy", "pdf-stress"),
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Per language: the translated cases' figures, the English originals' and their ratio
    (fact hit), over every collection of the slice whose documents are present; and the
    figures of English questions over documents in other languages (`OVER_OTHER_LANGUAGES`).
    A collection whose documents are absent is skipped and named in `skipped`."""
    by_language: dict[str, list[CaseResult]] = defaultdict(list)
    english: dict[str, list[CaseResult]] = defaultdict(list)
    over: dict[str, Any] = {}
    skipped: list[str] = []
    for name in collections:
        try:
            scoped = _open(name, container)
        except DatasetUnavailable as exc:
            skipped.append(name)
            if progress:
                progress(f"{name} skipped: {exc}")
            continue
        if name not in SETS:
            over.update(_over_other_languages(name, scoped, half))
            continue
        translated_path, source_path = SETS[name]
        translated = select(load_jsonl(translated_path), half, key=lambda c: c.id)
        sources = {c.id: c for c in load_jsonl(source_path)}
        wanted = sorted({c.source_id for c in translated if c.source_id})
        originals: list[EvalCase] = [sources[i] for i in wanted if i in sources]
        results, _ = run(scoped, translated)
        english_results, _ = run(scoped, originals)
        base_by_id = {r.id: r for r in english_results}
        for case, result in zip(translated, results, strict=True):
            language = case.language or "en"
            by_language[language].append(result)
            if case.source_id in base_by_id:
                english[language].append(base_by_id[case.source_id])
        if progress:
            progress(f"{name}: {len(translated)} translated, {len(originals)} English cases")
    report: dict[str, Any] = {
        "half": half,
        "languages": {},
        "over_other_languages": over,
        "skipped": skipped,
    }
    for language in sorted(by_language):
        own = _figures(by_language[language])
        same = _figures(english[language])
        ratio = (
            round(own["fact_hit"] / same["fact_hit"], 3)
            if own.get("fact_hit") is not None and same.get("fact_hit")
            else None
        )
        report["languages"][language] = {"own": own, "english": same, "fact_hit_ratio": ratio}
    return report


def _over_other_languages(name: str, scoped: Container, half: str) -> dict[str, Any]:
    """The figures of collection `name`'s English cases over its documents in other languages."""
    out: dict[str, Any] = {}
    cases = select(load_jsonl(DATASETS[name]), half, key=lambda c: c.id)
    for language, (collection, document) in OVER_OTHER_LANGUAGES.items():
        if collection != name:
            continue
        over = [c for c in cases if document in c.gold_doc_ids]
        if over:
            results, _ = run(scoped, over)
            out[language] = {"document": document, **_figures(results)}
    return out
