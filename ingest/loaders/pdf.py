"""PDFs via pypdf, page by page, parsed in a worker process with a time limit.

A hostile or enormous PDF can make a parser spin for minutes; parsing happens in a separate
process (spawned, so it never inherits a loaded model) that is killed when the limit passes.
Document metadata is read from the PDF's info dictionary (``/DocId``, ``/DocType``, ``/Source``,
``/Year``, ``/Language`` as written by ``corpus/make_pdfs.py``; ``/Title`` as usual), and the
outline (bookmarks), where present, gives each page's section headings.

Real-world PDFs then go through layout hygiene (`ingest.loaders.pdf_layout`): running headers,
footers and page numbers are removed, each page gets its printed label, tables of contents and
indexes are marked as navigation, headings are found from numbering and type when there is no
outline, and a title that is a file name or a placeholder is taken from the first page instead.
"""

from __future__ import annotations

import copy
import multiprocessing
import os
import re
import time
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pebble import ProcessExpired, ProcessPool

from assistant.text import LIST_MARKER
from ingest.chunker import Block, split_blocks
from ingest.cleaning import clean_text
from ingest.documents import LoadedDocument, Section
from ingest.errors import FailureReason, LoadError
from ingest.loaders.metadata import resolve_metadata
from ingest.loaders.pdf_layout import (
    HeadingMark,
    HeadingPath,
    LayoutReport,
    LineStyle,
    PageLayout,
    analyse_pages,
    body_style,
    decode_styles,
    encode_styles,
    extract_page,
    find_headings,
    is_placeholder_title,
    strip_title_lines,
    title_from_first_page,
    top_numbered_style,
)
from ingest.manifest import file_sha256

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


def _page_labels(reader: Any) -> list[str] | None:
    """The labels of a /PageLabels tree; None when the PDF has none (pypdf would say 1, 2, …)."""
    try:
        if "/PageLabels" not in reader.trailer["/Root"]:
            return None
        return [str(label) for label in reader.page_labels]
    except Exception:
        return None


TABLE_BUDGET_SHARE = 0.5
"""Of a file's parsing time limit, the share the table finder may use: past it, the remaining
pages keep pypdf's text, so that a long PDF is not lost to its tables."""


def parse_pdf(path: str, table_budget_s: float | None = None) -> dict[str, Any]:
    """Parse a PDF into pages (with line styles, tables written in), metadata, outline and page
    labels. The table finder stops after `table_budget_s` seconds (None: no limit).

    Runs inside the worker process.
    """
    import logging

    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, LimitReachedError, PdfReadError

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
        extracted = [extract_page(page) for page in reader.pages]
    except FileNotDecryptedError:
        raise LoadError(FailureReason.ENCRYPTED, "encrypted and cannot be decrypted") from None
    except (LimitReachedError, MemoryError) as exc:  # a decompression bomb, or close to one
        raise LoadError(
            FailureReason.TOO_LARGE, f"a stream decompresses past the parser's limit ({exc})"
        ) from None
    except Exception as exc:
        raise LoadError(
            FailureReason.CORRUPT, f"unreadable or corrupt PDF: the pages cannot be read ({exc})"
        ) from None
    if not extracted:
        raise LoadError(FailureReason.EMPTY, "the PDF has no pages")
    extracted, tables = _with_tables(path, extracted, table_budget_s)
    meta: dict[str, Any] = {}
    try:
        info: Any = reader.metadata or {}
        for key, name in _META_KEYS.items():
            value = info.get(key)
            if value not in (None, ""):
                meta[name] = str(value)
    except Exception:
        meta = {}
    return {
        "pages": [text for text, _ in extracted],
        "styles": [encode_styles(styles) for _, styles in extracted],
        "meta": meta,
        "outline": _outline_entries(reader),
        "page_labels": _page_labels(reader),
        "tables": tables["placed"],
        "tables_rejected": tables["rejected"],
        "tables_unplaced": tables["unplaced"],
        "tables_unread": tables["unread"],
    }


TABLE_LINE_STYLE = LineStyle(0.0, False)
"""A table line's style: none of its own (it is no heading, and sets no body size)."""


