"""Documents as structure on generated PDFs: ruled tables as rows, layout frames rejected, lists
kept with their lead-ins across page breaks, a page per line, junk metadata titles."""

from __future__ import annotations

from pathlib import Path

import pytest
from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from assistant.text import chunk_units
from assistant.types import Chunk, Citation, ScoredChunk
from ingest.chunker import StructuredChunker
from ingest.loaders.pdf import load_pdf, parse_pdf, prefetch_pdfs
from ingest.loaders.pdf_tables import PdfTable, place_tables

pytestmark = pytest.mark.unit
rl_config.invariant = 1

ROWS = [
    ("Service offered by the cluster", "Target"),
    ("Identifying cooperation opportunities", "1 000"),
    ("Starting businesses", "300"),
    ("Creating new jobs", "3 000"),
]


def _ruled_table(canvas: Canvas, top: float) -> None:
    xs, height = [70.0, 330.0, 450.0], 20.0
    ys = [top - k * height for k in range(len(ROWS) + 1)]
    canvas.grid(xs, ys)
    for k, (label, value) in enumerate(ROWS):
        canvas.setFont("Helvetica-Bold" if k == 0 else "Helvetica", 10)
        canvas.drawString(xs[0] + 4, ys[k] - 14, label)
        canvas.drawString(xs[1] + 4, ys[k] - 14, value)


def _write(path: Path, title: str, pages: list[list[str]], table_on: int | None = None) -> Path:
    canvas = Canvas(str(path), pagesize=A4)
    canvas.setTitle(title)
    for number, lines in enumerate(pages, start=1):
        y = 780.0
        canvas.setFont("Helvetica-Bold", 18)
        if number == 1:
            canvas.drawString(70, y, "Regional Cluster Programme Review")
            y -= 40
        canvas.setFont("Helvetica", 10)
        for line in lines:
            canvas.drawString(70, y, line)
            y -= 14
        if number == table_on:
            _ruled_table(canvas, y - 10)
            # A frame around running text: a box, not a table.
            canvas.rect(60, 200, 470, 60)
            canvas.drawString(70, 240, "This boxed paragraph is running text inside a frame and it")
            canvas.drawString(70, 226, "goes on over a second line of the same box without cells.")
        canvas.showPage()
    canvas.save()
    return path


@pytest.fixture(scope="module")
def structured_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("structure")
    first = [
        "The programme funds the regional clusters of the province every year.",
        "The agency will adopt the following performance indicators:",
    ]
    second = [
        "The cluster action plans have four priorities:",
        "- developing the key technology areas of the region",
        "- supporting flagship projects with partners abroad",
    ]
    third = [
        "- strengthening the brand image of the technology fields",
        "- promoting the clusters at national and international level",
        "",
        "The review closes with an outlook on the next programme period.",
    ]
    return _write(folder / "review.pdf", "Capful copyright", [first, second, third], table_on=1)


def test_a_ruled_table_becomes_markdown_rows_with_its_header(structured_pdf: Path) -> None:
    page = parse_pdf(str(structured_pdf))["pages"][0]
    assert "| Service offered by the cluster | Target |" in page
    assert "| Creating new jobs | 3 000 |" in page
    assert "| Starting businesses | 300 |" in page
    assert parse_pdf(str(structured_pdf))["tables"] == [1, 0, 0]


def test_a_frame_around_running_text_is_no_table(structured_pdf: Path) -> None:
    page = parse_pdf(str(structured_pdf))["pages"][0]
    assert "This boxed paragraph is running text" in page
    assert "| This boxed" not in page


def test_table_rows_are_units_with_their_column_labels(structured_pdf: Path) -> None:
    doc = load_pdf(structured_pdf)
    chunks = StructuredChunker(lambda text: len(text.split())).chunk(doc, "review.pdf")
    units = [u.text for c in chunks for u in chunk_units(c.text)]
    assert "Creating new jobs — Target: 3 000" in units
    assert not any(u.startswith("Service offered by the cluster") for u in units)


def test_a_list_over_a_page_break_is_one_list_with_its_lead_in(structured_pdf: Path) -> None:
    doc = load_pdf(structured_pdf)
    listing = next(s for s in doc.sections if "four priorities:" in s.text)
    assert "promoting the clusters at national" in listing.text
    assert listing.page == 2 and [page for _, page, _ in listing.page_starts] == [3]
    chunks = StructuredChunker(lambda text: len(text.split())).chunk(doc, "review.pdf")
    chunk = next(c for c in chunks if "four priorities:" in c.text)
    assert "strengthening the brand image" in chunk.text
    whole = [u for u in chunk_units(chunk.text) if u.text.startswith("The cluster action plans")]
    assert len(whole) == 1 and "promoting the clusters" in whole[0].text
    # Each unit cites its own page: the items after the break are on page 3.
    item = next(u for u in chunk_units(chunk.text) if u.text.startswith("strengthening"))
    hit = ScoredChunk(chunk, 0.9, 0)
    assert Citation.of(hit, 1, "…", line=item.line).page == 3
    assert Citation.of(hit, 1, "…", line=0).page == 2


