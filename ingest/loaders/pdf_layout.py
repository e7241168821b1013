"""Layout hygiene for real-world PDFs, on the text pypdf extracts page by page.

Everything here works on whole documents, because a running header or a page number is only
recognisable by repeating across pages:

* running headers and footers (the same first or last lines on many pages, digits aside) and bare
  page numbers are found and removed before sectioning;
* the printed page number is read off the pages (a number alone at the top or bottom, or the number
  in a running header) when it follows the PDF page index with a constant offset, or two numbers per
  PDF page for printer's spreads; it becomes each page's label;
* table-of-contents and index pages are recognised (dot leaders, lines ending in page numbers, a
  "Contents" or "Index" heading) so that their passages can be kept out of answers;
* without an outline, headings are found from numbering ("3.2 Societal challenges") and from type
  (lines set larger or bolder than the body text);
* a title that is a file name or a tool's placeholder is replaced by the first large heading of the
  first page.

The loader (`ingest.loaders.pdf`) collects each line's font size and weight in the parsing worker
(`line_styles`) and applies these steps in the parent process.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from ingest.cleaning import normalize_unicode

EDGE_LINES = 3
"""How many non-empty lines at the top and at the bottom of a page may be header or footer."""


@dataclass(frozen=True)
class LineStyle:
    """How one extracted line is set: its main font size (points, 0 when unknown) and weight.

    `core` is the line without decorative glyphs much larger than its text (a drop capital, a
    chapter number set huge next to the chapter title), when there are any.
    """

    size: float
    bold: bool
    core: str | None = None


# --- styles, collected in the parsing worker ------------------------------------------------

_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)


def _effective_size(cm: Sequence[float], tm: Sequence[float], font_size: float) -> float:
    """The font size as rendered: the text matrix and the CTM scale it."""
    try:
        x = tm[2] * cm[0] + tm[3] * cm[2]
        y = tm[2] * cm[1] + tm[3] * cm[3]
        size = float(font_size) * math.hypot(x, y)
    except (TypeError, ValueError, IndexError):
        return 0.0
    return round(size, 1) if math.isfinite(size) and size > 0 else 0.0


def _font_is_bold(font: Any) -> bool:
    try:
        name = str(font.get("/BaseFont", "")) if font is not None else ""
    except Exception:
        return False
    return bool(_BOLD_FONT.search(name))


def extract_page(page: Any) -> tuple[str, list[LineStyle] | None]:
    """A pypdf page's text, and the style of each of its lines (None when they cannot be aligned).

    The pieces pypdf hands to `visitor_text` concatenate to exactly the text it returns, so each
    character can be given the font it was drawn with.
    """
    pieces: list[tuple[str, float, bool]] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, font_size: Any) -> None:
        if text:
            pieces.append((text, _effective_size(cm, tm, font_size), _font_is_bold(font)))

    text = page.extract_text(visitor_text=visit) or ""
    if "".join(p[0] for p in pieces) != text:
        return text, None
    return text, _styles_of_lines(pieces)


def _styles_of_lines(pieces: list[tuple[str, float, bool]]) -> list[LineStyle]:
    lines: list[list[tuple[str, float, bool]]] = [[]]
    for text, size, bold in pieces:
        parts = text.split("\n")
        for k, part in enumerate(parts):
            if k:
                lines.append([])
            if part:
                lines[-1].append((part, size, bold))
    return [_line_style(runs) for runs in lines]


def _line_style(runs: list[tuple[str, float, bool]]) -> LineStyle:
    weight: Counter[float] = Counter()
    bold_chars = chars = 0
    for text, size, bold in runs:
        n = sum(1 for ch in text if not ch.isspace())
        weight[size] += n
        chars += n
        bold_chars += n if bold else 0
    if not chars:
        return LineStyle(0.0, False)
    size = weight.most_common(1)[0][0]
    core = None
    if size > 0:
        # Decorative glyphs at either end: much larger than the line's own text.
        big = [s > 1.6 * size and t.strip() != "" for t, s, _ in runs]
        start, end = 0, len(runs)
        while start < end and (big[start] or not runs[start][0].strip()):
            start += 1
        while end > start and (big[end - 1] or not runs[end - 1][0].strip()):
            end -= 1
        if any(big[:start]) or any(big[end:]):
            stripped = "".join(t for t, _, _ in runs[start:end]).strip()
            core = stripped if any(ch.isalpha() for ch in stripped) else None
    return LineStyle(size, bold_chars >= 0.6 * chars, core)


def encode_styles(styles: list[LineStyle] | None) -> list[tuple[float, bool, str | None]] | None:
    """Styles as plain tuples, to cross the process boundary cheaply."""
    return None if styles is None else [(s.size, s.bold, s.core) for s in styles]


def decode_styles(raw: Any) -> list[LineStyle] | None:
    """The inverse of `encode_styles`."""
    return None if raw is None else [LineStyle(float(a), bool(b), c) for a, b, c in raw]


# --- running headers and footers, page numbers ----------------------------------------------

_DIGITS = re.compile(r"\d+")
_BARE_NUMBER = re.compile(
    r"^[-–—\s]*(?:(?:page|p\.|pg\.?)\s*)?(\d{1,4})(?:\s*(?:/|of)\s*\d{1,4})?[-–—\s]*$",
    re.IGNORECASE,
)


def _squash(line: str) -> str:
    return " ".join(normalize_unicode(line).split()).casefold()


def _mask(line: str) -> str | None:
    """A line with its digits removed, for comparison across pages; None for lines too short."""
    key = " ".join(_DIGITS.sub(" ", _squash(line)).split())
    return key if sum(ch.isalpha() for ch in key) >= 3 else None


def edge_indices(lines: Sequence[str], width: int = EDGE_LINES) -> list[int]:
    """Indices of the first and last `width` non-empty lines of a page."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return sorted(set(filled[:width]) | set(filled[-width:]))


