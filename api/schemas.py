"""Request and response bodies of the HTTP API."""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from assistant.language import EU_LANGUAGES, normalise
from assistant.types import Answer, Citation, DocType

MAX_QUESTION_CHARS = 2000
_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")
_MAX_DEPTH = 32
"""Deeper request bodies are refused (no schema of this API nests more than a few levels)."""


def lone_surrogate(value: object, depth: int = 0) -> str | None:
    """The first string in a decoded JSON value that is not valid Unicode (a lone surrogate,
    which JSON's `\\ud800` escapes can carry and UTF-8 cannot encode), or None."""
    if depth > _MAX_DEPTH:
        raise ValueError(f"the body nests deeper than {_MAX_DEPTH} levels")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value
        return None
    if isinstance(value, dict):
        parts: list[object] = [*value.keys(), *value.values()]
    elif isinstance(value, list):
        parts = list(value)
    else:
        return None
    for part in parts:
        if (bad := lone_surrogate(part, depth + 1)) is not None:
            return bad
    return None


class RequestModel(BaseModel):
    """A request body: strings must be valid Unicode, refused with 422 otherwise (a lone
    surrogate would fail later, where text is encoded: the store, the log, the tokenizer).
    Only whole bodies derive from it: the check walks every nested value once."""

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        if lone_surrogate(data) is not None:
            raise ValueError("text must be valid Unicode (a lone surrogate escape was sent)")
        return data


class Message(BaseModel):
    """One earlier turn of the conversation."""

    model_config = ConfigDict(extra="forbid", strict=True)

    role: Literal["user", "assistant"]
    content: str = Field(max_length=8000)


class Filters(BaseModel):
    """Restrict retrieval to documents with these metadata values."""

    model_config = ConfigDict(extra="forbid", strict=True)

    doc_type: DocType | list[DocType] | None = None
    source: str | list[str] | None = None
    year: int | list[int] | None = None
    doc_id: str | list[str] | None = None

    def as_dict(self) -> dict[str, str | int | list[str] | list[int]]:
        """Only the filters that were set."""
        return {k: v for k, v in self.model_dump().items() if v not in (None, [])}


def check_language(value: str | None) -> str | None:
    """A BCP 47 tag of an official EU language, as given (None stays None)."""
    if value is None:
        return None
    if not _TAG.fullmatch(value) or normalise(value) is None:
        codes = ", ".join(sorted(EU_LANGUAGES))
        raise ValueError(f"language must be a BCP 47 tag of an official EU language ({codes})")
    return value


class AskRequest(RequestModel):
    """A question, optionally with the conversation so far and filters."""

    model_config = ConfigDict(extra="forbid", strict=True)

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    history: list[Message] = Field(default_factory=list, max_length=50)
    filters: Filters | None = None
    top_k: int | None = Field(default=None, ge=1, le=50)
    explain: bool = Field(
        default=False,
        description=(
            "Return the explain trace: the passages retrieved, the best candidate units with "
            "their features and scores, the answerability decision and the stage that decided."
        ),
    )
    language: str | None = Field(
        default=None,
        max_length=35,
        description=(
            "The question's language as a BCP 47 tag (`fr`, `de-AT`): one of the 24 official EU "
            "languages. Overrides detection; the answer's own texts (notices, refusals) are "
            "worded in it, quotes stay in their documents' language."
        ),
    )

    @field_validator("language")
    @classmethod
    def _eu_language(cls, value: str | None) -> str | None:
        return check_language(value)

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
    page: int | None = Field(description="1-based PDF page (the viewer opens this one).")
    page_label: str | None = Field(
        default=None,
        description="The page number printed on that page ('12', '8–9' for a spread), when known.",
    )
    section: str | None
    snippet: str
    score: float
    verified: bool = Field(
        description="Whether the passage was found to support the sentences that cite it."
    )
    line: int | None = Field(
        default=None,
        description=(
            "The line of the passage's text that the cited sentence, list or table row starts on "
            "(0-based), when known; the viewer marks it."
        ),
    )
    language: str | None = Field(
        default=None, description="The passage's language (ISO 639-1), when known."
    )
    url: str = Field(
        description=(
            "Link to the passage in the document viewer: `/documents/{doc_id}#chunk={id}`, with "
            "`&line={line}` when the cited line is known."
        )
    )

    @classmethod
    def of(cls, citation: Citation) -> CitationOut:
        """The API form of a pipeline citation."""
        return cls(
            n=citation.n,
            doc_id=citation.doc_id,
            chunk_id=citation.chunk_id,
            title=citation.title,
            source=citation.source,
            page=citation.page,
            page_label=citation.page_label,
            section=citation.section,
            snippet=citation.snippet,
            score=citation.score,
            verified=citation.verified,
            line=citation.line,
            language=citation.language,
            url=citation_url(citation.doc_id, citation.chunk_id, citation.line),
        )


