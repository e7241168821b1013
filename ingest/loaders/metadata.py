"""Document metadata shared by the loaders: defaults and validation."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assistant.types import DOC_TYPES
from ingest.documents import slugify, title_from_stem
from ingest.errors import FailureReason, LoadError

DEFAULT_DOC_TYPE = "policy_guide"


def resolve_metadata(path: Path, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Fill in doc_id, title, doc_type, source, year and language from `raw` or the path."""
    doc_type = str(raw.get("doc_type") or DEFAULT_DOC_TYPE)
    if doc_type not in DOC_TYPES:
        raise LoadError(
            FailureReason.INVALID_METADATA,
            f"doc_type {doc_type!r} is not one of {', '.join(DOC_TYPES)}",
        )
    year_raw = raw.get("year")
    try:
        year = int(year_raw) if year_raw not in (None, "") else None
    except (TypeError, ValueError):
        raise LoadError(
            FailureReason.INVALID_METADATA, f"year {year_raw!r} is not a whole number"
        ) from None
    doc_id = str(raw.get("id") or raw.get("doc_id") or slugify(path.stem))
    return {
        "doc_id": slugify(doc_id),
        "title": str(raw.get("title") or title_from_stem(path.stem)).strip(),
        "doc_type": doc_type,
        "source": str(raw.get("source") or path.name).strip(),
        "year": year,
        "language": str(raw["language"]) if raw.get("language") else None,
    }
