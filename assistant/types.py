"""Value types shared by ingestion, retrieval and the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

DocType = Literal[
    "policy_guide",
    "dos_and_donts",
    "service_description",
    "eligibility",
    "facts_and_figures",
    "directory",
    "event",
    "other",
]
DOC_TYPES: tuple[str, ...] = get_args(DocType)

# Metadata keys a caller may filter on, with the Python type of their values.
FILTERABLE_FIELDS: dict[str, type] = {"doc_type": str, "source": str, "year": int, "doc_id": str}


PageStarts = tuple[tuple[int, int, str | None], ...]
"""Where a text that runs over page breaks changes page: (line, page, printed label) each."""


@dataclass(frozen=True)
class Chunk:
    """A passage of a document, the unit that is embedded, retrieved and cited."""

    id: str
    text: str
    doc_id: str
    title: str
    doc_type: str
    source: str
    source_path: str
    position: int
    year: int | None = None
    language: str | None = None
    page: int | None = None
    section: str | None = None
    page_label: str | None = None
    """The page number printed on `page` ("12", "8–9" for a spread), when known."""
    navigation: bool = False
    """A table of contents or an index: kept in the store, not meant to answer from."""
    page_starts: PageStarts = ()
    """Where a chunk that runs over a page break changes page: (line of `text`, page, printed
    label) for each later page; empty for a chunk on one page."""
    version: str = ""
    """The content hash of the file version the chunk was last written from: while a changed
    document is being replaced, its old and new chunks are told apart by it."""

    def page_of_line(self, line: int) -> tuple[int | None, str | None]:
        """The page (and its printed label) that line `line` of the text stands on."""
        return page_at(line, self.page, self.page_label, self.page_starts)

    @property
    def embedding_text(self) -> str:
        """What is embedded: the title and heading path in front of the body, for context."""
        heading = self.title if not self.section else f"{self.title} > {self.section}"
        return f"{heading}\n\n{self.text}"

    def metadata(self) -> dict[str, str | int]:
        """Flat metadata for the vector store; absent values are left out (Chroma drops None)."""
        data: dict[str, str | int | None] = {
            "doc_id": self.doc_id,
            "title": self.title,
            "doc_type": self.doc_type,
            "source": self.source,
            "source_path": self.source_path,
            "position": self.position,
            "year": self.year,
            "language": self.language,
            "page": self.page,
            "section": self.section,
            "page_label": self.page_label,
            "navigation": self.navigation,
            "page_starts": encode_page_starts(self.page_starts) or None,
            "version": self.version or None,
        }
        return {key: value for key, value in data.items() if value is not None}

    @classmethod
    def from_store(cls, chunk_id: str, text: str, metadata: dict[str, Any]) -> Chunk:
        """Rebuild a chunk from what the store returned."""
        return cls(
            id=chunk_id,
            text=text,
            doc_id=str(metadata.get("doc_id", "")),
            title=str(metadata.get("title", "")),
            doc_type=str(metadata.get("doc_type", "")),
            source=str(metadata.get("source", "")),
            source_path=str(metadata.get("source_path", "")),
            position=int(metadata.get("position", 0)),
            year=_opt_int(metadata.get("year")),
            language=_opt_str(metadata.get("language")),
            page=_opt_int(metadata.get("page")),
            section=_opt_str(metadata.get("section")),
            page_label=_opt_str(metadata.get("page_label")),
            navigation=bool(metadata.get("navigation", False)),
            page_starts=decode_page_starts(metadata.get("page_starts")),
            version=str(metadata.get("version", "")),
        )


def page_at(
    line: int, page: int | None, label: str | None, starts: PageStarts
) -> tuple[int | None, str | None]:
    """The page and printed label of line `line` of a text that opens on `page` (`label`) and
    changes page at `starts`."""
    for start, start_page, start_label in starts:
        if start > line:
            break
        page, label = start_page, start_label
    return page, label


def encode_page_starts(starts: PageStarts) -> str:
    """Page starts as flat metadata: "line:page:label" joined by "|" ("" for none)."""
    return "|".join(f"{line}:{page}:{label or ''}" for line, page, label in starts)


def decode_page_starts(raw: Any) -> PageStarts:
    """The inverse of `encode_page_starts` (a malformed value reads as none)."""
    if not raw:
        return ()
    starts = []
    try:
        for part in str(raw).split("|"):
            line, page, label = part.split(":", 2)
            starts.append((int(line), int(page), label or None))
    except ValueError:
        return ()
    return tuple(starts)


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class ScoredChunk:
    """A retrieved chunk with its similarity to the question (cosine, higher is closer)."""

    chunk: Chunk
    score: float
    rank: int


@dataclass(frozen=True)
class Citation:
    """One numbered source of an answer."""

    n: int
    chunk_id: str
    doc_id: str
    title: str
    source: str
    page: int | None
    section: str | None
    snippet: str
    score: float
    verified: bool = True
    """Whether the citation verifier found that this passage supports the sentences citing it."""
    page_label: str | None = None
    """The page number printed on `page` ("12", "8–9"), when known."""
    line: int | None = None
    """The line of the passage's text the cited sentence, list or table row starts on."""
    language: str | None = None
    """The passage's language (ISO 639-1): quotes are in it, whatever the question's."""

    @classmethod
    def of(
        cls,
        hit: ScoredChunk,
        n: int,
        snippet: str,
        verified: bool = True,
        line: int | None = None,
    ) -> Citation:
        """Citation number `n` of a retrieved passage, on the page of its line `line` (the
        cited sentence's: a passage may run over a page break)."""
        chunk = hit.chunk
        page, page_label = chunk.page_of_line(line or 0)
        return cls(
            n=n,
            chunk_id=chunk.id,
            doc_id=chunk.doc_id,
            title=chunk.title,
            source=chunk.source,
            page=page,
            section=chunk.section,
            snippet=snippet,
            score=round(hit.score, 4),
            verified=verified,
            page_label=page_label,
            line=line,
            language=chunk.language,
        )