def citation_url(doc_id: str, chunk_id: str, line: int | None = None) -> str:
    """Where the document viewer shows a passage (and marks its cited line)."""
    url = f"/documents/{quote(doc_id, safe='')}#chunk={quote(chunk_id, safe=':')}"
    return url if line is None else f"{url}&line={line}"


class AskResponse(BaseModel):
    """A grounded answer, or a refusal (`refused: true`, no citations)."""

    answer: str
    citations: list[CitationOut]
    refused: bool
    evidence_score: float
    support: float = Field(
        description="Share of the answer's sentences (0-1) backed by a verified citation."
    )
    mode: Literal["extractive", "generative"]
    flagged: list[str] = Field(
        description="Generated sentences kept although no cited passage supports them."
    )
    coverage: Literal["full", "partial", "none"] = Field(
        description=(
            "`full`: the documents answer; `partial`: the value asked for (a figure, a date, a "
            "name) is not in the documents, and the answer says so first, then what they do say; "
            "`none`: declined (`refused` is true only then)."
        )
    )
    explain: dict[str, Any] | None = Field(
        default=None, description="How the answer was made (when the request asks `explain`)."
    )
    language: str = Field(
        default="en",
        description=(
            "The question's language (ISO 639-1): the request's `language`, else detected, else "
            "the conversation's, else the service default."
        ),
    )

    @classmethod
    def of(cls, answer: Answer) -> AskResponse:
        """The API form of a pipeline answer."""
        return cls(**answer_fields(answer))


def answer_fields(answer: Answer) -> dict[str, Any]:
    """The fields `AskResponse` and `ChatResponse` share."""
    return {
        "answer": answer.answer,
        "citations": [CitationOut.of(c) for c in answer.citations],
        "refused": answer.refused,
        "evidence_score": answer.evidence_score,
        "support": answer.support,
        "mode": answer.mode,
        "flagged": list(answer.flagged),
        "coverage": answer.coverage,
        "explain": answer.explain,
        "language": answer.language,
    }


class Health(BaseModel):
    """Liveness."""

    status: Literal["ok"] = "ok"


class ErrorBody(BaseModel):
    """Every error response."""

    detail: str | list[dict[str, object]]


class ReadyOut(BaseModel):
    """Readiness: the model is loaded and the store answers."""

    status: Literal["ready", "not_ready"]
    model_loaded: bool
    store_reachable: bool
    documents: int = Field(description="Documents in the store (0 when it cannot be reached).")
    chunks: int = Field(description="Chunks in the store (0 when it cannot be reached).")


# --- /v1/chat ---------------------------------------------------------------------------------


class ChatRequest(RequestModel):
    """A conversation: earlier messages are the history, the last (a user message) the question."""

    model_config = ConfigDict(extra="forbid", strict=True)

    messages: list[Message] = Field(min_length=1, max_length=50)
    filters: Filters | None = None
    top_k: int | None = Field(default=None, ge=1, le=50)
    stream: bool = Field(
        default=False, description="Answer as Server-Sent Events: citations, delta…, done."
    )
    explain: bool = Field(
        default=False, description="Return the explain trace with the answer (as `/v1/ask`)."
    )
    language: str | None = Field(
        default=None,
        max_length=35,
        description=(
            "The question's language as a BCP 47 tag (`fr`, `de-AT`): one of the 24 official EU "
            "languages. Overrides detection; the answer's own texts (notices, refusals) are "
            "worded in it, quotes stay in their documents' language."
        ),
    )

    @field_validator("language")
    @classmethod
    def _eu_language(cls, value: str | None) -> str | None:
        return check_language(value)

    @model_validator(mode="after")
    def _ends_with_a_question(self) -> ChatRequest:
        last = self.messages[-1]
        if last.role != "user":
            raise ValueError("the last message must be a user message (the question)")
        if not last.content.strip():
            raise ValueError("the question (last message) must not be blank")
        if len(last.content) > MAX_QUESTION_CHARS:
            raise ValueError(
                f"the question (last message) must be at most {MAX_QUESTION_CHARS} characters"
            )
        return self


