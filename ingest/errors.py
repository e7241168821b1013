"""Ingestion's exceptions, one tree under `IngestError`.

    IngestError
    ├── LoadError     a file could not be turned into text; `reason` is a `FailureReason`
    └── UploadError   an upload was refused before anything was written; `kind` says why

A `LoadError` never stops a batch: the file is reported as failed and the rest lands. Errors of
the store or the model (`assistant.errors.AssistantError`) pass through unchanged.
"""

from __future__ import annotations

from enum import StrEnum


class FailureReason(StrEnum):
    """The causes a user can act on, each with a plain-words explanation."""

    ENCRYPTED = "encrypted"
    NO_TEXT = "no_text"
    CORRUPT = "corrupt"
    EMPTY = "empty"
    TIMEOUT = "timeout"
    TOO_LARGE = "too_large"
    UNSUPPORTED = "unsupported"
    INVALID_METADATA = "invalid_metadata"


class IngestError(Exception):
    """Base class of every error ingestion raises on purpose."""


class LoadError(IngestError):
    """A file could not be turned into text; `reason` says why, `detail` in plain words."""

    def __init__(self, reason: FailureReason | str, detail: str) -> None:
        super().__init__(reason, detail)
        self.reason = FailureReason(reason)
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.reason.value}: {self.detail}"


class UploadError(IngestError):
    """An upload was refused; `kind` says why (the API maps it to a status code)."""

    def __init__(self, kind: str, detail: str, reason: str | None = None) -> None:
        super().__init__(detail)
        self.kind = kind  # "unsupported" | "invalid" | "conflict" | "too_large"
        self.detail = detail
        self.reason = reason

    def __str__(self) -> str:
        return self.detail