def _with_tables(
    path: str,
    extracted: list[tuple[str, list[LineStyle] | None]],
    budget_s: float | None = None,
) -> tuple[list[tuple[str, list[LineStyle] | None]], dict[str, list[int]]]:
    """Each page's text with its tables (pdfplumber's, `ingest.loaders.pdf_tables`) written in
    as Markdown rows, and per page how many tables were placed, rejected as layout frames, or
    found but not placed (their words not found in the text), and whether the page was left
    unread for tables (`unread`: the `budget_s` seconds ran out first). A page pdfplumber cannot
    read keeps pypdf's text."""
    import pdfplumber

    from ingest.loaders.pdf_tables import page_tables, place_tables

    keys = ("placed", "rejected", "unplaced", "unread")
    counts = {key: [0] * len(extracted) for key in keys}
    deadline = None if budget_s is None else time.monotonic() + budget_s
    try:
        pdf = pdfplumber.open(path, password="")
    except Exception:
        return extracted, counts
    out = list(extracted)
    with pdf:
        for index, (text, styles) in enumerate(extracted):
            if deadline is not None and time.monotonic() > deadline:
                counts["unread"][index:] = [1] * (len(extracted) - index)
                break
            try:
                tables, rejected = (
                    page_tables(pdf.pages[index]) if index < len(pdf.pages) else ([], 0)
                )
            except Exception:
                continue
            counts["rejected"][index] = rejected
            if not tables:
                continue
            lines, origin, placed = place_tables(text.split("\n"), tables)
            counts["placed"][index] = placed
            counts["unplaced"][index] = len(tables) - placed
            if not placed:
                continue
            new_styles = (
                None
                if styles is None
                else [TABLE_LINE_STYLE if o is None else styles[o] for o in origin]
            )
            out[index] = ("\n".join(lines), new_styles)
    return out, counts


_pool: ProcessPool | None = None
_pool_size = 0
_pool_memory = 0
_prefetched: dict[str, Future[Any]] = {}
_kept: tuple[str, dict[str, Any]] | None = None
"""One parse kept for the next load of the same bytes (`parse_pdf_with_timeout(keep=True)`)."""
DEFAULT_MEMORY_MB = 2048
"""The address-space limit of a parsing worker (`ingest.pdf_memory_mb`)."""


