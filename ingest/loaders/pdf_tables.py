"""Tables in PDFs, from pdfplumber's table finder, as rows of cells in the page's text.

pypdf's text (what the rest of the PDF loader reads) loses a table's grid: each value lands
beside the next row's label. pdfplumber (pdfminer.six underneath) sees the ruling lines, so
`page.find_tables()` returns the cells. This module, run in the parsing worker:

* finds the tables of a page and re-reads each with vertical edges at its text's extent, so that
  a label column drawn without a rule on its outer side is a column too;
* rejects layout frames that are not tables: boxes around running text (most words inside the
  frame's area fall in no cell, or are cut by a cell's edge), grids without text or words
  (charts, figures), and "tables" without two rows of two filled cells;
* finds which rows are the header (set in bold while the body is not, free of figures while
  the body holds them, or heading a label column);
* writes each table into the page's text as a Markdown table (header, rule, one line per row) in
  place of the lines pypdf made of it, found by their words.

The chunker keeps a table's rows together under its header, and a row becomes an answer unit
that carries its column labels ("Creating new jobs — Indicator: 3 000"; `assistant.text`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MIN_INSIDE_SHARE = 0.8
"""A table's cells hold at least this share of the words within its outline (a frame around
running text holds few of them in cells)."""
MAX_CUT_SHARE = 0.02
"""At most this share of those words may be cut by a cell's edge (running text under a grid)."""
MIN_FILLED_SHARE = 0.5
"""At least this share of a table's cells hold text (a chart's grid holds none)."""
MIN_MATCHED_SHARE = 0.6
"""The run of extracted lines replaced by a table holds at least this share of its words."""
MAX_HEADER_ROWS = 3
MAX_GAP_LINES = 2
"""Short lines not of a table's words that may stand inside the run of lines it replaces."""
MAX_GAP_TOKENS = 2
MAX_FUZZY_TOKENS = 4
"""A line of up to this many words is a table's when most of them are (a figure whose footnote
mark pdfplumber read into the cell); a longer line only when all of them are (a title above
the table shares its words with the cells)."""

_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class PdfTable:
    """One table of a page: its rows of cells (text), how many lead as the header, where it
    stands on the page (top, in points from the top edge)."""

    rows: list[list[str]]
    header_rows: int
    top: float

    def to_plain(self) -> dict[str, Any]:
        """As plain data, to cross the process boundary."""
        return {"rows": self.rows, "header_rows": self.header_rows, "top": self.top}

    @classmethod
    def from_plain(cls, data: dict[str, Any]) -> PdfTable:
        """The inverse of `to_plain`."""
        return cls([list(r) for r in data["rows"]], int(data["header_rows"]), float(data["top"]))

    @property
    def header(self) -> list[str]:
        """Each column's label: the header rows' cells joined (empty without a header)."""
        if not self.header_rows:
            return [""] * len(self.rows[0])
        labels: list[str] = []
        for column in range(len(self.rows[0])):
            parts: list[str] = []
            for row in self.rows[: self.header_rows]:
                if row[column] and row[column] not in parts:
                    parts.append(row[column])
            labels.append(" ".join(parts))
        return labels

    def markdown(self) -> list[str]:
        """The table as Markdown lines: the header and its rule (when there is a header), then
        one line per body row."""

        def line(cells: Sequence[str]) -> str:
            return "| " + " | ".join(cells) + " |"

        out: list[str] = []
        if self.header_rows:
            out.append(line(self.header))
            out.append(line(["---"] * len(self.rows[0])))
        out.extend(line(row) for row in self.rows[self.header_rows :])
        return out


def _clean(cell: str | None) -> str:
    return " ".join((cell or "").replace("|", "/").split())


def _overlap(a: Sequence[float], b: Sequence[float]) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return max(0.0, width) * max(0.0, height)


def _bold_share(page: Any, bbox: Sequence[float]) -> float:
    chars = [c for c in page.crop(bbox).chars if c.get("text", "").strip()]
    if not chars:
        return 0.0
    return sum(1 for c in chars if _BOLD_FONT.search(str(c.get("fontname", "")))) / len(chars)


def _header_rows(rows: list[list[str]], bold: list[float]) -> int:
    """How many leading rows are the header (at least one body row stays)."""
    body_digits = [
        sum(1 for cell in row[1:] if _DIGIT.search(cell)) >= max(1, (len(row) - 1) / 2)
        for row in rows
    ]
    count = 0
    for i, row in enumerate(rows[: min(MAX_HEADER_ROWS, len(rows) - 1)]):
        later = range(i + 1, len(rows))
        is_bold = bold[i] >= 0.6 and bold[-1] < 0.6
        wordy = not body_digits[i] and sum(body_digits[k] for k in later) >= len(later) / 2
        heads_labels = not row[0] and any(rows[k][0] for k in later)
        filled = sum(1 for cell in row if cell)
        if not (is_bold or wordy or heads_labels) or (i and filled < 2):
            break  # below the first, a row of one cell is a group's caption, not a header
        count += 1
    return count


