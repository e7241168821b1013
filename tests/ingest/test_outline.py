"""A document's outline as passages (unit)."""

import pytest

from ingest.chunker import StructuredChunker, split_blocks
from ingest.documents import Section
from ingest.outline import outline_sections
from tests.ingest.test_chunker import doc, words

pytestmark = pytest.mark.unit


def test_numbered_sub_headings_are_listed_under_their_heading_by_number() -> None:
    sections = [
        Section("Intro.", "4. Service and Skill Sets", page=19),
        # The loader guessed a flat level for 4.1; its number says it belongs under 4.
        Section("Start.", "4.1 Start Up and Grow Up!", page=18),
        Section("Global.", "4. Service and Skill Sets > 4.2 Go Global!", page=20),
        Section("More.", "4. Service and Skill Sets > 4.2 Go Global! > Desired state", page=21),
        Section("Innovate.", "4. Service and Skill Sets > 4.3 Innovate!", page=22),
    ]
    [outline] = outline_sections(sections)
    assert outline.heading == "4. Service and Skill Sets" and outline.page == 19
    assert outline.text == (
        "Service and Skill Sets:\n- 4.1 Start Up and Grow Up!\n- 4.2 Go Global!\n- 4.3 Innovate!"
    )


@pytest.mark.parametrize(
    "headings",
    [
        ["2 Method", "2 Method > 2.1 Data"],  # one child
        ["2 Method", "2 Method > 2.1 Data", "2 Method > 2.3 Tools"],  # a gap: not an outline
        ["Method", "Method > Data", "Method > Tools"],  # unnumbered
        ["2.1 Data", "2.2 Tools"],  # no numbered parent to list them under
        ["2020 targets", "2020 targets > 1 Growth", "2020 targets > 2 Jobs"],  # a year
    ],
)
def test_no_outline_without_a_numbered_parent_and_an_unbroken_run(headings: list[str]) -> None:
    assert outline_sections([Section("Text.", h, page=1) for h in headings]) == []


def test_a_table_of_contents_gives_no_outline() -> None:
    sections = [
        Section("1 A … 3", "1 A", navigation=True),
        Section("1.1 B … 4", "1 A > 1.1 B", navigation=True),
        Section("1.2 C … 5", "1 A > 1.2 C", navigation=True),
    ]
    assert outline_sections(sections) == []


def test_the_chunker_adds_the_outline_as_a_list_with_its_lead_in() -> None:
    d = doc(
        Section("Text one.", "3 Sectors", page=10),
        Section("Text two.", "3 Sectors > 3.1 Food", page=11),
        Section("Text three.", "3 Sectors > 3.2 Energy", page=12),
    )
    chunks = StructuredChunker(words, chunk_size=50, chunk_overlap=0).chunk(d, "x.md")
    last = chunks[-1]
    assert last.section == "3 Sectors" and last.page == 10 and last.position == 3
    kinds = [b.kind for b in split_blocks(last.text)]
    assert kinds == ["paragraph", "item", "item"] and split_blocks(last.text)[0].lead_in
