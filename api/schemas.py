"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.types import DocType

MAX_QUESTION_CHARS = 2000


class Message(BaseModel):
    """One earlier turn of the conversation."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str = Field(max_length=8000)


class Filters(BaseModel):
    """Restrict retrieval to documents with these metadata values."""

    model_config = ConfigDict(extra="forbid")

    doc_type: DocType | list[DocType] | None = None
    source: str | list[str] | None = None
    year: int | list[int] | None = None
    doc_id: str | list[str] | None = None

    def as_dict(self) -> dict[str, str | int | list[str] | list[int]]:
        """Only the filters that were set."""
        return {k: v for k, v in self.model_dump().items() if v not in (None, [])}


class AskRequest(BaseModel):
    """A question, optionally with the conversation so far and filters."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    history: list[Message] = Field(default_factory=list, max_length=50)
    filters: Filters | None = None
    top_k: int | None = Field(default=None, ge=1, le=50)

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("question must not be blank")
        return value


class CitationOut(BaseModel):
    """A numbered source; `n` matches the `[n]` markers in the answer."""

    n: int
    doc_id: str
    chunk_id: str
    title: str
    source: str
    page: int | None
    section: str | None
    snippet: str
    score: float


class AskResponse(BaseModel):
    """A grounded answer, or a refusal (`refused: true`, no citations)."""

    answer: str
    citations: list[CitationOut]
    refused: bool
    evidence_score: float


class Health(BaseModel):
    """Liveness."""

    status: Literal["ok"] = "ok"


class ErrorBody(BaseModel):
    """Every error response."""

    detail: str | list[dict[str, object]]