def _limit_memory(limit_bytes: int) -> None:
    """Worker initializer: cap the process's address space, so that a decompression bomb
    raises MemoryError in the worker instead of exhausting the machine."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))


def _worker_pool(workers: int = 1, memory_mb: int = DEFAULT_MEMORY_MB) -> ProcessPool:
    """The parsing pool, with at least `workers` worker processes (spawned: none inherits a
    loaded model), each limited to `memory_mb` of address space and replaced after one file:
    what a parse leaves in memory goes with its process (a worker kept across six real-policy
    uploads grew from 57 to 380 MiB in the soak), and no file's parse runs in a process
    another file has touched. A fresh worker costs about 0.6 s per PDF (measured 2026-12-07,
    Intel Xeon 2 cores: 0.73 s against 0.15 s per starter-corpus PDF)."""
    global _pool, _pool_size, _pool_memory
    if _pool is None or not _pool.active or _pool_size < workers or _pool_memory != memory_mb:
        if _pool is not None and _pool.active:
            _pool.close()  # type: ignore[no-untyped-call]
        _pool = ProcessPool(
            max_workers=workers,
            max_tasks=1,
            context=multiprocessing.get_context("spawn"),
            initializer=_limit_memory,
            initargs=(memory_mb * 1024 * 1024,),
        )
        _pool_size = workers
        _pool_memory = memory_mb
    return _pool


def prefetch_pdfs(
    paths: Sequence[Path], timeout_s: float, workers: int = 0, memory_mb: int = DEFAULT_MEMORY_MB
) -> None:
    """Start parsing `paths` side by side (`workers` processes; 0: one per core), so that
    `load_pdf` of each finds its parse under way. Each file keeps its own time limit, counted
    from when a worker takes it up."""
    if len(paths) < 2:
        return
    size = min(workers or os.cpu_count() or 1, len(paths))
    pool = _worker_pool(size, memory_mb)
    for path in paths:
        key = str(path)
        if key not in _prefetched:
            _prefetched[key] = pool.schedule(
                parse_pdf, args=(key, timeout_s * TABLE_BUDGET_SHARE), timeout=timeout_s
            )


def cancel_prefetched() -> None:
    """Drop parses started by `prefetch_pdfs` that no one collected."""
    while _prefetched:
        _, future = _prefetched.popitem()
        future.cancel()


def _take_kept(path: Path) -> dict[str, Any] | None:
    """The kept parse when `path` holds the same bytes, else None; either way it is dropped
    (an upload refused after its check leaves nothing kept past the next parse)."""
    global _kept
    kept, _kept = _kept, None
    if kept is None or kept[0] != file_sha256(path):
        return None
    return kept[1]


def parse_pdf_with_timeout(
    path: Path, timeout_s: float, memory_mb: int = DEFAULT_MEMORY_MB, keep: bool = False
) -> dict[str, Any]:
    """`parse_pdf` in a worker process limited to `memory_mb`; the worker is killed and
    `LoadError` raised past `timeout_s` (`timeout`), or when parsing needs more memory
    (`too_large`).

    With `keep`, the parse is kept for the next call, if that call is on the same bytes:
    an upload is parsed in staging to be checked, then ingested from its final place, and the
    second parse would repeat the first (about 5 s of a 73 s real-policy upload, measured
    2026-12-07, Intel Xeon 2 cores)."""
    global _kept
    kept = _take_kept(path)
    if kept is not None:
        return kept
    future = _prefetched.pop(str(path), None)
    if future is None:
        future = _worker_pool(1, memory_mb).schedule(
            parse_pdf, args=(str(path), timeout_s * TABLE_BUDGET_SHARE), timeout=timeout_s
        )
    try:
        parsed = dict(future.result())
        if keep:
            _kept = (file_sha256(path), copy.deepcopy(parsed))
        return parsed
    except FutureTimeout:
        raise LoadError(
            FailureReason.TIMEOUT, f"parsing took longer than the {timeout_s:g} s limit"
        ) from None
    except LoadError:
        raise
    except MemoryError:
        raise LoadError(
            FailureReason.TOO_LARGE, f"parsing needed more than the {memory_mb} MB limit"
        ) from None
    except ProcessExpired as exc:
        raise LoadError(
            FailureReason.CORRUPT,
            f"the PDF parser's process died (exit code {exc.exitcode}; its memory limit is "
            f"{memory_mb} MB)",
        ) from None
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
        _enter(path_so_far, depth, title)
        i += span
    if "".join(current).strip():
        sections.append(_section(current, path_so_far, page_no))
    return sections


_TABLE_LINE = re.compile(r"(?:^|\n)\s*\|[^\n]*$")
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
        last = _last_page(here)
        if (
            last is None
            or there.page != last + 1
            or LIST_MARKER.match(there.text)
            or _TABLE_LINE.search(here.text.rstrip())
            or there.text.lstrip().startswith("|")
            or here.heading != there.heading
            or here.navigation != there.navigation
            or _SENTENCE_END.search(here.text.rstrip())
        ):
            continue
        head = _FIRST_SENTENCE.match(there.text)
        if head is None:
            continue
        out[i] = replace(here, text=f"{here.text.rstrip()} {head.group(1)}")
        out[i + 1] = replace(there, text=there.text[head.end() :].strip())
    return [s for s in out if s.text]


def _last_page(section: Section) -> int | None:
    """The page a section ends on."""
    return section.page_starts[-1][1] if section.page_starts else section.page


def _continues(ending: list[Block], first: list[Block]) -> str | None:
    """How the next page's blocks `first` go on with the blocks `ending` a page ends with: as
    the same "list" (items after items or after their lead-in), the same "table" (rows after
    rows, under no header or the same header), or None."""
    if not ending or not first:
        return None
    last, head = ending[-1], first[0]
    if head.kind == "item" and (last.kind == "item" or last.lead_in):
        return "list"
    if last.kind in ("row", "table_header"):
        header = next((b.text for b in reversed(ending) if b.kind == "table_header"), None)
        if head.kind == "row" or (head.kind == "table_header" and head.text == header):
            return "table"
    return None


def _join_lists(sections: list[Section]) -> list[Section]:
    """One section for a list or table that runs over a page break: when a page's section ends
    with a list (or its lead-in) or a table, and the next page's section under the same heading
    opens with its items or rows (a repeated table header is dropped), the two are one section
    whose `page_starts` keep each line's page."""
    out: list[Section] = []
    for section in sections:
        here = out[-1] if out else None
        if (
            here is None
            or (last := _last_page(here)) is None
            or section.page != last + 1
            or here.heading != section.heading
            or here.navigation != section.navigation
            or not section.text.strip()
        ):
            out.append(section)
            continue
        ending, first = split_blocks(here.text), split_blocks(section.text)
        how = _continues(ending, first)
        if (
            how is None
            or (page := section.page) is None
            or (how == "table" and section.page_starts)
        ):
            out.append(section)
            continue
        if how == "table" and first[0].kind == "table_header":
            lines = section.text.split("\n")
            del lines[first[0].line : first[0].line + 2]
            section = replace(section, text="\n".join(lines))
        offset = here.text.count("\n") + 1
        starts = (
            *here.page_starts,
            (offset, page, section.page_label),
            *((line + offset, p, label) for line, p, label in section.page_starts),
        )
        out[-1] = replace(here, text=f"{here.text}\n{section.text}", page_starts=starts)
    return out


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


