"""Structure of the six real strategy PDFs (read in place, skipped when absent): their tables
come out as rows whose cells match the printed tables, layout frames are not tables, and a list
over a page break is one list with its lead-in."""

from __future__ import annotations

import itertools
from functools import cache
from typing import Any

import pytest

from assistant.text import chunk_units
from ingest.chunker import StructuredChunker
from ingest.loaders.pdf import parse_pdf
from tests.ingest.loaders.test_real_policy_pdfs import (
    EE,
    FI,
    LT,
    LU,
    NL_NORTH,
    NL_WEST,
    REAL_POLICY,
    load,
    real_policy_dir,
)

pytestmark = pytest.mark.integration


@cache
def _parsed(name: str) -> dict[str, Any]:
    return parse_pdf(str(REAL_POLICY / name))


def page_text(name: str, page: int) -> str:
    real_policy_dir()
    return str(_parsed(name)["pages"][page - 1])


def tables_per_page(name: str) -> dict[int, int]:
    real_policy_dir()
    return {k + 1: n for k, n in enumerate(_parsed(name)["tables"]) if n}


def test_luxembourg_indicator_table_pairs_each_label_with_its_value() -> None:
    text = page_text(LU, 31)
    assert "| Sectoral support service offered to members by the Cluster | Indicator |" in text
    for row in (
        "| Identifying cooperation opportunities | 1 000 |",
        "| Setting up strategic partnerships between 2 or more stakeholders | 10 |",
        "| Starting businesses | 300 |",
        "| Creating new jobs | 3 000 |",
    ):
        assert row in text


def test_estonian_growth_area_table_keeps_its_label_column() -> None:
    text = page_text(EE, 13)
    assert "| 1 | ICT | 2 266 | 17 591 | 2 292 407 | 1 210 462 | 621 989 | 35,4 |" in text
    assert "| Growth area | Number of companies |" in text.replace("  ", " ")


def test_two_level_header_labels_each_column() -> None:
    text = page_text(EE, 15)
    assert "|  | Enterprise K | Enterprise AF | Research K | Research AF |" in text
    assert "| ICT | 2,4 | 3,0 | 2,1 | 2,0 | 2,5 | 3,0 | 0,8 | 0,8 | 2,0 | 2,4 | 6,5 | 7,4 |" in text


def test_cluster_tables_of_the_northern_netherlands_and_top_sectors_of_the_west() -> None:
    assert tables_per_page(NL_NORTH) == {8: 2, 9: 3, 10: 2}
    assert "| Evidence |" in page_text(NL_NORTH, 8)
    assert tables_per_page(NL_WEST) == {20: 1, 21: 1}
    assert "| Top Sector | Cross-overs |" in page_text(NL_WEST, 20)


def test_layout_frames_are_not_tables() -> None:
    assert tables_per_page(FI) == {}
    assert set(tables_per_page(LT)) == {22, 23}  # the monitoring table, over two pages


def test_luxembourg_tables() -> None:
    assert tables_per_page(LU) == {4: 1, 6: 2, 17: 1, 29: 1, 31: 1, 32: 1}


def test_a_table_row_unit_carries_its_column_label() -> None:
    doc = load(LU)
    chunks = StructuredChunker(lambda text: len(text.split())).chunk(doc, LU)
    units = {u.text for c in chunks for u in chunk_units(c.text)}
    assert "Creating new jobs — Indicator: 3 000" in units


def test_the_five_priorities_stay_with_their_lead_in_across_the_page_break() -> None:
    doc = load(LU)
    chunks = StructuredChunker(lambda text: len(text.split())).chunk(doc, LU)
    chunk = next(c for c in chunks if "cluster action plans have five priorities:" in c.text)
    assert "promoting clusters in the Luxembourg Cluster Initiative" in chunk.text
    assert chunk.page == 30 and [page for _, page, _ in chunk.page_starts] == [31]
    last = next(u for u in chunk_units(chunk.text) if u.text.startswith("promoting clusters"))
    assert chunk.page_of_line(last.line) == (31, "31")


@pytest.mark.parametrize("name", [EE, FI, LT, LU, NL_NORTH, NL_WEST])
def test_no_list_is_cut_from_the_page_before(name: str) -> None:
    """A section that opens with list items continues no list of the page before it."""
    sections = load(name).sections
    for here, there in itertools.pairwise(sections):
        last = here.page_starts[-1][1] if here.page_starts else here.page
        if here.heading != there.heading or last is None or there.page != last + 1:
            continue
        ends = here.text.rstrip().split("\n")[-1]
        opens = there.text.lstrip().split("\n")[0]
        assert not (ends.endswith(":") and opens.lstrip().startswith(("- ", "• ", "· "))), (
            here.page,
            ends,
            opens,
        )


def test_the_lithuanian_monitoring_table_over_two_pages_is_one_table() -> None:
    doc = load(LT)
    table = next(s for s in doc.sections if "| Objective | Evaluation criterion |" in s.text)
    assert table.page == 22 and [page for _, page, _ in table.page_starts] == [23]
    assert table.text.count("| Objective | Evaluation criterion |") == 1


def test_a_spread_running_header_is_removed_where_its_halves_come_apart() -> None:
    """FI prints its running header on both pages of a spread; where pypdf gives the two halves
    as separate lines, each half is removed like the whole."""
    doc = load(FI)
    for section in doc.sections:
        first = section.text.split("\n")[0]
        assert not first.endswith("Smart & Outstanding. Strategy for Smart Specialisation."), (
            section.page,
            first,
        )


def test_the_title_above_the_lithuanian_table_is_kept() -> None:
    doc = load(LT)
    assert any("LIST OF CRITERIA USED FOR THE EVALUATION" in s.text for s in doc.sections)