@dataclass(frozen=True)
class NearestSection:
    """A section a refusal names as the closest to the question."""

    doc_id: str
    title: str
    section: str | None = None


@dataclass(frozen=True)
class Answer:
    """A grounded answer: text with `[n]` markers and the citations they point to."""

    answer: str
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    evidence_score: float = 0.0
    unknown_terms: list[str] = field(default_factory=list)
    coverage_gap: float = 0.0
    """IDF-weighted share (0-1) of the question's terms absent from the best passages."""
    support: float = 0.0
    """Share of the answer's sentences (0-1) backed by a verified citation; 0 for a refusal."""
    mode: Literal["extractive", "generative"] = "extractive"
    flagged: list[str] = field(default_factory=list)
    """Generated sentences kept although no cited passage supports them (generative mode only)."""
    note: str = ""
    """A sentence about the documents rather than from them (what they do not give), shown before
    the quoted answer; it cites nothing."""
    coverage: Literal["full", "partial", "none"] = "full"
    """`full`: the documents answer; `partial`: the value asked for (a figure, a date, a name) is
    absent, and the answer says so first, then what the documents do say; `none`: declined."""
    explain: dict[str, Any] | None = None
    nearest: list[NearestSection] = field(default_factory=list)
    """For a refusal: the sections closest to the question (those its text names)."""
    """How the answer was made, when asked for (`assistant.answer.explain`)."""
    language: str = "en"
    """The question's language (ISO 639-1), which the answer's own texts are worded in."""


@dataclass(frozen=True)
class CitationsEvent:
    """Streaming: the passages the answer may cite, sent as soon as they are known."""

    citations: list[Citation]


@dataclass(frozen=True)
class DeltaEvent:
    """Streaming: the next piece of answer text."""

    text: str


@dataclass(frozen=True)
class DoneEvent:
    """Streaming: the final, verified answer; it supersedes the text streamed so far."""

    answer: Answer


StreamEvent = CitationsEvent | DeltaEvent | DoneEvent
