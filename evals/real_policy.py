"""The real-document benchmark: 123 questions over six real RIS3 strategy PDFs.

The PDFs are third-party documents read in place from ``../shared/datasets/real-policy/``; they
are never copied into the repository or the data dir. The questions
(`evals/datasets/real_policy.jsonl`) name the gold documents and, for answerable ones, the PDF
pages holding the evidence (`gold_pdf_pages`), which the page metric checks citations against.
"""

from __future__ import annotations

from pathlib import Path

from assistant.settings import PROJECT_ROOT
from evals.datasets import REAL_POLICY_PATH, EvalCase, load_jsonl

NAME = "real-policy"
DEFAULT_DIR = PROJECT_ROOT.parent / "shared" / "datasets" / "real-policy"


def available(folder: Path) -> bool:
    """Whether `folder` holds the PDFs."""
    return folder.is_dir() and any(folder.glob("*.pdf"))


def load_cases(path: Path = REAL_POLICY_PATH) -> list[EvalCase]:
    """The questions, in file order."""
    return load_jsonl(path)
