"""The ingest run: discover files, detect changes, load, chunk, embed and write to the store.

Each file succeeds or fails on its own. Unchanged files are recognised by their content hash and
cost nothing; the embedding model is only loaded when some chunk needs embedding.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.embedder import Embedder
from assistant.language import detector
from assistant.multilingual import E5Embedder
from assistant.settings import Settings
from assistant.storage.store import LAYOUT_VERSION, ChunkStore
from assistant.storage.writer_lock import FileWriterLock, WriterLock
from assistant.text import chunk_units
from assistant.types import Chunk
from ingest.chunker import CHUNKER_VERSION, StructuredChunker
from ingest.documents import LoadedDocument
from ingest.errors import FailureReason, LoadError
from ingest.languages import with_languages
from ingest.loaders import FORMAT_PREFERENCE, format_of, load_document, parse_limits
from ingest.loaders.pdf import cancel_prefetched, prefetch_pdfs
from ingest.manifest import FailedEntry, FileEntry, Manifest, file_sha256, now_iso
from ingest.memory import release_free_memory

if TYPE_CHECKING:
    from assistant.container import Container

VERSION_CHARS = 16
"""Characters of the file's SHA-256 stamped on its chunks (`Chunk.version`)."""


class Status(StrEnum):
    """What happened to one file."""

    INDEXED = "indexed"
    UNCHANGED = "unchanged"
    REMOVED = "removed"
    FAILED = "failed"
    DUPLICATE = "duplicate"


@dataclass
class FileOutcome:
    """One row of the ingest report."""

    path: str
    status: Status
    doc_id: str | None = None
    chunks: int = 0
    reason: str | None = None
    seconds: float = 0.0


@dataclass
class IngestReport:
    """Everything one run did."""

    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0
    chunks_embedded: int = 0
    orphans_removed: int = 0

    def count(self, status: Status) -> int:
        """Files with the given outcome."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failures(self) -> list[FileOutcome]:
        """Files that could not be ingested."""
        return [o for o in self.outcomes if o.status == Status.FAILED]

    def exit_code(self, strict: bool = False) -> int:
        """0 when anything was indexed or unchanged; 1 when nothing could be read or on strict."""
        usable = self.count(Status.INDEXED) + self.count(Status.UNCHANGED)
        if strict and self.failures:
            return 1
        if usable == 0 and (self.failures or not self.outcomes):
            return 1
        return 0


ProgressCallback = Callable[[int, int], None]


def discover(paths: Iterable[Path]) -> list[Path]:
    """Supported files under the given files and folders (hidden entries skipped), sorted."""
    found: set[Path] = set()
    for root in paths:
        root = root.resolve()
        if root.is_file():
            if format_of(root):
                found.add(root)
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if not d.startswith((".", "_"))]
            for name in filenames:
                candidate = Path(dirpath) / name
                if not name.startswith(".") and format_of(candidate):
                    found.add(candidate)
    return sorted(found)


def _sha_or_error(path: Path) -> str | OSError:
    try:
        return file_sha256(path)
    except OSError as exc:
        return exc


def display_path(path: Path) -> str:
    """The path relative to the working directory when inside it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())


def _is_under(key: str, roots: Sequence[Path]) -> bool:
    path = Path(key).resolve()
    return any(path == root or root in path.parents for root in roots)


def record_failures(
    manifest: Manifest, roots: list[Path], seen: set[str], report: IngestReport
) -> None:
    """Keep a run's failures in the manifest for the admin (saved by the caller), and drop
    earlier ones of files that now succeeded or are gone from under `roots`."""
    for key in list(manifest.failed):
        if key not in seen and _is_under(key, roots):
            del manifest.failed[key]
    for outcome in report.outcomes:
        if outcome.status == Status.FAILED:
            manifest.failed[outcome.path] = FailedEntry(outcome.reason or "failed", now_iso())
        else:
            manifest.failed.pop(outcome.path, None)


