"""Changing the document collection while the service runs: upload, delete, reindex.

Uploads are checked before anything is written: the file type by extension *and* content (a PDF
starts with ``%PDF-``, text decodes as UTF-8), then the file is parsed in a hidden staging folder.
Only a file that parsed is moved into ``DATA_DIR/uploads/`` and ingested, so a broken, encrypted or
image-only PDF changes nothing. Every write holds one lock: ingestion, deletion and reindexing
never interleave. The store's signature (`ChunkStore.signature`) changes with every write, so
the BM25 index and the document catalogue rebuild on their next use.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.settings import Settings
from assistant.storage.store import ChunkStore
from ingest.errors import LoadError, UploadError
from ingest.loaders import SUPPORTED_SUFFIXES, load_document, parse_limits
from ingest.manifest import Manifest
from ingest.pipeline import FileOutcome, Ingestor, ProgressCallback, Status, display_path

if TYPE_CHECKING:
    from assistant.container import Container

STAGING = ".incoming"
MAX_NAME_CHARS = 120
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class UploadResult:
    """What became of an uploaded file."""

    file: str
    doc_id: str | None
    status: str
    chunks: int
    reason: str | None = None


@dataclass
class ReindexResult:
    """Counts of a reindex run, by outcome."""

    indexed: int = 0
    unchanged: int = 0
    removed: int = 0
    duplicate: int = 0
    failed: int = 0
    chunks_embedded: int = 0
    seconds: float = 0.0
    failures: list[FileOutcome] = field(default_factory=list)


def safe_filename(name: str) -> str:
    """A file name with no directory part and only ``[A-Za-z0-9._-]``; keeps the extension."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _UNSAFE.sub("-", stem).strip("-._") or "upload"
    suffix = _UNSAFE.sub("", suffix).lower()
    stem = stem[: MAX_NAME_CHARS - len(suffix) - 1]
    return f"{stem}.{suffix}" if suffix else stem


def check_content(suffix: str, data: bytes) -> None:
    """Raise `UploadError` unless `data` looks like the type its extension claims."""
    if not data.strip():
        raise UploadError("invalid", "the file is empty", "empty")
    if suffix == ".pdf":
        if not data.lstrip(b"\x00\t\n\r ").startswith(b"%PDF-"):
            raise UploadError("unsupported", "the file is not a PDF (it does not start with %PDF-)")
        return
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UploadError(
            "unsupported", f"the file is not UTF-8 text (invalid byte at offset {exc.start})"
        ) from exc
    if b"\x00" in data:
        raise UploadError("unsupported", "the file is not text (it contains NUL bytes)")


