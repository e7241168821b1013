"""The stress collection: questions over the PDFs of ``../shared/datasets/pdf-stress/`` that have
a text layer (a Google Docs export, a two-column paper, a German geology text, an OCR'd history
sample, …): genres unlike our policy documents, written by us over documents we did not tune on.

The PDFs are read in place; broken, encrypted and image-only ones among them are reported by
ingestion with their reason and answer nothing. The questions are in
`evals/datasets/pdf_stress.jsonl`.
"""

from __future__ import annotations

from pathlib import Path

from assistant.settings import PROJECT_ROOT
from evals.datasets import DATASETS_DIR, EvalCase, load_jsonl

NAME = "pdf-stress"
DEFAULT_DIR = PROJECT_ROOT.parent / "shared" / "datasets" / "pdf-stress"
CASES_PATH = DATASETS_DIR / "pdf_stress.jsonl"


def available(folder: Path = DEFAULT_DIR) -> bool:
    """Whether `folder` holds the PDFs."""
    return folder.is_dir() and any(folder.glob("*.pdf"))


def load_cases(path: Path = CASES_PATH) -> list[EvalCase]:
    """The questions, in file order."""
    return load_jsonl(path)
