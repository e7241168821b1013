"""Markdown through markdown-it-py: every list and table form becomes the chunker's blocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.text import chunk_units
from ingest.chunker import StructuredChunker, split_blocks
from ingest.loaders import load_document
from ingest.loaders.markdown import split_markdown_sections

pytestmark = pytest.mark.unit

BODY = """# Guide

Intro paragraph
over two lines.

## Services

The cluster offers three services:

* networking
* training
  that goes on over a second line
  1. nested one
  2. nested two
* matchmaking

Country | Association
--- | ---
Austria | National Cluster Platform

3. third step
4. fourth step

##### A heading too deep to split at
Closing text.
"""


def test_sections_follow_headings_and_drop_the_title() -> None:
    sections = split_markdown_sections(BODY, "Guide")
    assert [s.heading for s in sections] == [None, "Services"]
    assert sections[0].text == "Intro paragraph\nover two lines."


def test_every_bullet_form_is_an_item_with_its_lead_in() -> None:
    text = split_markdown_sections(BODY, "Guide")[1].text
    kinds = [(b.kind, b.text) for b in split_blocks(text)]
    assert ("paragraph", "The cluster offers three services:") in kinds
    items = [t for k, t in kinds if k == "item"]
    assert items[:3] == [
        "- networking",
        "- training that goes on over a second line",
        "1. nested one",
    ]
    assert "3. third step" in items and "4. fourth step" in items


def test_a_pipe_table_without_outer_pipes_is_a_table_with_its_header() -> None:
    text = split_markdown_sections(BODY, "Guide")[1].text
    assert "| Country | Association |\n| --- | --- |\n| Austria | National Cluster Platform |" in (
        text
    )
    units = [u.text for u in chunk_units(text)]
    assert "Austria — Association: National Cluster Platform" in units
    whole = next(u for u in chunk_units(text) if u.is_list)
    assert whole.text.startswith("The cluster offers three services: networking; training")


def test_a_deep_heading_stays_in_the_text(tmp_path: Path) -> None:
    path = tmp_path / "guide.md"
    path.write_text(BODY, encoding="utf-8")
    doc = load_document(path)
    assert "A heading too deep to split at" in doc.sections[-1].text
    chunks = StructuredChunker(lambda t: len(t.split())).chunk(doc, "guide.md")
    assert any("Closing text." in c.text for c in chunks)
