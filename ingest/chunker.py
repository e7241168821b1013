"""Structure-aware chunking.

A section (the text under one heading path, on one page for PDFs) is cut into *blocks* that must not
be split: a paragraph, a list item, a table row, or a Do/Don't pair. Blocks are packed into chunks
of at most `chunk_size` word pieces; a block larger than that is split at sentence boundaries by
LangChain's recursive splitter. A new chunk in the same section starts with a small overlap: the
previous chunk's last block, or its last sentences, when they fit in `chunk_overlap` word pieces.
Chunk ids are derived from the document id, the chunk's position and its text, so they are stable
across runs and change when the content does.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.text import DO, DONT, LIST_MARKER
from assistant.types import Chunk, PageStarts
from ingest.documents import LoadedDocument, Section
from ingest.outline import outline_sections

_TABLE_ROW = re.compile(r"^\s*\|")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")
_SENTENCE_END = re.compile(r"[.!?:;…]['\")\]]?$")

# Bump when the chunking rules change: every file is then re-chunked on the next ingest.
# 2: unit vectors stored; 3: sentences kept whole across PDF pages; 4: PDF bullets are list items;
# 5: PDF layout hygiene (running headers, footers and page numbers removed; printed page labels;
# tables of contents and indexes marked `navigation`; headings without an outline; titles that
# are file names replaced).
# 6: tables from pdfplumber as Markdown rows; lists kept with their lead-ins across page breaks
# and chunks; more bullet glyphs; a page per line of a chunk.
# 7: a numbered heading's numbered sub-headings listed under it, as a section of its own
# (`ingest.outline`).
CHUNKER_VERSION = "7"


@dataclass(frozen=True)
class Block:
    """An unsplittable run of text, its kind and the line of the section's text it starts on."""

    text: str
    kind: str  # "paragraph" | "item" | "row" | "pair" | "table_header"
    line: int = 0

    @property
    def lead_in(self) -> bool:
        """A paragraph that introduces what follows ("… have five priorities:")."""
        return self.kind == "paragraph" and self.text.rstrip().endswith(":")


Piece = tuple[str, int]
"""A chunk's piece of text and the line of the section's text it comes from."""


def _strip_marker(line: str) -> str:
    return LIST_MARKER.sub("", line, count=1)


def split_blocks(text: str) -> list[Block]:
    """Cut a section's text into paragraphs, list items, table rows and Do/Don't pairs."""
    blocks: list[Block] = []
    lines = text.split("\n")
    para: list[str] = []
    para_start = 0
    i = 0

    def flush_para() -> None:
        if para:
            text = " ".join(p.strip() for p in para if p.strip())
            blocks.append(Block(text, "paragraph", para_start))
            para.clear()

    while i < len(lines):
        line = lines[i]
        if not line.strip():
            flush_para()
            i += 1
            continue
        if _TABLE_ROW.match(line):
            flush_para()
            if i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1]):
                header = f"{line.strip()}\n{lines[i + 1].strip()}"
                blocks.append(Block(header, "table_header", i))
                i += 2
                continue
            blocks.append(Block(line.strip(), "row", i))
            i += 1
            continue
        if LIST_MARKER.match(line):
            flush_para()
            item = [line.strip()]
            start = i
            i += 1
            # Continuation lines: indented ones, or wrapped lines (previous line ends mid-sentence).
            while i < len(lines) and lines[i].strip():
                nxt = lines[i]
                if LIST_MARKER.match(nxt) or _TABLE_ROW.match(nxt):
                    break
                if not (nxt.startswith((" ", "\t")) or not _SENTENCE_END.search(item[-1])):
                    break
                item.append(nxt.strip())
                i += 1
            blocks.append(Block(" ".join(item), "item", start))
            continue
        if not para:
            para_start = i
        para.append(line)
        i += 1
    flush_para()
    return _pair_dos_and_donts(blocks)


def _pair_dos_and_donts(blocks: list[Block]) -> list[Block]:
    """Glue a "Don't …" list item to the "Do …" item that follows it (or precedes it)."""
    out: list[Block] = []
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if i + 1 < len(blocks) and block.kind == "item" and blocks[i + 1].kind == "item":
            first, second = _strip_marker(block.text), _strip_marker(blocks[i + 1].text)
            if (DONT.match(first) and DO.match(second)) or (DO.match(first) and DONT.match(second)):
                out.append(Block(f"{block.text}\n{blocks[i + 1].text}", "pair", block.line))
                i += 2
                continue
        out.append(block)
        i += 1
    return out