def test_page_starts_survive_the_store_metadata(structured_pdf: Path) -> None:
    doc = load_pdf(structured_pdf)
    chunks = StructuredChunker(lambda text: len(text.split())).chunk(doc, "review.pdf")
    chunk = next(c for c in chunks if c.page_starts)
    back = Chunk.from_store(chunk.id, chunk.text, chunk.metadata())
    assert back.page_starts == chunk.page_starts
    assert back.page_of_line(10_000)[0] == chunk.page_starts[-1][1]


def test_a_credit_as_metadata_title_falls_back_to_the_first_page_heading(
    structured_pdf: Path,
) -> None:
    assert load_pdf(structured_pdf).title == "Regional Cluster Programme Review"


def test_prefetched_parses_are_the_same_as_one_by_one(structured_pdf: Path, tmp_path: Path) -> None:
    other = _write(tmp_path / "other.pdf", "Other", [["A second document about clusters."]])
    alone = [load_pdf(p).sections for p in (structured_pdf, other)]
    prefetch_pdfs([structured_pdf, other], timeout_s=60, workers=2)
    assert [load_pdf(p).sections for p in (structured_pdf, other)] == alone


def test_place_tables_replaces_the_lines_made_of_the_tables_words() -> None:
    table = PdfTable([["Year", "Budget"], ["2013", "142"], ["2014", "150"]], 1, 0.0)
    lines = ["Intro text stays here.", "Year", "Budget", "", "2013", "142", "2014 150", "After."]
    out, origin, placed = place_tables(lines, [table])
    assert placed == 1
    assert out == [
        "Intro text stays here.",
        "| Year | Budget |",
        "| --- | --- |",
        "| 2013 | 142 |",
        "| 2014 | 150 |",
        "After.",
    ]
    assert origin == [0, None, None, None, None, 7]


def test_a_table_whose_words_are_not_found_is_left_out() -> None:
    table = PdfTable([["Alpha", "Beta"], ["Gamma", "Delta"]], 0, 0.0)
    lines = ["Nothing of the table here.", "Alpha and more words"]
    assert place_tables(lines, [table]) == (lines, [0, 1], 0)


def test_a_table_over_a_page_break_is_one_table_with_one_header() -> None:
    from ingest.documents import Section
    from ingest.loaders.pdf import _join_lists

    header = "| Year | Budget |\n| --- | --- |"
    sections = [
        Section(f"Spending by year:\n{header}\n| 2012 | 120 |", "Budget", 4, page_label="4"),
        Section(f"{header}\n| 2013 | 142 |\n\nAfter the table.", "Budget", 5, page_label="5"),
        Section("| 2014 | 150 |", "Other heading", 6),
    ]
    joined = _join_lists(sections)
    assert len(joined) == 2
    assert joined[0].text.count("| Year | Budget |") == 1
    assert "| 2013 | 142 |" in joined[0].text and joined[0].page_starts == ((4, 5, "5"),)
    assert joined[0].page_at(4) == (5, "5") and joined[0].page_at(3) == (4, "4")


def test_a_title_sharing_the_tables_words_stays_above_it() -> None:
    table = PdfTable([["Objective", "Value"], ["Growth of the programme", "12"]], 1, 0.0)
    lines = ["Objectives of the programme and their values", "Objective", "Value"]
    lines += ["Growth of the programme", "12"]
    out, _, placed = place_tables(lines, [table])
    assert placed == 1 and out[0] == "Objectives of the programme and their values"
    assert out[1:] == ["| Objective | Value |", "| --- | --- |", "| Growth of the programme | 12 |"]


def test_tables_give_way_when_their_time_share_runs_out(
    structured_pdf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long PDF is not lost to its tables: past its share of the time limit, the table finder
    stops, the pages keep pypdf's text and the document says so."""
    parsed = parse_pdf(str(structured_pdf), table_budget_s=0.0)
    assert parsed["tables"] == [0, 0, 0] and parsed["tables_unread"] == [1, 1, 1]
    assert "Creating new jobs" in parsed["pages"][0]
    monkeypatch.setattr("ingest.loaders.pdf.TABLE_BUDGET_SHARE", 0.0)
    doc = load_pdf(structured_pdf)
    assert any("tables not read from page 1 on" in w for w in doc.warnings)
    assert doc.structure["tables"] == 0


def test_the_replaced_metadata_title_is_kept_for_reports(structured_pdf: Path) -> None:
    assert load_pdf(structured_pdf).replaced_title == "Capful copyright"