class ChatResponse(AskResponse):
    """The answer to the conversation's last message; `request_id` identifies it for feedback."""

    request_id: str


class CitationsEventData(BaseModel):
    """`event: citations`: the passages the answer may cite, sent first."""

    citations: list[CitationOut]


class DeltaEventData(BaseModel):
    """`event: delta`: the next piece of answer text."""

    text: str


# --- /v1/documents ----------------------------------------------------------------------------


class DocumentOut(BaseModel):
    """A document's metadata."""

    doc_id: str
    title: str
    doc_type: str
    source: str
    year: int | None
    language: str | None
    file: str = Field(description="Base name of the file the document was read from.")
    chunks: int = Field(description="Passages indexed.")
    pages: int | None = Field(description="Highest page a passage comes from (PDFs only).")


class DocumentList(BaseModel):
    """One page of the document list, sorted by title."""

    items: list[DocumentOut]
    total: int
    limit: int
    offset: int


class PassageOut(BaseModel):
    """One passage (chunk) of a document."""

    chunk_id: str
    position: int
    page: int | None
    section: str | None
    text: str


class DocumentDetail(DocumentOut):
    """A document's metadata and its passages in reading order."""

    passages: list[PassageOut]


class UploadOut(BaseModel):
    """What became of an uploaded file."""

    file: str = Field(description="The name the file was stored under.")
    doc_id: str | None
    status: Literal["indexed", "unchanged", "duplicate"]
    chunks: int
    reason: str | None = Field(default=None, description="Warnings from reading the file.")


class UploadFailure(BaseModel):
    """An upload that could not be read: `reason` is machine-readable (e.g. `encrypted`)."""

    detail: str
    reason: str | None = None


class FileFailure(BaseModel):
    """A file a reindex could not read."""

    file: str
    reason: str | None


class ReindexOut(BaseModel):
    """Counts of a reindex over the corpus and the uploads."""

    indexed: int
    unchanged: int
    removed: int
    duplicate: int
    failed: int
    chunks_embedded: int
    seconds: float
    failures: list[FileFailure]


class ReindexProgress(BaseModel):
    """A `progress` event of a streamed reindex: passages embedded so far, of those to embed."""

    done: int
    total: int


class CatalogueEntryOut(BaseModel):
    """One file of the collection, as the admin console lists it."""

    file: str = Field(description="Base name of the file.")
    origin: Literal["corpus", "upload"]
    status: Literal["indexed", "duplicate", "failed"]
    reason: str | None = Field(description="Why it failed, or which file is indexed instead.")
    indexed_at: str | None = Field(description="When it was last indexed, or failed (UTC).")
    doc_id: str | None
    title: str | None
    doc_type: str | None
    source: str | None
    year: int | None
    language: str | None
    chunks: int
    pages: int | None


class Catalogue(BaseModel):
    """Every file ingestion has seen, by title."""

    items: list[CatalogueEntryOut]


# --- /v1/admin/unanswered ---------------------------------------------------------------------


class NearestOut(BaseModel):
    """A section closest to an unanswered question."""

    doc_id: str
    title: str
    section: str | None = None


class UnansweredOut(BaseModel):
    """One question the documents did not (fully) answer."""

    id: int
    created_at: str = Field(description="When it was asked (UTC, ISO 8601).")
    question: str
    coverage: Literal["none", "partial"] = Field(
        description="`none`: declined; `partial`: the value asked for is absent."
    )
    evidence: float
    language: str
    nearest: list[NearestOut] = Field(
        description="The sections the answer named as closest (declined) or cited (partial)."
    )
    turns_before: int = Field(description="Messages of the conversation before the question.")


class UnansweredTopic(BaseModel):
    """Unanswered questions on one topic, the one closest to the others naming it."""

    topic: str
    count: int
    questions: list[UnansweredOut]


