"""Evaluation datasets: our gold set, or any JSONL file in the same format."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATASETS_DIR = Path(__file__).resolve().parent / "datasets"
GOLD_PATH = DATASETS_DIR / "cluster_gold.jsonl"
REAL_POLICY_PATH = DATASETS_DIR / "real_policy.jsonl"


@dataclass(frozen=True)
class EvalCase:
    """One question with what a correct answer must find and say."""

    id: str
    question: str
    answerable: bool
    kind: str = "question"
    history: list[dict[str, str]] = field(default_factory=list)
    gold_doc_ids: list[str] = field(default_factory=list)
    gold_sections: list[str] = field(default_factory=list)
    reference_answer: str = ""
    required_facts: list[list[str]] = field(default_factory=list)
    gold_sentences: list[str] = field(default_factory=list)
    gold_pages: list[int | str] = field(default_factory=list)
    """Printed page labels of the evidence (12, "Annex, p. 2", "cover"), for reading."""
    gold_pdf_pages: list[int] = field(default_factory=list)
    """1-based PDF page indexes of the evidence in the gold documents (`Citation.page`)."""
    language: str | None = None
    """The question's language (ISO 639-1) when it is not English."""
    source_id: str | None = None
    """For a translated case: the id of the English case it translates (same facts)."""

    @classmethod
    def from_json(cls, row: dict[str, Any], line: int) -> EvalCase:
        """Validate and build a case from one JSONL row."""
        missing = {"id", "question"} - set(row)
        if missing:
            raise ValueError(f"line {line}: missing fields {sorted(missing)}")
        facts = [[f] if isinstance(f, str) else list(f) for f in row.get("required_facts", [])]
        return cls(
            id=str(row["id"]),
            question=str(row["question"]),
            answerable=bool(row.get("answerable", True)),
            kind=str(row.get("kind", "question")),
            history=list(row.get("history", [])),
            gold_doc_ids=list(row.get("gold_doc_ids", [])),
            gold_sections=list(row.get("gold_sections", [])),
            reference_answer=str(row.get("reference_answer", "")),
            required_facts=facts,
            gold_sentences=list(row.get("gold_sentences", [])),
            gold_pages=[p if isinstance(p, int) else str(p) for p in row.get("gold_pages", [])],
            gold_pdf_pages=[int(p) for p in row.get("gold_pdf_pages", [])],
            language=str(row["language"]) if row.get("language") else None,
            source_id=str(row["source_id"]) if row.get("source_id") else None,
        )


def load_jsonl(path: Path) -> list[EvalCase]:
    """Cases from a JSONL file (one JSON object per line; blank lines skipped)."""
    cases = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                cases.append(EvalCase.from_json(json.loads(line), number))
    ids = [c.id for c in cases]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{path}: duplicate case ids")
    return cases


def write_passages(passages: Iterable[tuple[str, str, str]], target: Path, source: str) -> int:
    """Write (id, title, text) passages as Markdown documents for ingestion.

    Files whose content is unchanged are left alone, so re-ingesting costs nothing.
    """
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    for doc_id, title, text in passages:
        meta = {"id": doc_id, "title": title or doc_id, "doc_type": "other", "source": source}
        header = "".join(f"{k}: {json.dumps(v, ensure_ascii=False)}\n" for k, v in meta.items())
        body = f"---\n{header}---\n{text}\n"
        path = target / f"{doc_id}.md"
        if not path.is_file() or path.read_text(encoding="utf-8") != body:
            path.write_text(body, encoding="utf-8")
        count += 1
    return count


def is_beir(folder: Path) -> bool:
    """Whether `folder` holds a BEIR-style dataset (corpus.jsonl, queries.jsonl, qrels/)."""
    return (folder / "corpus.jsonl").is_file() and (folder / "queries.jsonl").is_file()


def load_beir(
    folder: Path, split: str = "test"
) -> tuple[list[tuple[str, str, str]], list[EvalCase]]:
    """Passages and cases of a BEIR-style dataset.

    ``corpus.jsonl`` rows have ``_id``, ``title``, ``text``; ``queries.jsonl`` rows ``_id`` and
    ``text``; ``qrels/<split>.tsv`` lists ``query-id``, ``corpus-id``, ``score`` (score > 0 is
    relevant). Queries with no relevant document are treated as unanswerable.
    """
    from ingest.documents import slugify

    with (folder / "corpus.jsonl").open(encoding="utf-8") as handle:
        docs = [json.loads(line) for line in handle if line.strip()]
    ids = {str(d["_id"]): slugify(str(d["_id"])) for d in docs}
    passages = [(ids[str(d["_id"])], str(d.get("title", "")), str(d["text"])) for d in docs]
    relevant: dict[str, list[str]] = {}
    qrels = folder / "qrels" / f"{split}.tsv"
    if qrels.is_file():
        with qrels.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if float(row.get("score", 1)) > 0 and row["corpus-id"] in ids:
                    relevant.setdefault(row["query-id"], []).append(ids[row["corpus-id"]])
    cases = []
    with (folder / "queries.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                query = json.loads(line)
                gold = relevant.get(str(query["_id"]), [])
                cases.append(
                    EvalCase(
                        id=str(query["_id"]),
                        question=str(query["text"]),
                        answerable=bool(gold),
                        kind="answerable" if gold else "unanswerable",
                        gold_doc_ids=gold,
                    )
                )
    return passages, cases
