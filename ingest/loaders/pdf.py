"""PDFs via pypdf, page by page, parsed in a worker process with a time limit.

A hostile or enormous PDF can make a parser spin for minutes; parsing happens in a separate
process (spawned, so it never inherits a loaded model) that is killed when the limit passes.
Document metadata is read from the PDF's info dictionary (``/DocId``, ``/DocType``, ``/Source``,
``/Year``, ``/Language`` as written by ``corpus/make_pdfs.py``; ``/Title`` as usual), and the
outline (bookmarks), where present, gives each page's section headings.
"""

from __future__ import annotations

import multiprocessing
import re
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from pebble import ProcessPool

from ingest.cleaning import clean_text
from ingest.documents import LoadedDocument, Section
from ingest.errors import FailureReason, LoadError
from ingest.loaders.metadata import resolve_metadata

_META_KEYS = {
    "/DocId": "id",
    "/Title": "title",
    "/DocType": "doc_type",
    "/Source": "source",
    "/Year": "year",
    "/Language": "language",
}


def _outline_entries(reader: Any) -> list[tuple[int, int, str]]:
    """(page index, depth, title) of every bookmark, in document order."""
    entries: list[tuple[int, int, str]] = []

    def walk(items: list[Any], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
                continue
            try:
                page = reader.get_destination_page_number(item)
            except Exception:
                continue
            title = str(getattr(item, "title", "") or "").strip()
            if title and page is not None and page >= 0:
                entries.append((page, depth, title))

    try:
        walk(list(reader.outline), 0)
    except Exception:
        return []
    return entries


def parse_pdf(path: str) -> dict[str, Any]:
    """Parse a PDF into pages, metadata and outline. Runs inside the worker process."""
    import logging

    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)

    try:
        reader = PdfReader(path, strict=False)
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as exc:
        raise LoadError(FailureReason.CORRUPT, f"unreadable or corrupt PDF ({exc})") from None
    except Exception as exc:
        raise LoadError(FailureReason.CORRUPT, f"unreadable or corrupt PDF ({exc!r})") from None
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except Exception as exc:
            raise LoadError(
                FailureReason.ENCRYPTED, f"encrypted and cannot be opened ({exc})"
            ) from None
        if not opened:
            raise LoadError(
                FailureReason.ENCRYPTED,
                "encrypted with a password; the empty password does not open it",
            )
    try:
        pages = [page.extract_text() or "" for page in reader.pages]
    except FileNotDecryptedError:
        raise LoadError(FailureReason.ENCRYPTED, "encrypted and cannot be decrypted") from None
    except Exception as exc:
        raise LoadError(
            FailureReason.CORRUPT, f"unreadable or corrupt PDF: the pages cannot be read ({exc})"
        ) from None
    if not pages:
        raise LoadError(FailureReason.EMPTY, "the PDF has no pages")
    meta: dict[str, Any] = {}
    try:
        info: Any = reader.metadata or {}
        for key, name in _META_KEYS.items():
            value = info.get(key)
            if value not in (None, ""):
                meta[name] = str(value)
    except Exception:
        meta = {}
    return {"pages": pages, "meta": meta, "outline": _outline_entries(reader)}


_pool: ProcessPool | None = None


def _worker_pool() -> ProcessPool:
    global _pool
    if _pool is None or not _pool.active:
        _pool = ProcessPool(max_workers=1, context=multiprocessing.get_context("spawn"))
    return _pool


