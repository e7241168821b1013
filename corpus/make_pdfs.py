"""Render the corpus documents marked ``render_pdf: true`` to multi-page PDFs in ``corpus/pdf/``.

The PDFs exercise page-level citations on the starter corpus. Each carries its document metadata in
the PDF info dictionary (``/DocId``, ``/DocType``, ``/Source``, ``/Year``, ``/Language``) and a
bookmark per heading, so that ingestion reads them as the same document as their Markdown source
and indexes only the PDF. Output is byte-for-byte reproducible.

Usage: ``python corpus/make_pdfs.py`` (needs the ``dev`` extra, for reportlab).
"""

from __future__ import annotations

import html
import io
import re
import sys
from pathlib import Path
from typing import Any

import frontmatter
from pypdf import PdfReader, PdfWriter
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A5
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

rl_config.invariant = 1  # fixed dates and ids: the same input gives the same bytes

CORPUS = Path(__file__).resolve().parent
OUT = CORPUS / "pdf"
_STYLES = getSampleStyleSheet()
STYLES = {
    1: ParagraphStyle("H1", parent=_STYLES["Heading1"], fontSize=15, leading=18, keepWithNext=1),
    2: ParagraphStyle("H2", parent=_STYLES["Heading2"], fontSize=12, leading=15, keepWithNext=1),
    3: ParagraphStyle("H3", parent=_STYLES["Heading3"], fontSize=10.5, leading=13, keepWithNext=1),
}
BODY = ParagraphStyle("Body", parent=_STYLES["BodyText"], fontSize=10, leading=13)


def inline(text: str) -> str:
    """Markdown inline markup to reportlab's mini-HTML."""
    text = html.escape(text, quote=False)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"(?<!\*)\*(?!\*)(.+?)(?<!\*)\*(?!\*)", r"<i>\1</i>", text)


class Heading(Paragraph):
    """A heading paragraph that becomes a bookmark."""

    def __init__(self, text: str, level: int) -> None:
        super().__init__(inline(text), STYLES[level])
        self.level = level
        self.plain = text


class OutlinedDoc(SimpleDocTemplate):
    """Adds a bookmark for each heading as it is laid out."""

    def afterFlowable(self, flowable: Any) -> None:
        if isinstance(flowable, Heading):
            key = f"h{id(flowable)}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.plain, key, level=flowable.level - 1)


def flowables(body: str) -> list[Any]:
    """Headings, paragraphs, bullet lists and tables of a Markdown body."""
    out: list[Any] = []
    lines = body.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        heading = re.match(r"^(#{1,3})\s+(.*)$", line)
        if heading:
            out.append(Heading(heading.group(2).strip(), len(heading.group(1))))
            i += 1
        elif re.match(r"^\s*([-*]|\d+\.)\s+", line):
            items = []
            while i < len(lines) and re.match(r"^\s*([-*]|\d+\.)\s+", lines[i]):
                text = re.sub(r"^\s*([-*]|\d+\.)\s+", "", lines[i])
                items.append(ListItem(Paragraph(inline(text), BODY), leftIndent=12))
                i += 1
            bullets = ListFlowable(items, bulletType="bullet", start="•", leftIndent=12)
            # Short lists (a Do/Don't pair) never break across pages.
            out.append(KeepTogether([bullets]) if len(items) <= 3 else bullets)
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                if not re.match(r"^\|?\s*:?-{3,}", lines[i]):
                    cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                    rows.append([Paragraph(inline(c), BODY) for c in cells])
                i += 1
            table = Table(rows, repeatRows=1)
            table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey)]))
            out.append(table)
        elif line.strip():
            para = []
            while (
                i < len(lines)
                and lines[i].strip()
                and not re.match(r"^(#{1,3}\s|\s*([-*]|\d+\.)\s+|\|)", lines[i])
            ):
                para.append(lines[i].strip())
                i += 1
            out.append(Paragraph(inline(" ".join(para)), BODY))
        else:
            out.append(Spacer(1, 2 * mm))
            i += 1
    return out


def render(md_path: Path) -> Path:
    """Write ``corpus/pdf/<id>.pdf`` for one Markdown document and return its path."""
    post = frontmatter.load(md_path)
    meta = post.metadata
    buffer = io.BytesIO()
    doc = OutlinedDoc(
        buffer,
        pagesize=A5,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=str(meta["title"]),
        author=str(meta.get("source", "")),
    )
    doc.build(flowables(post.content))
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buffer.getvalue())))
    writer.add_metadata(
        {
            "/Title": str(meta["title"]),
            "/DocId": str(meta["id"]),
            "/DocType": str(meta["doc_type"]),
            "/Source": str(meta.get("source", "")),
            "/Year": str(meta.get("year", "")),
            "/Language": str(meta.get("language", "")),
        }
    )
    writer._ID = None  # no random file identifier: keep the output reproducible
    OUT.mkdir(exist_ok=True)
    target = OUT / f"{meta['id']}.pdf"
    with target.open("wb") as handle:
        writer.write(handle)
    return target


def main() -> int:
    """Render every document marked ``render_pdf: true``."""
    sources = [p for p in sorted(CORPUS.glob("*.md")) if frontmatter.load(p).get("render_pdf")]
    for source in sources:
        target = render(source)
        pages = len(PdfReader(target).pages)
        print(f"{source.name} -> {target.relative_to(CORPUS.parent)} ({pages} pages)")
    return 0 if sources else 1


if __name__ == "__main__":
    sys.exit(main())
