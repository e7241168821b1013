"""The real text the benchmark stores are built from, in the order stores take it.

The starter corpus first (the gold questions are about it), then the six real-policy PDFs (their
questions), the pdf-stress PDFs that have a text layer, and the ClapNQ passages. Third-party files
are read in place from ``../shared/datasets/``; the starter corpus is copied (the ingest section
edits one file of the copy to time a changed-file re-ingest) and ClapNQ is written as Markdown.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.settings import PROJECT_ROOT
from evals import clapnq, real_policy
from ingest.loaders import format_of

CORPUS_DIR = PROJECT_ROOT / "corpus"
SHARED_DIR = PROJECT_ROOT.parent / "shared" / "datasets"
PDF_STRESS_DIR = SHARED_DIR / "pdf-stress"
STARTER = "starter"
ORDER = (STARTER, "real-policy", "pdf-stress", "clapnq")
"""Stores take whole files in this order; the rest is recombined text."""


@dataclass(frozen=True)
class Source:
    """One body of real text: where the ingest reads it and the original files it comes from."""

    name: str
    folder: Path
    originals: tuple[Path, ...]
    in_place: bool

    def digest(self) -> str:
        """A hash of the original files' names and bytes."""
        sha = hashlib.sha256(self.name.encode())
        for path in self.originals:
            sha.update(path.name.encode())
            sha.update(hashlib.sha256(path.read_bytes()).digest())
        return sha.hexdigest()


def starter_files(limit: int | None = None) -> list[Path]:
    """The starter corpus (Markdown and its PDFs; with `limit`, only the first Markdown files)."""
    files = sorted(p for p in CORPUS_DIR.rglob("*") if p.is_file() and format_of(p))
    if limit is not None:
        return [p for p in files if p.suffix == ".md"][:limit]
    return files


def copy_files(files: Sequence[Path], root: Path, target: Path) -> None:
    """Mirror `files` (relative to `root`) into `target`, rewriting only what differs."""
    wanted = {path.relative_to(root) for path in files}
    for path in files:
        dest = target / path.relative_to(root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not dest.is_file() or dest.read_bytes() != path.read_bytes():
            shutil.copyfile(path, dest)
    if target.is_dir():
        for stale in [p for p in target.rglob("*") if p.is_file()]:
            if stale.relative_to(target) not in wanted:
                stale.unlink()


def available(text_dir: Path, starter_limit: int | None, real: bool) -> list[Source]:
    """The sources present on this machine, in `ORDER` (nothing is written yet)."""
    found = [Source(STARTER, text_dir / STARTER, tuple(starter_files(starter_limit)), False)]
    if not real:
        return found
    if real_policy.available(real_policy.DEFAULT_DIR):
        pdfs = tuple(sorted(real_policy.DEFAULT_DIR.glob("*.pdf")))
        found.append(Source("real-policy", real_policy.DEFAULT_DIR, pdfs, True))
    if PDF_STRESS_DIR.is_dir():
        pdfs = tuple(sorted(PDF_STRESS_DIR.glob("*.pdf")))
        found.append(Source("pdf-stress", PDF_STRESS_DIR, pdfs, True))
    if clapnq.available():
        rows = tuple(clapnq.DEFAULT_DIR / name for name in sorted(clapnq.FILES.values()))
        found.append(Source("clapnq", text_dir / "clapnq", rows, False))
    return found


def materialise(sources: Sequence[Source]) -> None:
    """Copy the starter corpus and write the ClapNQ passages where the ingest reads them."""
    for source in sources:
        if source.name == STARTER:
            copy_files(source.originals, CORPUS_DIR, source.folder)
        elif source.name == "clapnq":
            clapnq.write_corpus(clapnq.DEFAULT_DIR, source.folder)


def source_of(key: str, sources: Sequence[Source]) -> str:
    """The source whose folder holds the ingested file `key` (a path as the manifest keeps it)."""
    path = Path(key).resolve()
    for source in sources:
        folder = source.folder.resolve()
        if folder == path or folder in path.parents:
            return source.name
    return "other"
