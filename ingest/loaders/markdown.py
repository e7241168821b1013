"""Markdown with YAML front matter, read by a Markdown parser (markdown-it-py: CommonMark with
tables): the body is split into sections at its headings, and lists, tables and paragraphs are
written in the one form every loader gives the chunker."""

from __future__ import annotations

from pathlib import Path

import frontmatter
from markdown_it import MarkdownIt
from markdown_it.token import Token

from ingest.cleaning import normalize_unicode
from ingest.documents import LoadedDocument, Section
from ingest.errors import FailureReason, LoadError
from ingest.loaders.metadata import resolve_metadata
from ingest.loaders.text import read_utf8

SECTION_LEVELS = 4
"""Headings down to this level start a section; deeper ones stay in the text as a line."""

_PARSER = MarkdownIt("commonmark").enable("table")


def _cells(tokens: list[Token], start: int, end: int) -> list[str]:
    return [t.content.strip() for t in tokens[start:end] if t.type == "inline"]


class _Renderer:
    """Markdown tokens (markdown-it-py) as the text the chunker reads: a paragraph per run of
    lines with a blank line after it, a list item per line opening with its marker ("- ", "3. ",
    indented two spaces per nesting level), a table as Markdown rows under a header and a rule.
    Inline markup stays as written (answers strip it)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.lists: list[list[int] | None] = []  # per open list: [next number] or None (bullets)
        self.item_open: list[bool] = []  # per open item: whether its first line is written

    def block(self, text: str) -> None:
        """A paragraph (or any leaf block): its lines, or an item's if one is open."""
        lines = text.strip("\n").split("\n")
        if self.item_open and not self.item_open[-1]:
            depth = len(self.lists) - 1
            numbers = self.lists[-1]
            marker = "-" if numbers is None else f"{numbers[0] - 1}."
            self.lines.append(f"{'  ' * depth}{marker} {lines[0].strip()}")
            self.lines.extend(f"{'  ' * (depth + 1)}{line.strip()}" for line in lines[1:])
            self.item_open[-1] = True
            return
        if self.item_open:  # a later paragraph of an item: continuation lines
            indent = "  " * len(self.lists)
            self.lines.extend(f"{indent}{line.strip()}" for line in lines)
            return
        self.lines.extend(lines)
        self.lines.append("")

    def table(self, tokens: list[Token], start: int) -> int:
        """The table opening at `start`; returns the index after it."""
        rows: list[list[str]] = []
        head_rows = 0
        i = start
        while tokens[i].type != "table_close":
            if tokens[i].type == "tr_open":
                end = i
                while tokens[end].type != "tr_close":
                    end += 1
                rows.append(_cells(tokens, i, end))
                i = end
            elif tokens[i].type == "thead_close":
                head_rows = len(rows)
            i += 1
        for k, row in enumerate(rows):
            self.lines.append("| " + " | ".join(c.replace("|", "/") for c in row) + " |")
            if k + 1 == head_rows:
                self.lines.append("| " + " | ".join("---" for _ in row) + " |")
        self.lines.append("")
        return i + 1


def split_markdown_sections(body: str, title: str) -> list[Section]:
    """Sections keyed by their heading path (headings down to `SECTION_LEVELS`), from the
    Markdown parser's blocks; a level-1 heading equal to the title is dropped."""
    tokens = _PARSER.parse(body)
    sections: list[Section] = []
    path: list[str] = []
    out = _Renderer()

    def flush() -> None:
        text = "\n".join(out.lines).strip()
        if text:
            levels = [p for p in path if p]
            if levels and path[0].strip().lower() == title.strip().lower():
                levels = levels[1:]
            sections.append(Section(text=text, heading=" > ".join(levels) or None))
        out.lines.clear()

    i = 0
    while i < len(tokens):
        token = tokens[i]
        kind = token.type
        if kind == "heading_open":
            level, text = int(token.tag[1:]), tokens[i + 1].content.strip()
            if level <= SECTION_LEVELS and not out.lists:
                flush()
                del path[level - 1 :]
                path.extend([""] * (level - 1 - len(path)))
                path.append(text)
            else:
                out.block(text)
            i += 3
            continue
        if kind in ("bullet_list_open", "ordered_list_open"):
            start = int(token.attrGet("start") or 1) if kind == "ordered_list_open" else None
            out.lists.append(None if start is None else [start])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            out.lists.pop()
            if not out.lists:
                out.lines.append("")
        elif kind == "list_item_open":
            numbers = out.lists[-1]
            if numbers is not None:
                numbers[0] += 1
            out.item_open.append(False)
        elif kind == "list_item_close":
            out.item_open.pop()
        elif kind == "inline" or kind in ("fence", "code_block", "html_block"):
            out.block(token.content)
        elif kind == "table_open":
            i = out.table(tokens, i)
            continue
        i += 1
    flush()
    return sections


def load_markdown(path: Path) -> LoadedDocument:
    """Load a Markdown file; front matter becomes the document's metadata."""
    raw = read_utf8(path)
    try:
        post = frontmatter.loads(raw)
    except Exception as exc:
        raise LoadError(
            FailureReason.INVALID_METADATA, f"the YAML front matter cannot be parsed: {exc}"
        ) from exc
    meta = resolve_metadata(path, post.metadata)
    body = normalize_unicode(post.content)
    if not body.strip():
        raise LoadError(FailureReason.EMPTY, "the document has no body text")
    sections = split_markdown_sections(body, meta["title"])
    if not sections:
        raise LoadError(FailureReason.EMPTY, "the document has headings but no text")
    return LoadedDocument(path=path, format="md", sections=sections, **meta)
