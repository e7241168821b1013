"""The admin's view of the collection: every file ingestion has seen, with its document's
metadata, where it came from (the configured corpus or an upload), when it was last indexed and
its status (`indexed`, `duplicate` or `failed`, with the reason)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePath

from assistant.settings import Settings
from assistant.storage.documents import DocumentCatalog, DocumentInfo
from ingest.manifest import Manifest


@dataclass(frozen=True)
class CatalogueEntry:
    """One file of the collection."""

    file: str
    """Base name of the file."""
    origin: str
    """``upload`` (uploaded through the API) or ``corpus`` (a configured corpus path)."""
    status: str
    """``indexed``, ``duplicate`` or ``failed``."""
    doc_id: str | None
    info: DocumentInfo | None
    """The indexed document's metadata (for a duplicate: the document indexed instead)."""
    indexed_at: str | None
    """When it was indexed (or, failed, when it failed); None when not recorded."""
    reason: str | None = None


def _origin(key: str, uploads: Path) -> str:
    return "upload" if Path(key).resolve().parent == uploads else "corpus"


def catalogue(settings: Settings, documents: DocumentCatalog) -> list[CatalogueEntry]:
    """Every file the manifest knows (failures whose file is gone left out) and every stored
    document no file accounts for, ordered by title, then file name."""
    manifest = Manifest.load(settings.manifest_path)
    infos = documents.by_id()
    uploads = settings.uploads_dir.resolve()
    entries: list[CatalogueEntry] = []
    for key, entry in manifest.files.items():
        reason = None
        if entry.status == "duplicate" and entry.duplicate_of:
            reason = f"same document id as {PurePath(entry.duplicate_of).name}, indexed instead"
        entries.append(
            CatalogueEntry(
                file=PurePath(key).name,
                origin=_origin(key, uploads),
                status=entry.status,
                doc_id=entry.doc_id,
                info=infos.get(entry.doc_id),
                indexed_at=entry.indexed_at,
                reason=reason,
            )
        )
    for key, failed in manifest.failed.items():
        if Path(key).exists():
            entries.append(
                CatalogueEntry(
                    PurePath(key).name,
                    _origin(key, uploads),
                    "failed",
                    None,
                    None,
                    failed.at,
                    failed.reason,
                )
            )
    listed = {e.doc_id for e in entries}
    entries.extend(
        CatalogueEntry(info.file, "corpus", "indexed", doc_id, info, None)
        for doc_id, info in infos.items()
        if doc_id not in listed
    )
    return sorted(entries, key=lambda e: ((e.info.title if e.info else e.file).casefold(), e.file))
