from pathlib import Path

import pytest

from assistant.types import Chunk, Citation, ScoredChunk
from ingest.chunker import StructuredChunker, split_blocks
from ingest.documents import LoadedDocument, Section

pytestmark = pytest.mark.unit


def words(text: str) -> int:
    """A stand-in tokenizer: one token per word."""
    return len(text.split())


def doc(*sections: Section) -> LoadedDocument:
    return LoadedDocument(
        path=Path("x.md"),
        format="md",
        doc_id="x",
        title="X",
        doc_type="policy_guide",
        source="S",
        year=2016,
        sections=list(sections),
    )


def test_blocks_keep_list_items_rows_and_paragraphs_whole() -> None:
    text = (
        "Intro line one\ncontinues.\n- first item\n- second item\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    blocks = split_blocks(text)
    assert [b.kind for b in blocks] == ["paragraph", "item", "item", "table_header", "row"]
    assert blocks[0].text == "Intro line one continues."


def test_do_and_dont_items_become_one_block() -> None:
    blocks = split_blocks("- **Don't:** fund everything.\n- **Do instead:** fund strategy.")
    assert [b.kind for b in blocks] == ["pair"]


def test_wrapped_pdf_list_item_is_one_item() -> None:
    blocks = split_blocks(
        "• Don't: create clusters from\nscratch.\n• Do instead: build on strengths."
    )
    assert [b.kind for b in blocks] == ["pair"]
    assert "from scratch" in blocks[0].text.replace("\n", " ")


def test_chunks_respect_the_size_limit_and_never_split_items() -> None:
    items = "\n".join(f"- item number {i} has exactly seven words" for i in range(40))
    chunker = StructuredChunker(words, chunk_size=50, chunk_overlap=0)
    chunks = chunker.chunk(doc(Section(items, "List")), "x.md")
    assert len(chunks) > 1
    for chunk in chunks:
        assert words(chunk.text) <= 50
        for line in chunk.text.split("\n"):
            assert line.startswith("- item number") and line.endswith("seven words")


def test_a_pair_is_never_split_across_chunks() -> None:
    filler = "\n".join(f"- filler item {i} of five" for i in range(9))
    pair = "- Don't: support individual firms alone.\n- Do instead: support groups of firms."
    chunker = StructuredChunker(words, chunk_size=50, chunk_overlap=0)
    chunks = chunker.chunk(doc(Section(f"{filler}\n{pair}", "Pairs")), "x.md")
    holding = [c for c in chunks if "Don't" in c.text]
    assert len(holding) == 1 and "Do instead" in holding[0].text


def test_split_tables_repeat_their_header() -> None:
    rows = "\n".join(f"| Country {i} | Association number {i} |" for i in range(30))
    table = f"| Country | Association |\n|---|---|\n{rows}"
    chunker = StructuredChunker(words, chunk_size=40, chunk_overlap=5)
    chunks = chunker.chunk(doc(Section(table, "Members")), "x.md")
    assert len(chunks) > 2
    assert all(c.text.startswith("| Country | Association |") for c in chunks)


def test_long_paragraph_is_split_at_sentences_with_overlap() -> None:
    text = " ".join(f"Sentence {i} talks about cluster policy here." for i in range(40))
    chunker = StructuredChunker(words, chunk_size=60, chunk_overlap=10)
    chunks = chunker.chunk(doc(Section(text, "Long")), "x.md")
    assert len(chunks) > 4
    assert all(words(c.text) <= 60 for c in chunks)
    first_tail = chunks[0].text.split(". ")[-1].rstrip(".")
    assert first_tail in chunks[1].text  # the overlap repeats the end of the previous chunk


def test_chunk_metadata_and_stable_ids() -> None:
    d = doc(Section("Alpha beta.", "A > B", page=3), Section("Gamma delta.", None))
    chunker = StructuredChunker(words, chunk_size=50, chunk_overlap=0)
    first, second = chunker.chunk(d, "x.md"), chunker.chunk(d, "x.md")
    assert [c.id for c in first] == [c.id for c in second]
    assert first[0].section == "A > B" and first[0].page == 3 and first[0].position == 0
    assert first[1].section is None and first[1].page is None
    assert first[0].doc_id == "x" and first[0].year == 2016
    changed = chunker.chunk(doc(Section("Alpha beta gamma.", "A > B", page=3)), "x.md")
    assert changed[0].id != first[0].id


def test_overlap_must_be_smaller_than_size() -> None:
    with pytest.raises(ValueError):
        StructuredChunker(words, chunk_size=10, chunk_overlap=10)


def test_page_labels_and_navigation_reach_chunks_metadata_and_citations() -> None:
    d = doc(
        Section("Contents 3 Clusters 5", "Contents", page=2, navigation=True, page_label="ii"),
        Section("Clusters matter.", "1 Clusters", page=5, page_label="8–9"),
    )
    toc, body = StructuredChunker(words, chunk_size=50, chunk_overlap=0).chunk(d, "x.pdf")
    assert (toc.navigation, toc.page_label) == (True, "ii")
    assert (body.navigation, body.page_label, body.page) == (False, "8–9", 5)
    for chunk in (toc, body):
        metadata = chunk.metadata()
        assert metadata["navigation"] is chunk.navigation
        assert Chunk.from_store(chunk.id, chunk.text, metadata) == chunk
    unlabelled = StructuredChunker(words, 50, 0).chunk(doc(Section("Plain.", None, page=1)), "x")
    assert "page_label" not in unlabelled[0].metadata()
    assert Chunk.from_store("c", "t", {"doc_id": "x"}).navigation is False  # older stores
    citation = Citation.of(ScoredChunk(body, 0.9, 1), 1, "Clusters matter.")
    assert (citation.page, citation.page_label) == (5, "8–9")


def test_a_list_longer_than_a_chunk_repeats_its_lead_in() -> None:
    items = "\n".join(f"- item number {k} of the long list of priorities" for k in range(12))
    text = f"Some opening paragraph of the section.\nThe programme has twelve priorities:\n{items}"
    chunks = StructuredChunker(lambda t: len(t.split()), chunk_size=60, chunk_overlap=10).chunk(
        doc(Section(text)), "x.md"
    )
    assert len(chunks) > 1
    for chunk in chunks:
        if "- item number" in chunk.text:
            assert "The programme has twelve priorities:" in chunk.text