class Library:
    """Adds, removes and re-indexes documents of a running service."""

    def __init__(self, settings: Settings, store: ChunkStore, ingestor: Ingestor) -> None:
        self._settings = settings
        self._store = store
        self._ingestor = ingestor
        self._lock = threading.Lock()

    @classmethod
    def for_container(cls, container: Container) -> Library:
        """The library of `container`'s store, ingesting with `Ingestor.for_container`."""
        return cls(container.settings, container.store, Ingestor.for_container(container))

    @property
    def uploads_dir(self) -> Path:
        """Where uploaded files are kept."""
        return self._settings.uploads_dir

    def add(self, filename: str, data: bytes) -> UploadResult:
        """Check, store and ingest one uploaded file; raises `UploadError` when refused."""
        name = safe_filename(filename)
        suffix = Path(name).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            allowed = ", ".join(sorted(SUPPORTED_SUFFIXES))
            raise UploadError(
                "unsupported", f"unsupported file type {suffix or '(none)'!r}; allowed: {allowed}"
            )
        if len(data) > self._settings.api.max_upload_bytes:
            raise UploadError(
                "too_large", f"the file is larger than {self._settings.api.max_upload_bytes} bytes"
            )
        check_content(suffix, data)
        uploads = self.uploads_dir.resolve()
        target = (uploads / name).resolve()
        if target.parent != uploads:  # cannot happen after safe_filename; belt and braces
            raise UploadError("invalid", "invalid file name")
        with self._lock:
            staging = uploads / STAGING
            staging.mkdir(parents=True, exist_ok=True)
            # Staged under its final name: loaders derive a missing id and title from it.
            tmp_dir = Path(tempfile.mkdtemp(dir=staging))
            tmp = tmp_dir / name
            try:
                tmp.write_bytes(data)
                try:
                    document = load_document(tmp, *parse_limits(self._settings), keep_parse=True)
                except LoadError as exc:
                    raise UploadError("invalid", str(exc), exc.reason.value) from exc
                key = display_path(target)
                self._check_conflict(document.doc_id, key)
                backup = self._backup(target, staging)
                os.replace(tmp, target)
                outcome = self._ingest_one(target)
                if outcome.status == Status.FAILED:
                    self._restore(target, backup)
                    raise UploadError("invalid", outcome.reason or "failed", _reason(outcome))
                if backup is not None:
                    backup.unlink(missing_ok=True)
            finally:
                shutil.rmtree(tmp_dir, ignore_errors=True)
        return UploadResult(
            file=name,
            doc_id=outcome.doc_id,
            status=outcome.status.value,
            chunks=outcome.chunks,
            reason=outcome.reason or None,
        )

    def _check_conflict(self, doc_id: str, key: str) -> None:
        """Refuse a document id that another file already provides."""
        manifest = Manifest.load(self._settings.manifest_path)
        for other, entry in manifest.files.items():
            if entry.doc_id == doc_id and other != key:
                raise UploadError(
                    "conflict",
                    f"a document with id {doc_id!r} already exists (from {Path(other).name}); "
                    "delete it first or give the upload another id",
                )

    @staticmethod
    def _backup(target: Path, staging: Path) -> Path | None:
        if not target.exists():
            return None
        backup = staging / f"{target.name}.previous"
        os.replace(target, backup)
        return backup

    def _restore(self, target: Path, backup: Path | None) -> None:
        """Put back the file an upload replaced (and its chunks; re-ingesting it clears the
        failure), or remove the failed upload and the failure its ingest recorded: the uploader
        got the reason, and no file is left to list."""
        if backup is not None:
            os.replace(backup, target)
            self._ingest_one(target)
            return
        target.unlink(missing_ok=True)
        with self._ingestor.lock.held("upload"):
            manifest = Manifest.load(self._settings.manifest_path)
            if manifest.failed.pop(display_path(target), None) is not None:
                manifest.save(self._settings.manifest_path)

    def _ingest_one(self, path: Path) -> FileOutcome:
        report = self._ingestor.run([path])
        key = display_path(path)
        for outcome in report.outcomes:
            if outcome.path == key:
                return outcome
        return FileOutcome(key, Status.FAILED, reason="the file was not ingested")

    def delete(self, doc_id: str) -> bool:
        """Remove a document's chunks, manifest entries and uploaded file; False when unknown.

        A document of the configured corpus comes back at the next reindex unless its file is
        removed from the corpus too: only uploaded files are deleted from disk.
        """
        with self._lock, self._ingestor.lock.held("delete"):
            manifest_path = self._settings.manifest_path
            manifest = Manifest.load(manifest_path)
            keys = [key for key, entry in manifest.files.items() if entry.doc_id == doc_id]
            in_store = bool(self._store.ids_where({"doc_id": doc_id}))
            if not keys and not in_store:
                return False
            # Manifest entries first, marked as mid-write: a crash now leaves orphan chunks or
            # vectors, swept by the next ingest (a mark left by a crashed run stays for it).
            interrupted = manifest.writing
            for key in keys:
                manifest.files.pop(key)
            manifest.writing = True
            manifest.save(manifest_path)
            self._store.delete_where({"doc_id": doc_id})
            manifest.writing = interrupted
            manifest.save(manifest_path)
            uploads = self.uploads_dir.resolve()
            for key in keys:
                path = Path(key).resolve()
                if path.parent == uploads:
                    path.unlink(missing_ok=True)
            return True

    def reindex(self, progress: ProgressCallback | None = None) -> ReindexResult:
        """Ingest the configured corpus and the uploads folder again (changed files only);
        `progress(done, total)` counts the passages embedded."""
        with self._lock:
            self.uploads_dir.mkdir(parents=True, exist_ok=True)
            paths = [*self._settings.ingest.corpus_paths, self.uploads_dir]
            report = self._ingestor.run([p for p in paths if p.exists()], progress=progress)
        return ReindexResult(
            indexed=report.count(Status.INDEXED),
            unchanged=report.count(Status.UNCHANGED),
            removed=report.count(Status.REMOVED),
            duplicate=report.count(Status.DUPLICATE),
            failed=report.count(Status.FAILED),
            chunks_embedded=report.chunks_embedded,
            seconds=report.seconds,
            failures=report.failures,
        )


def _reason(outcome: FileOutcome) -> str | None:
    """The machine-readable part of a failure reason (``no_text: …`` → ``no_text``)."""
    if not outcome.reason:
        return None
    return outcome.reason.split(":", 1)[0].strip() or None