def _first_last(lines: Sequence[str]) -> set[int]:
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return {filled[0], filled[-1]} if filled else set()


@dataclass(frozen=True)
class PageNumbering:
    """Printed page numbers as a function of the 0-based PDF page index.

    ``step`` 1: printed = index + offset. ``step`` 2 (printer's spreads): the left-hand page of
    PDF page ``index`` is printed ``2 * index + offset``, the right-hand one the next number.
    """

    step: int
    offset: int
    support: int

    def numbers(self, index: int) -> tuple[int, ...]:
        """The printed numbers PDF page `index` carries under this numbering."""
        if self.step == 1:
            return (index + self.offset,)
        left = 2 * index + self.offset
        return (left, left + 1)

    def label(self, index: int) -> str | None:
        """The printed label of PDF page `index` ("7", or "8–9" for a spread); None before 1."""
        numbers = self.numbers(index)
        if numbers[0] < 1:
            return None
        return "–".join(str(n) for n in numbers)

    def describe(self) -> str:
        """In words, for reports."""
        if self.step == 1:
            shift = self.offset - 1
            return f"printed = PDF page {shift:+d}" if shift else "printed = PDF page"
        return f"spreads: PDF page p holds printed {self.offset - 2:+d}+2p and the next"


def fit_numbering(candidates: dict[int, set[int]], pages: int) -> PageNumbering | None:
    """The numbering most pages' candidate numbers agree with, when enough of them do.

    Enough is at least two pages and half of the `pages` that carry text.
    """
    best: PageNumbering | None = None
    for step in (1, 2):
        votes: Counter[int] = Counter()
        for index, numbers in candidates.items():
            votes.update({n - step * index for n in numbers})
        if not votes:
            continue
        offset, support = max(votes.items(), key=lambda kv: (kv[1], -abs(kv[0])))
        if step == 2:
            # Two numbers per PDF page: both halves of the spread are printed, or only one, in
            # which case an even number is a left-hand page.
            paired_below = votes.get(offset - 1, 0) >= support / 2
            paired_above = votes.get(offset + 1, 0) >= support / 2
            if paired_below or (not paired_above and offset % 2):
                offset -= 1
            support = sum(
                1
                for index, numbers in candidates.items()
                if numbers & {2 * index + offset, 2 * index + offset + 1}
            )
        if best is None or support > best.support:
            best = PageNumbering(step, offset, support)
    if best is None or best.support < max(2, math.ceil(pages / 2)):
        return None
    return best


@dataclass
class PageLayout:
    """One page after hygiene: the raw lines kept (with their indices and styles) and its label."""

    index: int
    lines: list[str]
    kept: list[int]
    styles: list[LineStyle | None]
    removed: list[str] = field(default_factory=list)
    label: str | None = None
    navigation: bool = False
    navigation_heading: str | None = None

    @property
    def text(self) -> str:
        """The kept lines, as one text."""
        return "\n".join(self.lines)


@dataclass
class LayoutReport:
    """What hygiene found in a document, for diagnostics."""

    running: Counter[str] = field(default_factory=Counter)
    """Removed header/footer lines per pattern (digits removed)."""
    page_numbers_removed: int = 0
    numbering: PageNumbering | None = None
    labels_from: str = "none"  # "page_labels" | "printed" | "none"
    navigation_pages: list[int] = field(default_factory=list)
    """1-based PDF pages recognised as table of contents or index."""


MAX_ANCHORS = 100