def _heading_path(path: list[str]) -> str | None:
    return " > ".join(p for p in path if p) or None


def _enter(path: list[str], depth: int, title: str) -> None:
    """Make `title` the heading at `depth` of the running heading path."""
    del path[depth:]
    path.extend([""] * (depth - len(path)))
    path.append(title)


def _marked_sections(
    layout: PageLayout, marks: list[HeadingMark], path: HeadingPath, title: str | None
) -> list[Section]:
    """Split one page at the headings found on it (by line), tracking the heading path.

    On the first page, a title opening the text is dropped (it is metadata, not content).
    """
    sections: list[Section] = []
    current: list[str] = []
    starts = {m.line: m for m in marks}

    def flush() -> None:
        text = clean_text("\n".join(current))
        if title and layout.index == 0 and not sections:
            text = _drop_leading_title(text, title)
        if text:
            sections.append(Section(text, path.heading, layout.index + 1, page_label=layout.label))
        current.clear()

    i = 0
    while i < len(layout.lines):
        mark = starts.get(i)
        if mark is None:
            current.append(layout.lines[i])
            i += 1
            continue
        flush()
        path.enter(mark)
        i += mark.span
    flush()
    return sections


def _repair_title(
    meta: dict[str, Any], layouts: list[PageLayout], body: tuple[float, bool]
) -> bool:
    """Replace a missing or placeholder title with the first page's first large heading.

    The heading's lines leave the page's text, unless they are all the document has. Without a
    large heading, the first substantial line is the title and stays in the text; without
    either, the title is left out of `meta`, and the file name gives it. Returns whether the
    title is a line of the text that must stay there.
    """
    if not is_junk_title(meta.get("title"), layouts):
        return False
    meta.pop("title", None)
    first = next((page for page in layouts[:2] if page.text.strip()), None)
    found = title_from_first_page(first, body) if first is not None else None
    if first is None or found is None:
        return False
    meta["title"], lines = found
    rest = [line for k, line in enumerate(first.lines) if k not in set(lines)]
    if not lines or not (
        "".join(rest).strip() or any(page.text.strip() for page in layouts if page is not first)
    ):
        return True
    strip_title_lines(first, lines)
    return False


_CREDIT = re.compile(r"©|\(c\)|\bcopyright\b|\ball rights reserved\b|\bphoto", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]{3,}")
TITLE_WORDS_IN_TEXT = 0.5
"""A metadata title is the document's when at least this share of its words stand in its text."""


def is_junk_title(title: str | None, layouts: Sequence[PageLayout]) -> bool:
    """Whether a PDF's metadata title is no title of this document: a placeholder or file name
    (`is_placeholder_title`), a copyright or photo credit, a single word, or words that mostly
    appear on no page of the document."""
    if is_placeholder_title(title):
        return True
    text = " ".join((title or "").split())
    if _CREDIT.search(text) or len(text.split()) < 2:
        return True
    words = set(_WORD.findall(text.casefold()))
    if not words:
        return False
    present = set(_WORD.findall(" ".join(page.text for page in layouts).casefold()))
    return len(words & present) < TITLE_WORDS_IN_TEXT * len(words)