class StructuredChunker:
    """Turns a `LoadedDocument` into `Chunk`s that respect its structure."""

    def __init__(
        self, count_tokens: Callable[[str], int], chunk_size: int = 200, chunk_overlap: int = 30
    ) -> None:
        if chunk_overlap >= chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        self._count = count_tokens
        self._size = chunk_size
        self._overlap = chunk_overlap
        self._splitter = RecursiveCharacterTextSplitter(
            chunk_size=chunk_size,
            chunk_overlap=chunk_overlap,
            length_function=count_tokens,
            separators=["\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
            keep_separator="end",
        )

    def chunk(self, doc: LoadedDocument, source_path: str) -> list[Chunk]:
        """All chunks of a document, numbered in reading order."""
        texts: list[tuple[Section, list[Piece]]] = []
        for section in [*doc.sections, *outline_sections(doc.sections)]:
            texts.extend((section, pieces) for pieces in self._pack(split_blocks(section.text)))
        chunks = []
        for position, (section, pieces) in enumerate(texts):
            text = "\n".join(piece for piece, _ in pieces)
            page, page_label, starts = _pages(section, pieces)
            digest = hashlib.sha256(
                f"{doc.doc_id}\x1f{page}\x1f{position}\x1f{text}".encode()
            ).hexdigest()[:24]
            chunks.append(
                Chunk(
                    id=f"{doc.doc_id}:{digest}",
                    text=text,
                    doc_id=doc.doc_id,
                    title=doc.title,
                    doc_type=doc.doc_type,
                    source=doc.source,
                    source_path=source_path,
                    position=position,
                    year=doc.year,
                    language=doc.language,
                    page=page,
                    section=section.heading,
                    page_label=page_label,
                    navigation=section.navigation,
                    page_starts=starts,
                )
            )
        return chunks

    def _pieces(self, block: Block) -> list[Piece]:
        """A block as one piece, or cut at sentences when it alone exceeds the size."""
        if self._count(block.text) <= self._size:
            return [(block.text, block.line)]
        return [(p.strip(), block.line) for p in self._splitter.split_text(block.text) if p.strip()]

    def _overlap_from(self, pieces: list[Piece]) -> list[Piece]:
        """The tail of a chunk to repeat at the start of the next one, if it is small enough."""
        if not self._overlap or not pieces:
            return []
        last, line = pieces[-1]
        if self._count(last) <= self._overlap:
            return [pieces[-1]]
        sentences = re.split(r"(?<=[.!?])\s+", last)
        tail: list[str] = []
        for sentence in reversed(sentences):
            if self._count(" ".join([sentence, *tail])) > self._overlap:
                break
            tail.insert(0, sentence)
        return [(" ".join(tail), line)] if tail and len(tail) < len(sentences) else []

    def _pack(self, blocks: list[Block]) -> list[list[Piece]]:
        """Blocks packed into chunks. A continued table starts with its header, a continued
        list with its lead-in (and a chunk does not end with a lead-in whose list moves on)."""
        chunks: list[list[Piece]] = []
        current: list[Piece] = []
        current_tokens = 0
        table_header: Piece | None = None
        lead_in: Piece | None = None
        fresh = True  # nothing but overlap in `current`

        def emit() -> None:
            nonlocal current, current_tokens, fresh
            if current and not fresh:
                chunks.append(current)
            overlap = self._overlap_from(current) if current and not fresh else []
            current = list(overlap)
            current_tokens = self._count("\n".join(p for p, _ in current)) if current else 0
            fresh = True

        for block in blocks:
            if block.kind == "table_header":
                table_header = (block.text, block.line)
            elif block.kind != "row":
                table_header = None
            if block.kind != "item":
                lead_in = (block.text, block.line) if block.lead_in else None
            for piece in self._pieces(block):
                tokens = self._count(piece[0])
                if current and current_tokens + tokens > self._size:
                    head = None
                    if block.kind == "row" and table_header:
                        head = table_header
                    elif block.kind == "item" and lead_in:
                        head = lead_in
                        if current[-1] == lead_in and len(current) > 1 and not fresh:
                            current.pop()  # the lead-in goes on with its list
                    emit()
                    if head is not None:
                        # A continued table repeats its header, a list its lead-in, instead of
                        # an overlap.
                        current = [head]
                        current_tokens = self._count(head[0])
                    elif current and current_tokens + tokens > self._size:
                        current, current_tokens = [], 0
                current.append(piece)
                current_tokens += tokens
                fresh = False
        if current and not fresh:
            chunks.append(current)
        return chunks


def _pages(section: Section, pieces: list[Piece]) -> tuple[int | None, str | None, PageStarts]:
    """A chunk's first page and label, and where it changes page (line of its text, page,
    label), from the section's lines its pieces come from."""
    page, label = section.page_at(pieces[0][1]) if pieces else (section.page, section.page_label)
    starts: list[tuple[int, int, str | None]] = []
    current = page
    line = 0
    for piece, source in pieces:
        here, here_label = section.page_at(source)
        if here is not None and here != current:
            starts.append((line, here, here_label))
            current = here
        line += piece.count("\n") + 1
    return page, label, tuple(starts)