@dataclass
class _Candidate:
    key: str
    path: Path
    sha: str
    fmt: str
    doc_id: str
    document: LoadedDocument | None  # None when unchanged (not parsed)


class Ingestor:
    """Keeps the store in step with a set of files."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        store: ChunkStore,
        reader: Embedder | None = None,
        multilingual: E5Embedder | None = None,
        lock: WriterLock | None = None,
    ) -> None:
        """`reader`: the bi-encoder reader's embedder, when answer units should also be stored
        under it (so that answering never encodes them); `multilingual`: the multilingual model,
        when chunks and units should also be stored under it (`language.multilingual`);
        `lock`: the store's writer lock (default: a file lock under the data dir)."""
        self.lock: WriterLock = lock or FileWriterLock(
            settings.data_dir / "write.lock", settings.ingest.lock_timeout_s
        )
        self._settings = settings
        self._embedder = embedder
        self._store = store
        self._reader = reader
        self._multilingual = multilingual
        self._chunker = StructuredChunker(
            embedder.count_tokens,
            chunk_size=settings.chunking.chunk_size,
            chunk_overlap=settings.chunking.chunk_overlap,
        )

    @classmethod
    def for_container(cls, container: Container) -> Ingestor:
        """The ingestor of `container`'s store, with its embedder and its reader's: every
        ingestor of one store must agree on both (they are in the fingerprint), or each run
        would rebuild what the other wrote."""
        return cls(
            container.settings,
            container.embedder,
            container.store,
            container.reader_embedder,
            container.multilingual,
            container.writer_lock,
        )

    @property
    def fingerprint(self) -> str:
        """What the stored chunks depend on beyond file content: models, chunking rules and the
        store's layout."""
        parts = [
            self._embedder.name,
            CHUNKER_VERSION,
            LAYOUT_VERSION,
            str(self._settings.chunking.chunk_size),
            str(self._settings.chunking.chunk_overlap),
        ]
        if self._reader is not None:
            parts.append(f"reader:{self._reader.name}")
        if self._multilingual is not None:
            parts.append(f"multilingual:{self._multilingual.name}")
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]

    def run(
        self,
        paths: Sequence[Path] | None = None,
        *,
        rebuild: bool = False,
        progress: ProgressCallback | None = None,
    ) -> IngestReport:
        """Ingest `paths` (default: the configured corpus) and return what happened, holding
        the store's writer lock (`StoreBusyError` when another writer keeps it past
        `ingest.lock_timeout_s`)."""
        with self.lock.held("ingest"):
            try:
                return self._run(paths, rebuild, progress)
            finally:
                release_free_memory()

    def _run(
        self, paths: Sequence[Path] | None, rebuild: bool, progress: ProgressCallback | None
    ) -> IngestReport:
        started = time.perf_counter()
        roots = [p.resolve() for p in (paths or self._settings.ingest.corpus_paths)]
        manifest_path = self._settings.manifest_path
        loaded = Manifest.load(manifest_path)
        interrupted = loaded.writing  # the run that saved it died mid-write
        manifest = Manifest() if rebuild else loaded
        manifest.writing = True
        manifest.save(manifest_path)
        if rebuild or manifest.fingerprint != self.fingerprint:
            self._store.reset()
            manifest = Manifest(fingerprint=self.fingerprint, writing=True)
            manifest.save(manifest_path)
        report = IngestReport()
        report.orphans_removed = self._remove_orphans(manifest, interrupted)

        files = discover(roots)
        keys = {display_path(p): p for p in files}
        # Files gone from disk under the roots we were given.
        for key in sorted(set(manifest.files) - set(keys)):
            if _is_under(key, roots):
                removed = manifest.files.pop(key)
                manifest.save(manifest_path)
                self._store.delete_ids(removed.chunk_ids)
                report.outcomes.append(
                    FileOutcome(key, Status.REMOVED, removed.doc_id, len(removed.chunk_ids))
                )

        shas = {key: _sha_or_error(path) for key, path in keys.items()}
        self._prefetch(manifest, keys, shas)
        try:
            candidates = self._load(manifest, keys, shas, report)
        finally:
            cancel_prefetched()
        self._write(manifest, candidates, report, progress)
        record_failures(manifest, roots, set(keys), report)
        manifest.writing = False
        manifest.save(manifest_path)
        report.outcomes.sort(key=lambda o: o.path)
        report.seconds = time.perf_counter() - started
        return report

    def _prefetch(
        self, manifest: Manifest, keys: dict[str, Path], shas: dict[str, str | OSError]
    ) -> None:
        """Start parsing the PDFs that changed side by side (`ingest.parse_workers`)."""
        changed = []
        for key, path in keys.items():
            entry, sha = manifest.files.get(key), shas[key]
            fresh = entry is None or entry.sha256 != sha
            if format_of(path) == "pdf" and isinstance(sha, str) and fresh:
                changed.append(path)
        settings = self._settings.ingest
        prefetch_pdfs(
            changed, settings.pdf_timeout_s, settings.parse_workers, settings.pdf_memory_mb
        )

    def _load(
        self,
        manifest: Manifest,
        keys: dict[str, Path],
        shas: dict[str, str | OSError],
        report: IngestReport,
    ) -> list[_Candidate]:
        """Each file parsed when it changed (failures go into `report`)."""
        candidates: list[_Candidate] = []
        for key, path in keys.items():
            t0 = time.perf_counter()
            sha = shas[key]
            if isinstance(sha, OSError):
                report.outcomes.append(
                    FileOutcome(key, Status.FAILED, reason=f"corrupt: cannot read ({sha})")
                )
                continue
            entry = manifest.files.get(key)
            if entry is not None and entry.sha256 == sha:
                candidates.append(_Candidate(key, path, sha, entry.format, entry.doc_id, None))
                continue
            try:
                doc = load_document(path, *parse_limits(self._settings))
            except LoadError as exc:
                report.outcomes.append(
                    FileOutcome(
                        key,
                        Status.FAILED,
                        reason=str(exc),
                        seconds=time.perf_counter() - t0,
                    )
                )
                self._forget(manifest, key)
                continue
            candidates.append(_Candidate(key, path, sha, doc.format, doc.doc_id, doc))
        return candidates

    def _write(
        self,
        manifest: Manifest,
        candidates: list[_Candidate],
        report: IngestReport,
        progress: ProgressCallback | None,
    ) -> None:
        """Chunk, embed and store the files that changed; record each file's outcome."""
        manifest_path = self._settings.manifest_path
        winners = self._pick_winners(candidates)
        to_embed: list[tuple[_Candidate, list[Chunk]]] = []
        for cand in candidates:
            winner = winners[cand.doc_id]
            if winner is not cand:
                self._forget(manifest, cand.key)
                manifest.files[cand.key] = FileEntry(
                    cand.sha, cand.doc_id, cand.fmt, [], "duplicate", winner.key, now_iso()
                )
                manifest.save(manifest_path)
                report.outcomes.append(
                    FileOutcome(
                        cand.key,
                        Status.DUPLICATE,
                        cand.doc_id,
                        reason=f"same document id as {winner.key}, which is indexed instead",
                    )
                )
                continue
            entry = manifest.files.get(cand.key)
            if cand.document is None and entry is not None and entry.status == "indexed":
                report.outcomes.append(
                    FileOutcome(cand.key, Status.UNCHANGED, cand.doc_id, len(entry.chunk_ids))
                )
                continue
            document = cand.document
            if document is None:  # was a duplicate before, now the winner: parse it now
                try:
                    document = load_document(cand.path, *parse_limits(self._settings))
                except LoadError as exc:
                    report.outcomes.append(FileOutcome(cand.key, Status.FAILED, reason=str(exc)))
                    self._forget(manifest, cand.key)
                    continue
            chunks = [
                replace(chunk, version=cand.sha[:VERSION_CHARS])
                for chunk in with_languages(
                    self._chunker.chunk(document, cand.key),
                    detector(self._settings.language.min_confidence),
                )
            ]
            if not chunks:
                report.outcomes.append(
                    FileOutcome(cand.key, Status.FAILED, reason=f"{FailureReason.EMPTY}: no text")
                )
                self._forget(manifest, cand.key)
                continue
            to_embed.append((cand, chunks))

        total = sum(len(chunks) for _, chunks in to_embed)
        done = 0
        if progress:
            progress(0, total)
        for cand, chunks in to_embed:
            t0 = time.perf_counter()
            # Entry out first (a crash now leaves the file looking new); old chunks stay
            # searchable until the new ones are in.
            if manifest.files.pop(cand.key, None) is not None:
                manifest.save(manifest_path)
            vectors = self._embedder.embed([c.embedding_text for c in chunks])
            units = [(c, u) for c in chunks for u in chunk_units(c.text)]
            texts = [u.text for _, u in units]
            unit_vectors = self._embedder.embed(texts)
            reader_vectors = self._reader.embed(texts) if self._reader is not None else None
            reader_model = self._reader.name if self._reader is not None else ""
            self._store.upsert_units(units, unit_vectors, reader_vectors, reader_model)
            if self._multilingual is not None:
                self._store.upsert_multilingual(
                    chunks,
                    self._multilingual.embed_passages([c.embedding_text for c in chunks]),
                    units,
                    self._multilingual.embed_passages(texts),
                    self._multilingual.name,
                )
            self._store.upsert(chunks, vectors)
            new_ids = {c.id for c in chunks}
            stale = set(self._store.ids_where({"source_path": cand.key})) - new_ids
            self._store.delete_ids(stale)
            manifest.files[cand.key] = FileEntry(
                cand.sha, cand.doc_id, cand.fmt, [c.id for c in chunks], indexed_at=now_iso()
            )
            manifest.save(manifest_path)
            done += len(chunks)
            report.chunks_embedded += len(chunks)
            if progress:
                progress(done, total)
            report.outcomes.append(
                FileOutcome(
                    cand.key,
                    Status.INDEXED,
                    cand.doc_id,
                    len(chunks),
                    reason="; ".join(cand.document.warnings) if cand.document else None,
                    seconds=time.perf_counter() - t0,
                )
            )

    def _forget(self, manifest: Manifest, key: str) -> None:
        """Drop a file's entry and its chunks (entry first, so a crash leaves it 'new')."""
        entry = manifest.files.pop(key, None)
        if entry is None:
            return
        manifest.save(self._settings.manifest_path)
        self._store.delete_ids(entry.chunk_ids)

    @staticmethod
    def _pick_winners(candidates: list[_Candidate]) -> dict[str, _Candidate]:
        """Per document id, the one file to index: preferred format first, then path order."""
        winners: dict[str, _Candidate] = {}
        for cand in sorted(
            candidates,
            key=lambda c: (
                FORMAT_PREFERENCE.index(c.fmt) if c.fmt in FORMAT_PREFERENCE else 99,
                c.key,
            ),
        ):
            winners.setdefault(cand.doc_id, cand)
        return winners

    def _remove_orphans(self, manifest: Manifest, interrupted: bool) -> int:
        """Chunks whose file the manifest does not list, and vectors whose chunk the store does
        not hold (an interrupted write or delete): delete them. Skipped when the last run
        finished and the chunk count is the manifest's."""
        if not interrupted and self._store.count() == manifest.chunk_count:
            return 0
        known = {key for key, e in manifest.files.items() if e.status == "indexed"}
        removed = 0
        for source_path in self._store.source_paths() - known:
            removed += self._store.delete_where({"source_path": source_path})
        # Chunks missing from the store (e.g. a wiped store): re-index those files.
        for key, entry in list(manifest.files.items()):
            if entry.status == "indexed" and entry.chunk_ids:
                present = self._store.ids_where({"source_path": key})
                if len(present) != len(entry.chunk_ids):
                    self._forget(manifest, key)
        self._store.delete_orphan_vectors()
        return removed