@dataclass
class PdfLayout:
    """A parsed PDF after layout hygiene (see `ingest.loaders.pdf_layout`)."""

    pages: list[PageLayout]
    report: LayoutReport
    meta: dict[str, Any]
    """The info-dictionary metadata, its title repaired."""
    body: tuple[float, bool]
    """The size and weight of the body text."""
    title_in_text: bool
    """The title was taken from a line of the text, which must stay there."""


def read_pdf_layout(parsed: dict[str, Any]) -> PdfLayout:
    """Layout hygiene over what `parse_pdf` returned."""
    raw_styles = parsed.get("styles")
    styles = [decode_styles(s) for s in raw_styles] if raw_styles else None
    layouts, report = analyse_pages(parsed["pages"], styles, parsed.get("page_labels"))
    body = body_style(layouts)
    meta = dict(parsed["meta"])
    title_in_text = _repair_title(meta, layouts, body)
    return PdfLayout(layouts, report, meta, body, title_in_text)


def load_pdf(
    path: Path, timeout_s: float = 60.0, memory_mb: int = DEFAULT_MEMORY_MB, keep: bool = False
) -> LoadedDocument:
    """Load a PDF page by page (pages are numbered from 1); `keep`: keep its parse for the
    next load of the same bytes (`parse_pdf_with_timeout`)."""
    parsed = parse_pdf_with_timeout(path, timeout_s, memory_mb, keep)
    layout_info = read_pdf_layout(parsed)
    layouts, body = layout_info.pages, layout_info.body
    meta = resolve_metadata(path, layout_info.meta)
    # The title, as far as it may be dropped from the start of the first page.
    leading_title = None if layout_info.title_in_text else meta["title"]
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
    tracker: HeadingPath | None = None
    if not outline:
        # Headings from numbering and type: a first pass finds how the top-level numbered
        # headings are set, which places the unnumbered ones.
        found = [find_headings(layout, body, meta["title"]) for layout in layouts]
        tracker = HeadingPath(top_numbered_style([m for marks in found for m in marks]))
    sections: list[Section] = []
    heading_path: list[str] = []
    empty_pages: list[int] = []
    for layout in layouts:
        index = layout.index
        text = clean_text(layout.text)
        if not text:
            empty_pages.append(index + 1)
            continue
        if layout.navigation:
            current = tracker.heading if tracker is not None else _heading_path(heading_path)
            sections.append(
                Section(text, layout.navigation_heading or current, index + 1, True, layout.label)
            )
            continue
        if tracker is not None:
            sections.extend(_marked_sections(layout, found[index], tracker, leading_title))
            continue
        if index == 0 and leading_title:
            text = _drop_leading_title(text, leading_title)
        headings = [(d, t) for p, d, t in outline if p == index]
        sections.extend(
            replace(s, page_label=layout.label)
            for s in _page_sections(text, index + 1, headings, heading_path)
        )
    sections = _join_split_sentences(_join_lists(sections))
    if not sections:
        raise LoadError(
            FailureReason.NO_TEXT,
            "no text layer: the PDF looks scanned or image-only (run OCR on it first)",
        )
    doc = LoadedDocument(path=path, format="pdf", sections=sections, **meta)
    raw_title = parsed["meta"].get("title")
    if raw_title and raw_title != doc.title:
        doc.replaced_title = str(raw_title)
    doc.structure = {
        "tables": sum(parsed.get("tables") or []),
        "tables_rejected": sum(parsed.get("tables_rejected") or []),
        "tables_unplaced": sum(parsed.get("tables_unplaced") or []),
        "joined_across_pages": sum(len(s.page_starts) for s in sections),
    }
    if empty_pages:
        doc.warnings.append(f"pages without text skipped: {empty_pages}")
    unread = [k + 1 for k, flag in enumerate(parsed.get("tables_unread") or []) if flag]
    if unread:
        doc.warnings.append(
            f"tables not read from page {unread[0]} on: the table finder ran out of its "
            f"{TABLE_BUDGET_SHARE:.0%} share of the parsing time limit"
        )
    return doc