class UnansweredList(BaseModel):
    """Every unanswered question, grouped by topic, largest group first."""

    total: int
    recording: bool = Field(description="Whether new ones are recorded (`api.record_unanswered`).")
    topics: list[UnansweredTopic]


# --- /v1/feedback -----------------------------------------------------------------------------


class FeedbackCitation(BaseModel):
    """Which passage a marker `[n]` of the rated answer pointed to."""

    model_config = ConfigDict(extra="ignore", strict=True)

    n: int = Field(ge=0, le=1000)
    chunk_id: str = Field(max_length=300)
    doc_id: str = Field(max_length=300)


class FeedbackIn(RequestModel):
    """A rating of one answer, with the question and answer it refers to."""

    model_config = ConfigDict(extra="forbid", strict=True)

    rating: Literal["up", "down"]
    comment: str | None = Field(default=None, max_length=2000)
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    answer: str = Field(max_length=20000)
    citations: list[FeedbackCitation] = Field(default_factory=list, max_length=50)
    messages: list[Message] = Field(
        default_factory=list, max_length=50, description="The conversation before the question."
    )
    request_id: str | None = Field(default=None, max_length=128)


class FeedbackCreated(BaseModel):
    """The stored rating's id."""

    id: int


# --- OpenAI-compatible /v1/chat/completions ---------------------------------------------------

MODEL_ID = "cluster-policy-assistant"


class OpenAIContentPart(BaseModel):
    """One part of a message's content; only text parts are supported."""

    model_config = ConfigDict(extra="ignore", strict=True)

    type: Literal["text"]
    text: str = Field(max_length=8000)


class OpenAIMessage(BaseModel):
    """A chat message; `system` and `developer` messages are accepted and not used."""

    model_config = ConfigDict(extra="ignore", strict=True)

    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[OpenAIContentPart] | None = None
    name: str | None = None

    @property
    def text(self) -> str:
        """The message's text (text parts joined)."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)

    @model_validator(mode="after")
    def _bounded(self) -> OpenAIMessage:
        if len(self.text) > 8000:
            raise ValueError("message content must be at most 8000 characters")
        return self


class StreamOptions(BaseModel):
    """Streaming options; `include_usage` adds a usage chunk before `[DONE]`."""

    model_config = ConfigDict(extra="ignore", strict=True)

    include_usage: bool = False


class ChatCompletionRequest(RequestModel):
    """The OpenAI chat-completions request. Sampling parameters are accepted and ignored: answers
    are composed from the documents. `filters` (an extension) restricts retrieval."""

    model_config = ConfigDict(extra="ignore", strict=True)

    model: str = Field(default=MODEL_ID, max_length=200)
    messages: list[OpenAIMessage] = Field(min_length=1, max_length=60)
    stream: bool = False
    stream_options: StreamOptions | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    n: int | None = Field(default=None, ge=1, le=1)
    stop: str | list[str] | None = None
    user: str | None = None
    filters: Filters | None = None

    @model_validator(mode="after")
    def _ends_with_a_question(self) -> ChatCompletionRequest:
        turns = [m for m in self.messages if m.role in ("user", "assistant")]
        if not turns or turns[-1].role != "user":
            raise ValueError("the last user/assistant message must be a user message")
        question = turns[-1].text
        if not question.strip():
            raise ValueError("the question (last user message) must not be blank")
        if len(question) > MAX_QUESTION_CHARS:
            raise ValueError(
                f"the question (last user message) must be at most {MAX_QUESTION_CHARS} characters"
            )
        return self


class AssistantMessage(BaseModel):
    """The answer, with `[n]` citation markers."""

    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    """The one choice of a completion."""

    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class Usage(BaseModel):
    """Approximate token counts (about four characters a token)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    """An OpenAI `chat.completion`, plus the `citations` the `[n]` markers point to."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    system_fingerprint: str | None = None
    citations: list[CitationOut]
    coverage: Literal["full", "partial", "none"] = Field(
        description="As in `/v1/ask`: `full`, `partial` (the asked-for value is absent) or `none`."
    )


class ModelOut(BaseModel):
    """A model the endpoint serves."""

    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    """The models the endpoint serves (one)."""

    object: Literal["list"] = "list"
    data: list[ModelOut]
