"""The ingest manifest: which file, with which content hash, produced which chunk ids.

It is what makes ingestion incremental and restartable. A file's entry is removed (and saved)
*before* its chunks are touched and written back only after they are in the store, so an
interrupted run leaves the file looking new and the next run redoes it. While a run writes to the
store the manifest says so (`writing`): one still saying so when read again was left by a run that
died mid-write, and the next run checks the whole store for what it left behind. Writes are atomic
(temporary file + rename).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MANIFEST_VERSION = 1


@dataclass
class FileEntry:
    """What the store holds for one file."""

    sha256: str
    doc_id: str
    format: str
    chunk_ids: list[str] = field(default_factory=list)
    status: str = "indexed"  # "indexed" | "duplicate"
    duplicate_of: str | None = None
    indexed_at: str | None = None
    """When its chunks were written (ISO 8601, UTC); None in manifests written before."""


@dataclass
class FailedEntry:
    """A file the last run that saw it could not ingest, and why (shown to the admin)."""

    reason: str
    at: str


def now_iso() -> str:
    """The current time as the manifest writes it (ISO 8601, UTC, seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Manifest:
    """All files known to the store, and the settings their chunks were made with."""

    fingerprint: str = ""
    files: dict[str, FileEntry] = field(default_factory=dict)
    failed: dict[str, FailedEntry] = field(default_factory=dict)
    """Files that failed, by key: they have no chunks and are tried again by every run."""
    writing: bool = False
    """Whether a run was writing to the store when this was saved (cleared when it finishes)."""

    @classmethod
    def load(cls, path: Path) -> Manifest:
        """Read the manifest; a missing or unreadable one is empty (everything looks new)."""
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if data.get("version") != MANIFEST_VERSION:
            return cls()
        files = {key: FileEntry(**value) for key, value in data.get("files", {}).items()}
        failed = {key: FailedEntry(**value) for key, value in data.get("failed", {}).items()}
        return cls(
            fingerprint=str(data.get("fingerprint", "")),
            files=files,
            failed=failed,
            writing=bool(data.get("writing", False)),
        )

    def save(self, path: Path) -> None:
        """Write atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "version": MANIFEST_VERSION,
            "fingerprint": self.fingerprint,
            "files": {key: asdict(entry) for key, entry in sorted(self.files.items())},
            "failed": {key: asdict(entry) for key, entry in sorted(self.failed.items())},
            "writing": self.writing,
        }
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".manifest-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @property
    def chunk_count(self) -> int:
        """Chunks the store should hold according to the manifest."""
        return sum(len(entry.chunk_ids) for entry in self.files.values())


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
