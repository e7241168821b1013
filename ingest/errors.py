"""Why a file could not be ingested: one exception type with a machine-readable reason."""

from __future__ import annotations

from enum import StrEnum


class FailureReason(StrEnum):
    """The causes a user can act on, each with a plain-words explanation."""

    ENCRYPTED = "encrypted"
    NO_TEXT = "no_text"
    CORRUPT = "corrupt"
    EMPTY = "empty"
    TIMEOUT = "timeout"
    UNSUPPORTED = "unsupported"
    INVALID_METADATA = "invalid_metadata"


class LoadError(Exception):
    """A file could not be turned into text; `reason` says why, `detail` in plain words."""

    def __init__(self, reason: FailureReason | str, detail: str) -> None:
        super().__init__(reason, detail)
        self.reason = FailureReason(reason)
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.reason.value}: {self.detail}"
