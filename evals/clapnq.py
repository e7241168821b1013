"""The ClapNQ benchmark (dev split) as a closed corpus: 600 passages, 300 + 300 questions.

Read in place from ``../shared/datasets/clapnq-dev/``. The passages are written as Markdown files
under the eval data dir and ingested through the normal, incremental ingest pipeline into a store
of their own, so the benchmark exercises the real path and never touches the product's store.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from assistant.settings import PROJECT_ROOT
from evals.datasets import EvalCase, write_passages

DEFAULT_DIR = PROJECT_ROOT.parent / "shared" / "datasets" / "clapnq-dev"
FILES = {True: "clapnq_dev_answerable.jsonl", False: "clapnq_dev_unanswerable.jsonl"}


def detokenize(text: str) -> str:
    """Undo the dataset's tokenised spacing: ``year .`` → ``year.``, ````x''`` → ``"x"``."""
    text = re.sub(r"``\s*", '"', text)
    text = re.sub(r"\s*''", '"', text)
    text = re.sub(r"\s+([.,;:!?%)\]])", r"\1", text)
    text = re.sub(r"([(\[])\s+", r"\1", text)
    text = re.sub(r"\s+(['’]s|n't)\b", r"\1", text)
    text = re.sub(r"\s+-\s+", "-", text)
    return re.sub(r"\s{2,}", " ", text).strip()


def passage_id(title: str, text: str) -> str:
    """A stable document id for a passage."""
    return "clapnq-" + hashlib.sha256(f"{title}\x1f{text}".encode()).hexdigest()[:12]


def _rows(folder: Path, answerable: bool) -> list[dict[str, Any]]:
    with (folder / FILES[answerable]).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def available(folder: Path = DEFAULT_DIR) -> bool:
    """Whether the dataset files are present."""
    return all((folder / name).is_file() for name in FILES.values())


def passages_by_case(folder: Path = DEFAULT_DIR) -> dict[str, tuple[str, str, str]]:
    """Each question's passage as (document id, title, detokenised text), by case id."""
    found: dict[str, tuple[str, str, str]] = {}
    for answerable in (True, False):
        for row in _rows(folder, answerable):
            passage = row["passages"][0]
            doc_id = passage_id(passage["title"], passage["text"])
            found[f"clapnq-{row['id']}"] = (doc_id, passage["title"], detokenize(passage["text"]))
    return found


def write_corpus(folder: Path, target: Path) -> int:
    """Write one Markdown file per distinct passage; return the count."""
    passages: dict[str, tuple[str, str]] = {}
    for answerable in (True, False):
        for row in _rows(folder, answerable):
            passage = row["passages"][0]
            doc_id = passage_id(passage["title"], passage["text"])
            passages.setdefault(doc_id, (passage["title"], detokenize(passage["text"])))
    return write_passages(
        ((doc_id, title, text) for doc_id, (title, text) in passages.items()),
        target,
        source="ClapNQ dev (Wikipedia)",
    )


def load_cases(folder: Path = DEFAULT_DIR, limit: int | None = None) -> list[EvalCase]:
    """Answerable and unanswerable questions, interleaved so that `limit` keeps both kinds."""
    halves = []
    for answerable in (True, False):
        cases = []
        for row in _rows(folder, answerable):
            passage = row["passages"][0]
            output = row["output"][0]
            cases.append(
                EvalCase(
                    id=f"clapnq-{row['id']}",
                    question=row["input"],
                    answerable=answerable,
                    kind="answerable" if answerable else "unanswerable",
                    gold_doc_ids=[passage_id(passage["title"], passage["text"])],
                    reference_answer=detokenize(output.get("answer") or ""),
                    gold_sentences=[detokenize(s) for s in output.get("selected_sentences") or []],
                )
            )
        halves.append(cases)
    mixed = [case for pair in zip(*halves, strict=False) for case in pair]
    return mixed[: limit or None]