def parse_pdf_with_timeout(path: Path, timeout_s: float) -> dict[str, Any]:
    """`parse_pdf` in the worker; the worker is killed and `LoadError` raised past `timeout_s`."""
    future = _worker_pool().schedule(parse_pdf, args=(str(path),), timeout=timeout_s)
    try:
        return dict(future.result())
    except FutureTimeout:
        raise LoadError(
            FailureReason.TIMEOUT, f"parsing took longer than the {timeout_s:g} s limit"
        ) from None
    except LoadError:
        raise
    except Exception as exc:
        raise LoadError(FailureReason.CORRUPT, f"the PDF parser failed ({exc!r})") from None


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _page_sections(
    text: str, page_no: int, headings: list[tuple[int, str]], path_so_far: list[str]
) -> list[Section]:
    """Split one page at the bookmarked headings found on it, tracking the heading path.

    A heading may wrap over up to three lines of extracted text.
    """
    sections: list[Section] = []
    current: list[str] = []
    lines = text.split("\n")
    pending = list(headings)
    i = 0
    while i < len(lines):
        match, span = None, 0
        for width in (1, 2, 3):
            joined = _norm(" ".join(lines[i : i + width]))
            match = next((h for h in pending if _norm(h[1]) == joined), None)
            if match is not None:
                span = width
                break
        if match is None:
            current.append(lines[i])
            i += 1
            continue
        if "".join(current).strip():
            sections.append(_section(current, path_so_far, page_no))
        current = []
        pending.remove(match)
        depth, title = match
        del path_so_far[depth:]
        path_so_far.extend([""] * (depth - len(path_so_far)))
        path_so_far.append(title)
        i += span
    if "".join(current).strip():
        sections.append(_section(current, path_so_far, page_no))
    return sections


_SENTENCE_END = re.compile(r"[.!?…:;][\"'”’)\]]*$")
_FIRST_SENTENCE = re.compile(r"^(.{1,400}?[.!?…][\"'”’)\]]*)(?:\s+|$)", re.DOTALL)


def _join_split_sentences(sections: list[Section]) -> list[Section]:
    """Finish a sentence cut by a page break with the head of the next page's same section.

    The whole sentence is kept on the page where it starts, so that it is not split into two
    fragments that each read as nonsense.
    """
    out = list(sections)
    for i in range(len(out) - 1):
        here, there = out[i], out[i + 1]
        if (
            here.page is None
            or there.page != here.page + 1
            or here.heading != there.heading
            or _SENTENCE_END.search(here.text.rstrip())
        ):
            continue
        head = _FIRST_SENTENCE.match(there.text)
        if head is None:
            continue
        out[i] = Section(f"{here.text.rstrip()} {head.group(1)}", here.heading, here.page)
        out[i + 1] = Section(there.text[head.end() :].strip(), there.heading, there.page)
    return [s for s in out if s.text]


def _drop_leading_title(text: str, title: str) -> str:
    """Remove the title when it opens the first page (it is metadata, not content)."""
    lines = text.split("\n")
    for width in (1, 2, 3):
        if _norm(" ".join(lines[:width])) == _norm(title):
            return "\n".join(lines[width:]).strip()
    return text


def _section(lines: list[str], path: list[str], page_no: int) -> Section:
    heading = " > ".join(p for p in path if p) or None
    return Section(text="\n".join(lines).strip(), heading=heading, page=page_no)


def load_pdf(path: Path, timeout_s: float = 60.0) -> LoadedDocument:
    """Load a PDF page by page (pages are numbered from 1)."""
    parsed = parse_pdf_with_timeout(path, timeout_s)
    meta = resolve_metadata(path, parsed["meta"])
    outline: list[tuple[int, int, str]] = [tuple(e) for e in parsed["outline"]]
    # A top-level bookmark that repeats the title is the title, not a section.
    min_depth = min((d for _, d, _ in outline), default=0)
    title_key = meta["title"].strip().lower()
    outline = [
        (p, d - min_depth, t)
        for p, d, t in outline
        if not (d == min_depth and t.strip().lower() == title_key)
    ]
    if outline and min(d for _, d, _ in outline) > 0:
        shift = min(d for _, d, _ in outline)
        outline = [(p, d - shift, t) for p, d, t in outline]
    sections: list[Section] = []
    heading_path: list[str] = []
    empty_pages: list[int] = []
    for index, raw in enumerate(parsed["pages"]):
        text = clean_text(raw)
        if not text:
            empty_pages.append(index + 1)
            continue
        if index == 0:
            text = _drop_leading_title(text, meta["title"])
        headings = [(d, t) for p, d, t in outline if p == index]
        sections.extend(_page_sections(text, index + 1, headings, heading_path))
    sections = _join_split_sentences(sections)
    if not sections:
        raise LoadError(
            FailureReason.NO_TEXT,
            "no text layer: the PDF looks scanned or image-only (run OCR on it first)",
        )
    doc = LoadedDocument(path=path, format="pdf", sections=sections, **meta)
    if empty_pages:
        doc.warnings.append(f"pages without text skipped: {empty_pages}")
    return doc