def _table(page: Any, found: Any) -> PdfTable | None:
    """A found table re-read with edges at its text's extent, or None when it is no table."""
    x0, top, x1, bottom = found.bbox
    x0, top = max(x0, page.bbox[0]), max(top, page.bbox[1])
    x1, bottom = min(x1, page.bbox[2]), min(bottom, page.bbox[3])
    if x1 - x0 < 1 or bottom - top < 1:
        return None
    words = page.crop((x0, top, x1, bottom)).extract_words()
    if not words:
        return None
    left = max(page.bbox[0], min([x0, *(w["x0"] for w in words)]) - 1)
    right = min(page.bbox[2], max([x1, *(w["x1"] for w in words)]) + 1)
    region = page.crop((left, top, right, bottom))
    tables = region.find_tables({"explicit_vertical_lines": [left, right]})
    if not tables:
        return None
    table = max(tables, key=lambda t: len(t.rows))
    cells = [c for c in table.cells if c]
    inside = cut = 0
    for w in words:
        box = (w["x0"], w["top"], w["x1"], w["bottom"])
        area = max((box[2] - box[0]) * (box[3] - box[1]), 1e-6)
        share = max((_overlap(box, c) / area for c in cells), default=0.0)
        if share >= 0.9:
            inside += 1
        elif share > 0:
            cut += 1
    if inside < MIN_INSIDE_SHARE * len(words) or cut > MAX_CUT_SHARE * len(words):
        return None
    raw = table.extract()
    bold = [_bold_share(region, row.bbox) for row in table.rows]
    rows = [[_clean(c) for c in row] for row in raw]
    # Merged header cells come back empty after their first column: they span it.
    keep = [k for k, row in enumerate(rows) if any(row)]
    rows, bold = [rows[k] for k in keep], [bold[k] for k in keep]
    if not rows:
        return None
    columns = [j for j in range(len(rows[0])) if any(row[j] for row in rows)]
    spanned = [[raw[keep[k]][j] is None for j in range(len(rows[0]))] for k in range(len(rows))]
    rows = [[row[j] for j in columns] for row in rows]
    spanned = [[s[j] for j in columns] for s in spanned]
    cells_total = sum(len(row) for row in rows)
    filled = sum(1 for row in rows for cell in row if cell)
    two_filled = sum(1 for row in rows if sum(1 for cell in row if cell) >= 2)
    if len(columns) < 2 or two_filled < 2 or filled < MIN_FILLED_SHARE * cells_total:
        return None
    if not _tokens(" ".join(cell for row in rows for cell in row)):
        return None  # a grid of symbols (a figure), no words
    header = _header_rows(rows, bold)
    # A header cell spanning columns comes back empty after its first column; one spanning
    # rows (text in the row above) is not repeated sideways.
    for k in range(header):
        for j in range(1, len(rows[k])):
            above = any(rows[m][j] for m in range(k))
            if not rows[k][j] and spanned[k][j] and not above:
                rows[k][j] = rows[k][j - 1]
    return PdfTable(rows, header, float(top))


def page_tables(page: Any) -> tuple[list[PdfTable], int]:
    """The tables of a pdfplumber page, top to bottom, and how many of the table finder's
    candidates were rejected as layout frames."""
    found, rejected = [], 0
    for candidate in page.find_tables():
        table = _table(page, candidate)
        if table is None:
            rejected += 1
        else:
            found.append(table)
    return sorted(found, key=lambda t: t.top), rejected


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


def place_tables(
    lines: list[str], tables: Sequence[PdfTable]
) -> tuple[list[str], list[int | None], int]:
    """The page's lines with each table's Markdown in place of the lines made of its words.

    A table replaces the run of lines made of its words that holds the most of them, when that
    is at least `MIN_MATCHED_SHARE` of them; a table no run matches is left out (its words stay
    as pypdf gave them). A line is the table's when all its words are, or a short one when most
    are (`MAX_FUZZY_TOKENS`); blank lines, and up to
    `MAX_GAP_LINES` short lines that are not the table's (a footnote mark set apart), may stand
    inside a run. Returns the lines, per line the index of the input line it is (None for a
    table's lines), and how many tables were placed.
    """
    out = list(lines)
    origin: list[int | None] = list(range(len(lines)))
    placed = 0
    for table in tables:
        words = set(_tokens(" ".join(cell for row in table.rows for cell in row)))
        if not words:
            continue
        best: tuple[int, int, int] | None = None  # words covered, first line, end
        start: int | None = None
        last = 0  # the run's last line of the table's words
        gap = 0
        covered: set[str] = set()
        for i in range(len(out) + 1):
            tokens = _tokens(out[i]) if i < len(out) else []
            free = i < len(out) and origin[i] is not None
            shared = [t for t in tokens if t in words]
            mine = len(shared) == len(tokens) or (
                len(tokens) <= MAX_FUZZY_TOKENS and len(shared) * 2 > len(tokens)
            )
            if free and tokens and mine:
                if start is None:
                    start, covered = i, set()
                covered |= set(shared)
                last, gap = i, 0
                continue
            if free and start is not None:
                if not tokens:
                    continue  # a blank line inside the run
                if len(tokens) <= MAX_GAP_TOKENS and gap < MAX_GAP_LINES:
                    gap += 1
                    continue
            if start is not None:
                if best is None or len(covered) > best[0]:
                    best = (len(covered), start, last + 1)
                start, gap = None, 0
        if best is None or best[0] < MIN_MATCHED_SHARE * len(words):
            continue
        _, begin, end = best
        rendered = table.markdown()
        out[begin:end] = rendered
        origin[begin:end] = [None] * len(rendered)
        placed += 1
    return out, origin, placed


__all__ = ["PdfTable", "page_tables", "place_tables"]