def _cluster(keys: Counter[str], similar: float = 0.95) -> dict[str, str]:
    """Map each key to a representative, grouping near-identical keys (most frequent first).

    Only keys seen more than once (up to `MAX_ANCHORS` of them) represent others, which keeps
    this linear in the number of keys. Keys group only when they hold the same numbers: lines
    that differ in their numbers are running lines only when those numbers are page numbers,
    which the masked pass checks.
    """
    reps: list[tuple[str, list[str]]] = []
    out: dict[str, str] = {}
    for key, count in keys.most_common():
        digits = _DIGITS.findall(key)
        rep = next(
            (
                r
                for r, r_digits in reps
                if abs(len(r) - len(key)) <= max(len(r), len(key)) * (1 - similar)
                and r_digits == digits
                and SequenceMatcher(None, r, key).ratio() >= similar
            ),
            None,
        )
        if rep is None:
            rep = key
            if count > 1 and len(reps) < MAX_ANCHORS:
                reps.append((key, digits))
        out[key] = rep
    return out


def analyse_pages(
    pages: Sequence[str],
    styles: Sequence[list[LineStyle] | None] | None = None,
    page_labels: Sequence[str] | None = None,
) -> tuple[list[PageLayout], LayoutReport]:
    """Remove running headers, footers and page numbers; label pages; mark navigation pages.

    `page_labels`, when the PDF has a /PageLabels tree, are used as they are; otherwise labels
    come from the printed page numbers, when they follow the PDF page index consistently.
    """
    report = LayoutReport()
    raw = [page.split("\n") for page in pages]
    n_text = sum(1 for lines in raw if any(line.strip() for line in lines)) or 1
    threshold = max(3, math.ceil(0.25 * n_text))
    edges = [edge_indices(lines) for lines in raw]
    # Repeats count on pages with more than one line: a line alone on its page is its content.
    counted = [idx if len(idx) >= 2 else [] for idx in edges]

    # Running lines, first as they are (near-identical text on many pages) ...
    exact: Counter[str] = Counter()
    for lines, idx in zip(raw, counted, strict=True):
        exact.update({_squash(lines[i]) for i in idx if _mask(lines[i]) is not None})
    exact_rep = _cluster(exact)
    exact_pages: Counter[str] = Counter()
    for lines, idx in zip(raw, counted, strict=True):
        exact_pages.update({exact_rep[_squash(lines[i])] for i in idx if _mask(lines[i])})
    running_exact = {rep for rep, n in exact_pages.items() if n >= threshold}

    # ... then with digits masked, when the digits that vary are the page numbers.
    masked_pages: Counter[str] = Counter()
    for lines, idx in zip(raw, counted, strict=True):
        masked_pages.update({k for i in idx if (k := _mask(lines[i])) is not None})
    masked_rep = _cluster(masked_pages)
    groups: dict[str, dict[int, list[int]]] = {}
    for p, (lines, idx) in enumerate(zip(raw, counted, strict=True)):
        for i in idx:
            key = _mask(lines[i])
            if key is not None and exact_rep.get(_squash(lines[i])) not in running_exact:
                groups.setdefault(masked_rep[key], {}).setdefault(p, []).append(i)
    running_masked: dict[str, dict[int, set[int]]] = {}
    for rep, where in groups.items():
        if len(where) < threshold:
            continue
        numbers = {
            p: {int(d) for i in idx for d in _DIGITS.findall(raw[p][i]) if len(d) <= 4}
            for p, idx in where.items()
        }
        seen: Counter[int] = Counter(n for ns in numbers.values() for n in ns)
        varying = {p: {n for n in ns if seen[n] <= 2} for p, ns in numbers.items()}
        fit = fit_numbering({p: ns for p, ns in varying.items() if ns}, len(where))
        if fit is not None and fit.support >= 0.6 * len(where):
            running_masked[rep] = varying

    # Page-number candidates: bare numbers at the edges, and the varying numbers of running lines.
    bare: dict[int, dict[int, int]] = {}  # page -> line index -> number
    candidates: dict[int, set[int]] = {}
    for p, (lines, idx) in enumerate(zip(raw, edges, strict=True)):
        for i in idx:
            m = _BARE_NUMBER.match(lines[i])
            if m:
                bare.setdefault(p, {})[i] = int(m.group(1))
                candidates.setdefault(p, set()).add(int(m.group(1)))
    for varying in running_masked.values():
        for p, ns in varying.items():
            if ns:
                candidates.setdefault(p, set()).update(ns)
    numbering = fit_numbering(candidates, n_text)
    report.numbering = numbering

    def agrees(p: int) -> bool | None:
        """Whether page p's printed numbers agree with the numbering (None: it shows none)."""
        if numbering is None or not candidates.get(p):
            return None
        return bool(candidates[p] & set(numbering.numbers(p)))

    # A running line of a spread is two pages' lines extracted as one ("4 Title 5 Title"); a
    # page where they come out apart shows each half alone.
    halves: dict[str, str] = {}
    for rep in [*running_exact, *running_masked]:
        words = rep.split()
        half = " ".join(words[: len(words) // 2])
        if len(words) % 2 == 0 and words and half == " ".join(words[len(words) // 2 :]):
            halves[_mask(half) or half] = rep

    layouts: list[PageLayout] = []
    for p, lines in enumerate(raw):
        page_styles = styles[p] if styles is not None else None
        if page_styles is not None and len(page_styles) != len(lines):
            page_styles = None
        drop: dict[int, str] = {}
        for i in edges[p]:
            squashed = _squash(lines[i])
            key = _mask(lines[i])
            if key is None:
                continue
            exact_key, masked_key = exact_rep.get(squashed, ""), masked_rep.get(key, "")
            if exact_key in running_exact:
                drop[i] = exact_key
            elif masked_key in running_masked and p in groups[masked_key]:
                drop[i] = masked_key
            elif key in halves:
                drop[i] = halves[key]
        for i, n in bare.get(p, {}).items():
            page_agrees = agrees(p)
            if numbering is not None and (
                n in numbering.numbers(p) or (page_agrees is False and i in _first_last(lines))
            ):
                drop[i] = "#"
        kept = [i for i in range(len(lines)) if i not in drop]
        layout = PageLayout(
            index=p,
            lines=[lines[i] for i in kept],
            kept=kept,
            styles=[page_styles[i] if page_styles else None for i in kept],
            removed=[lines[i] for i in sorted(drop)],
        )
        for pattern in drop.values():
            if pattern == "#":
                report.page_numbers_removed += 1
            else:
                report.running[pattern] += 1
        layouts.append(layout)

    # Labels.
    if page_labels is not None and len(page_labels) == len(pages):
        report.labels_from = "page_labels"
        for layout, label in zip(layouts, page_labels, strict=True):
            layout.label = str(label) or None
    elif numbering is not None:
        report.labels_from = "printed"
        shown = [agrees(p) for p in range(len(pages))]
        for p, layout in enumerate(layouts):
            here = shown[p]
            if here is None:
                # No number printed: trust the numbering when the nearest pages that show one
                # on either side agree with it.
                before = next((s for s in reversed(shown[:p]) if s is not None), True)
                after = next((s for s in shown[p + 1 :] if s is not None), True)
                ok = before and after
            else:
                ok = here
            layout.label = numbering.label(p) if ok else None

    # Navigation pages (a table of contents or an index may run over several pages).
    previous = False
    for layout in layouts:
        nav, heading = navigation_page(layout.lines, layout.styles, continues=previous)
        layout.navigation, layout.navigation_heading = nav, heading
        previous = nav
        if nav:
            report.navigation_pages.append(layout.index + 1)
    return layouts, report


# --- tables of contents and indexes ---------------------------------------------------------

_NAV_HEADING = re.compile(
    r"^(?:table\s+of\s+contents?|contents?|index|list\s+of\s+(?:figures|tables))\W{0,3}\w?$",
    re.IGNORECASE,
)
_DOT_LEADER = re.compile(r"(?:\.\s?){4,}|…{2,}|(?:_\s?){4,}")
_ENTRY = re.compile(
    r"[^\W\d_].*?(?:\s|\.|…)(\d{1,3})(?:\s*[-–]\s*\d{1,3})?(?:\s*,\s*\d{1,3}(?:\s*[-–]\s*\d{1,3})?)*$"
)


def _heading_text(line: str, style: LineStyle | None) -> str:
    text = style.core if style is not None and style.core else line
    return " ".join(normalize_unicode(text).split())


def navigation_page(
    lines: Sequence[str], styles: Sequence[LineStyle | None] | None = None, continues: bool = False
) -> tuple[bool, str | None]:
    """Whether a page is a table of contents or an index, and its "Contents" heading if any.

    Evidence: lines with dot leaders; lines ending in page numbers that mostly go up (a table of
    contents) or that follow a "Contents"/"Index" heading; a page that continues such a page.
    """
    filled = [(i, " ".join(line.split())) for i, line in enumerate(lines) if line.strip()]
    if not filled:
        return False, None
    heading = None
    for i, line in filled:
        style = styles[i] if styles is not None and i < len(styles) else None
        text = _heading_text(line, style)
        if len(text) <= 40 and _NAV_HEADING.match(text):
            # "Table of ContentsT": a decorative letter may be glued on; keep the words only.
            words = re.match(r"^(.*?(?:contents?|index|figures|tables))", text, re.IGNORECASE)
            heading = words.group(1) if words else text
            break
    total = len(filled)
    leaders = sum(1 for _, line in filled if _DOT_LEADER.search(line))
    numbers = [int(m.group(1)) for _, line in filled if (m := _ENTRY.search(line))]
    entries = len(numbers)
    rising = sum(1 for a, b in itertools.pairwise(numbers) if b >= a)
    mostly_rising = entries >= 2 and rising >= 0.8 * (entries - 1)
    if leaders >= 3 and leaders >= 0.3 * total:
        return True, heading
    if heading is not None and entries >= 3 and entries >= 0.3 * total:
        return True, heading
    if entries >= 6 and entries >= 0.6 * total and mostly_rising:
        return True, heading
    if continues and entries >= 3 and entries >= 0.5 * total:
        return True, heading
    return False, None


# --- headings -------------------------------------------------------------------------------

_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})\.?\s+(?=[^\W\d_])(.*)$")
_CAPTION = re.compile(
    r"^(?:fig(?:ure)?|table|chart|graph|source|sources|picture|photo|image|box|note|notes)\b"
    r"\.?\s*\d*",
    re.IGNORECASE,
)
_END_PUNCT = re.compile(r"[.,;\-–]$")
_SENTENCE_INSIDE = re.compile(r"[^\W\d_]{2}[.!?]\s+[A-Z]")
_GAP = re.compile(r"\S(?:\t|\s{3,})\S")
_CONTINUES = re.compile(r"^[a-zà-ÿ(]")
_OPEN_LINE = re.compile(r"(?:[,;\-–]|[a-zà-ÿ])$")
_QUANTITY = re.compile(r"\d(?:[\d\s.,]*\d)?\s*(?:%|‰|€|\$|£|/?[a-zA-Z]{1,3}[²³]?)?$")
_SEPARATED_NUMBER = re.compile(r"\d[\s.,]\d")
_DANGLING = re.compile(
    r"\b(?:the|of|and|or|a|an|to|in|for|with|by|on|at|from|as|that|which|is|are)$",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(r"^(?:[-–•*▪●◦]|\(?[a-z0-9]{1,2}[.)])\s")
_WEB = re.compile(r"www\.|https?:|@|\.(?:com|org|eu|fi|net)\b", re.IGNORECASE)
_DATE = re.compile(r"^(?:\d{1,2}\.?\s+)?[^\W\d_]{3,9}\.?,?\s+(?:\d{1,2},?\s+)?\d{4}\b")
_RUN_IN = re.compile(r":\s+\S+\s+\S+")
MAX_HEADING_WORDS = 14
FULL_LINE = 0.8
"""A body-type line at least this share of the page's long lines is a wrapped paragraph line."""


@dataclass(frozen=True)
class HeadingMark:
    """A heading found on a page: where it starts (an index into the kept lines), how many lines
    it runs over, its text, its number ("5.1.3" as (5, 1, 3); None when unnumbered) and its
    type size."""

    line: int
    span: int
    title: str
    number: tuple[int, ...] | None = None
    size: float = 0.0
    bold: bool = False

    def outranks(self, size: float, bold: bool) -> bool:
        """Whether this heading is set more prominently than type of `size` and weight `bold`."""
        return self.size > size + 0.5 or (abs(self.size - size) <= 0.5 and self.bold and not bold)


def body_style(layouts: Sequence[PageLayout]) -> tuple[float, bool]:
    """The size and weight most of a document's text is set in."""
    sizes: Counter[float] = Counter()
    bold = chars = 0
    for layout in layouts:
        for line, style in zip(layout.lines, layout.styles, strict=True):
            if style is None or style.size <= 0:
                continue
            n = len(line.strip())
            sizes[round(style.size * 2) / 2] += n
            chars += n
            bold += n if style.bold else 0
    if not sizes:
        return 0.0, False
    return sizes.most_common(1)[0][0], bold > chars / 2


def _emphasised(style: LineStyle | None, body: tuple[float, bool]) -> bool:
    if style is None or style.size <= 0 or body[0] <= 0:
        return False
    return style.size >= body[0] * 1.15 or (style.bold and not body[1])


def _same_style(a: LineStyle | None, b: LineStyle | None) -> bool:
    return a is not None and b is not None and abs(a.size - b.size) <= 0.5 and a.bold == b.bold


def _numeric(line: str) -> bool:
    """A line mostly of figures: a table row."""
    chars = [ch for ch in line if not ch.isspace()]
    return bool(chars) and sum(ch.isdigit() for ch in chars) >= 0.4 * len(chars)


def _plausible_heading(text: str, numbered: bool) -> bool:
    words = text.split()
    rest = _NUMBERED.sub(r"\2", text) if numbered else text
    return (
        0 < len(words) <= MAX_HEADING_WORDS
        and len(text) <= 120
        and sum(ch.isalpha() for ch in rest) >= 2
        and rest[:1].isupper()
        and not _END_PUNCT.search(text)
        and not _SENTENCE_INSIDE.search(rest)
        and not _CAPTION.match(rest)
        and not _DANGLING.search(text)
        and not _WEB.search(text)
        and not (_DATE.match(rest) and len(words) <= 5)
        and not (not numbered and _RUN_IN.search(text))
        and not (not numbered and _QUANTITY.search(text) and _SEPARATED_NUMBER.search(text[-12:]))
    )


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", normalize_unicode(text).casefold())


def find_headings(
    layout: PageLayout, body: tuple[float, bool], title: str | None = None
) -> list[HeadingMark]:
    """Headings on one page of a document without an outline (their depth is `HeadingPath`'s).

    A numbered line ("3.2 Societal challenges", "5.1.3. Clusters") is a heading when it is short,
    starts with a capital, has no final full stop and no sentence inside, and is not set smaller
    than the body. In body type it must also not be a full line of a wrapped paragraph (unless it
    ends with a colon before a new paragraph), continue the line before, or run into the next.
    An unnumbered line is a heading when it is set larger or bolder than the body text, and is
    short and heading-like. Type set alike may wrap a heading over up to three lines; more lines
    alike make a paragraph, and text that repeats the page's body text is a pull quote.
    Numbered lines that follow one another with no text between, at the same level, are a list.
    """
    if layout.navigation:
        return []
    lines = [" ".join(normalize_unicode(line).split()) for line in layout.lines]
    styles = layout.styles
    title_key = _squash(title) if title else None
    lengths = sorted(len(line) for line in lines if line)
    long_line = lengths[max(0, math.ceil(0.9 * len(lengths)) - 1)] if lengths else 0

    def neighbour(i: int, step: int) -> int | None:
        k = i + step
        while 0 <= k < len(lines):
            if lines[k]:
                return k
            k += step
        return None

    listed = _list_lines(lines)
    marks: list[HeadingMark] = []
    i = 0
    while i < len(lines):
        line, style = lines[i], styles[i]
        if (
            not line
            or "\t" in layout.lines[i]
            or i in listed
            or (style is not None and 0 < style.size < body[0] - 0.5)
        ):
            i += 1
            continue
        numbered = _NUMBERED.match(line)
        emphasised = _emphasised(style, body)
        if numbered:
            if _GAP.search(numbered.group(2)):
                i += 1
                continue
        elif not emphasised or _GAP.search(layout.lines[i].strip()):
            i += 1
            continue
        span, joined = 1, _heading_text(layout.lines[i], style)
        if emphasised:
            while (
                span < 3
                and i + span < len(lines)
                and lines[i + span]
                and _same_style(style, styles[i + span])
                and len(f"{joined} {lines[i + span]}".split()) <= MAX_HEADING_WORDS
                and not _END_PUNCT.search(joined)
            ):
                joined = f"{joined} {_heading_text(layout.lines[i + span], styles[i + span])}"
                span += 1
            after = neighbour(i + span - 1, 1)
            if after is not None and after == i + span and _same_style(style, styles[after]):
                i += span  # a paragraph set in bold or large type
                continue
            others = " ".join(lines[:i] + lines[i + span :])
            if not numbered and len(joined.split()) >= 5 and _key(joined) in _key(others):
                i += span  # a pull quote: it repeats the page's text
                continue
            if (
                not numbered
                and after is not None
                and (
                    _numeric(lines[after])
                    or (
                        len(lines[after].split()) < 3
                        and not _emphasised(styles[after], body)
                        and not _LIST_ITEM.match(lines[after])
                    )
                )
            ):
                i += span  # the label of a figure, or a table's head cell
                continue
        else:
            before, after = neighbour(i, -1), neighbour(i, 1)
            full = long_line > 0 and len(line) >= FULL_LINE * long_line
            if full and not (
                line.endswith(":") and after is not None and lines[after][:1].isupper()
            ):
                i += 1
                continue
            runs_on = after is not None and (
                _CONTINUES.match(lines[after]) or _numeric(lines[after])
            )
            runs_in = before is not None and (
                _OPEN_LINE.search(lines[before]) or _numeric(lines[before])
            )
            if runs_on or runs_in:
                i += 1
                continue
        candidate = joined.rstrip(":").strip()
        if not _plausible_heading(candidate, bool(numbered)) or (
            title_key and _squash(candidate) == title_key
        ):
            i += span
            continue
        number = tuple(int(n) for n in numbered.group(1).split(".")) if numbered else None
        size, bold = (style.size, style.bold) if style is not None else (0.0, False)
        marks.append(HeadingMark(i, span, candidate, number, size, bold))
        i += span
    return marks


def _list_lines(lines: list[str]) -> set[int]:
    """Numbered lines directly followed by a numbered line of the same level: a list."""
    filled = [i for i, line in enumerate(lines) if line]
    listed: set[int] = set()
    for a, b in itertools.pairwise(filled):
        first, second = _NUMBERED.match(lines[a]), _NUMBERED.match(lines[b])
        if first and second and first.group(1).count(".") == second.group(1).count("."):
            listed.update({a, b})
    return listed


@dataclass
class _Entry:
    title: str
    number: tuple[int, ...] | None
    mark: HeadingMark | None


class HeadingPath:
    """The running heading path of a document without an outline, fed its headings in order.

    Numbered headings sit at their numbering's depth ("5.1.3" under "5.1" under "5"); ancestors
    whose numbers disagree are cleared. A numbered heading that does not continue the document's
    numbering (a "1." after "3.2") starts a local list under the current heading, and the rest of
    that list stays beside it. Unnumbered headings are top-level when set larger than the
    top-level numbered ones (`level0`: their size and weight) or in a document without numbered
    headings, and otherwise go under the nearest numbered or more prominent heading.
    """

    def __init__(self, level0: tuple[float, bool] | None) -> None:
        self.level0 = level0
        self.entries: list[_Entry] = []
        self.top = 0
        self.local: tuple[int, HeadingMark] | None = None

    @property
    def heading(self) -> str | None:
        """The path as "A > B > C", or None when empty."""
        return " > ".join(e.title for e in self.entries if e.title) or None

    def _put(self, depth: int, entry: _Entry) -> None:
        del self.entries[depth:]
        self.entries.extend(_Entry("", None, None) for _ in range(depth - len(self.entries)))
        self.entries.append(entry)

    def enter(self, mark: HeadingMark) -> None:
        """Make `mark` the current heading."""
        entry = _Entry(mark.title, mark.number, mark)
        if mark.number is None and any(
            _key(_NUMBERED.sub(r"\2", e.title)) == _key(mark.title) for e in self.entries if e.title
        ):
            return  # a section's title repeated at the top of its pages
        if mark.number is None:
            self.local = None
            if self.level0 is None or mark.outranks(*self.level0):
                self._put(0, entry)
                return
            parent = next(
                (
                    k
                    for k in range(len(self.entries) - 1, -1, -1)
                    if (e := self.entries[k]).mark is not None
                    and (e.number is not None or e.mark.outranks(mark.size, mark.bold))
                ),
                -1,
            )
            self._put(parent + 1, entry)
            return
        number = mark.number
        if self.local is not None:
            depth, previous = self.local
            last = previous.number or ()
            if (
                len(last) == len(number)
                and last[:-1] == number[:-1]
                and number[-1] == last[-1] + 1
                and abs(previous.size - mark.size) <= 0.5
                and previous.bold == mark.bold
            ):
                self._put(depth, entry)
                self.local = (depth, mark)
                return
        up = next(
            (k for k, e in enumerate(self.entries) if len(number) > 1 and e.number == number[:-1]),
            None,
        )
        if up is not None:
            self._put(up + 1, entry)
        elif (len(number) == 1 and number[0] > self.top) or (
            len(number) > 1 and number[0] >= self.top
        ):
            depth = len(number) - 1
            for e in self.entries[:depth]:
                if e.number is not None and e.number != number[: len(e.number)]:
                    e.title, e.number, e.mark = "", None, None
            self._put(depth, entry)
        else:
            depth = len(self.entries)
            self._put(depth, entry)
            self.local = (depth, mark)
            return
        if len(number) == 1:
            self.top = number[0]
        self.local = None


def top_numbered_style(marks: Sequence[HeadingMark]) -> tuple[float, bool] | None:
    """The size and weight of a document's top-level numbered headings (None without any).

    Among the shallowest numbered headings, the most prominent style used at least twice (local
    lists numbered "1.", "2." in body type are no chapters), else the most prominent one.
    """
    numbered = [m for m in marks if m.number is not None]
    if not numbered:
        return None
    top = min(len(m.number or ()) for m in numbered)
    styles = Counter((m.size, m.bold) for m in numbered if len(m.number or ()) == top)
    repeated = [style for style, n in styles.items() if n >= 2] or list(styles)
    return max(repeated)


# --- titles ---------------------------------------------------------------------------------

_FILE_SUFFIX = re.compile(
    r"\.(?:indd|indt|idml|docx?|dotx?|odt|rtf|pdf|qxd|qxp|pages|pptx?|key|odp|xlsx?|ods|ai|eps|ps|"
    r"tex|dvi|pub|wpd|txt|html?|fm|cdr|psd|tiff?|jpe?g|png)$",
    re.IGNORECASE,
)
_TOOL_PREFIX = re.compile(
    r"^(?:microsoft\s+(?:word|powerpoint|excel)|word|powerpoint)\s*-\s*", re.IGNORECASE
)
_PLACEHOLDER = re.compile(
    r"^(?:untitled|no\s+title|title|document|doc|presentation|slide|new\s+document|"
    r"powerpoint\s+presentation|print|layout|draft)[\s_-]*\d*$",
    re.IGNORECASE,
)


def is_placeholder_title(title: str | None) -> bool:
    """Whether a PDF's metadata title is no title: empty, a file name, a tool's placeholder."""
    text = " ".join((title or "").split())
    if not text or not any(ch.isalpha() for ch in text):
        return True
    if _FILE_SUFFIX.search(text) or _TOOL_PREFIX.match(text) or _PLACEHOLDER.match(text):
        return True
    # A file-name-like token: no spaces, with underscores or path separators.
    return " " not in text and ("_" in text or "/" in text or "\\" in text)


def _letters(text: str) -> int:
    return sum(1 for ch in text if unicodedata.category(ch).startswith("L"))


def title_from_first_page(
    layout: PageLayout, body: tuple[float, bool]
) -> tuple[str, list[int]] | None:
    """The first large heading of a first page, and the indices (into the kept lines) it spans.

    Lines set in the largest type come first. A run of lone capitals (drop capitals set across two
    lines of text) is put back in front of the words of the lines that follow it. Without type
    sizes, or without large type, the page's first line is taken when it reads like a title (and
    no indices are returned: it is text, which stays).
    """
    lines = [" ".join(normalize_unicode(line).split()) for line in layout.lines]
    styles = layout.styles
    sized = [(i, s.size) for i, s in enumerate(styles) if s is not None and s.size > 0 and lines[i]]
    large_enough = body[0] * 1.2 if body[0] > 0 else 0.0
    for size in sorted({round(s * 2) / 2 for _, s in sized}, reverse=True):
        if size < large_enough:
            break
        run = _first_run(sized, size)
        texts = [_heading_text(layout.lines[i], styles[i]) for i in run]
        if all(len(tok) == 1 and tok.isupper() for t in texts for tok in t.split()):
            repaired = _drop_capitals(texts, lines, styles, run)
            if repaired is not None:
                return repaired
            continue
        title = " ".join(texts).strip(" -–—:")
        if _letters(title) >= 4 and not _NAV_HEADING.match(title):
            return title, run
    line = next((line for line in lines if line), "")
    if (
        2 <= len(line.split()) <= 20
        and _letters(line) >= 8
        and line[:1].isupper()
        and not _END_PUNCT.search(line)
        and not _NAV_HEADING.match(line)
    ):
        return line.strip(" -–—:"), []  # a line of the text: it stays there
    return None


def _first_run(sized: list[tuple[int, float]], size: float, limit: int = 4) -> list[int]:
    """The first run of consecutive lines set in `size` (up to `limit` lines)."""
    run: list[int] = []
    for i, s in sized:
        if abs(round(s * 2) / 2 - size) <= 0.5:
            if run and i != run[-1] + 1:
                break
            run.append(i)
            if len(run) == limit:
                break
        elif run:
            break
    return run


def _drop_capitals(
    caps: list[str], lines: list[str], styles: list[LineStyle | None], run: list[int]
) -> tuple[str, list[int]] | None:
    letters = [tok for t in caps for tok in t.split()]
    follow: list[int] = []
    k = run[-1] + 1
    while k < len(lines) and len(follow) < 3:
        if not lines[k]:
            k += 1
            continue
        if len(lines[k].split()) != len(letters) or (
            follow and not _same_style(styles[follow[0]], styles[k])
        ):
            break
        follow.append(k)
        k += 1
    if not follow:
        return None
    words = [
        " ".join(cap + word for cap, word in zip(letters, lines[k].split(), strict=True))
        for k in follow
    ]
    return " ".join(words), run + follow


def strip_title_lines(layout: PageLayout, indices: Sequence[int]) -> None:
    """Remove the lines a title was taken from (indices into the kept lines)."""
    gone = set(indices)
    keep = [k for k in range(len(layout.lines)) if k not in gone]
    layout.lines = [layout.lines[k] for k in keep]
    layout.kept = [layout.kept[k] for k in keep]
    layout.styles = [layout.styles[k] for k in keep]


__all__: list[str] = [
    "HeadingMark",
    "HeadingPath",
    "LayoutReport",
    "LineStyle",
    "PageLayout",
    "PageNumbering",
    "analyse_pages",
    "body_style",
    "decode_styles",
    "encode_styles",
    "extract_page",
    "find_headings",
    "fit_numbering",
    "is_placeholder_title",
    "navigation_page",
    "strip_title_lines",
    "title_from_first_page",
    "top_numbered_style",
]
