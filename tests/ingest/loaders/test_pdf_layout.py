"""PDF layout hygiene on small generated PDFs: running lines, page labels, navigation, titles."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from reportlab import rl_config
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen.canvas import Canvas

from ingest.chunker import StructuredChunker
from ingest.loaders import load_document
from ingest.loaders.pdf_layout import (
    HeadingMark,
    HeadingPath,
    analyse_pages,
    fit_numbering,
    is_placeholder_title,
    navigation_page,
)

pytestmark = pytest.mark.unit
rl_config.invariant = 1

_SUBJECTS = [
    "The regional council",
    "Each cluster",
    "The agency",
    "A network of firms",
    "The panel",
]
_VERBS = ["funds", "reviews", "supports", "reports on", "plans"]
_OBJECTS = ["joint projects", "shared services", "staff training", "export missions", "pilots"]
_WHEN = ["every year", "in spring", "for three years", "after each call", "with partners"]


def sentence(k: int) -> str:
    """A distinct body sentence for each `k` (no two pages share lines)."""
    parts = (_SUBJECTS, _VERBS, _OBJECTS, _WHEN)
    words = [part[(k // 5**i) % 5] for i, part in enumerate(parts)]
    return f"{words[0]} {words[1]} {words[2]} {words[3]} and keeps its members informed."


BODY = [sentence(k) for k in range(4)]
_counter = iter(range(4, 600))


@dataclass
class Page:
    """One page to draw: lines from the top (text, size, bold), and optional edge lines."""

    lines: list[tuple[str, float, bool]] = field(default_factory=list)
    header: str | None = None
    footer: str | None = None


def fresh(n: int) -> list[str]:
    """`n` sentences used nowhere else."""
    return [sentence(next(_counter)) for _ in range(n)]


def body(*extra: str, size: float = 10) -> list[tuple[str, float, bool]]:
    """Body lines: `extra`, then four sentences used nowhere else."""
    return [(line, size, False) for line in (*extra, *fresh(4))]


def make_pdf(
    path: Path, pages: list[Page], title: str | None = None, size: tuple[float, float] = A4
) -> Path:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=size)
    if title is not None:
        canvas.setTitle(title)
    width, height = size
    for page in pages:
        if page.header:
            canvas.setFont("Helvetica", 8)
            canvas.drawString(50, height - 30, page.header)
        y = height - 70
        for text, font_size, bold in page.lines:
            canvas.setFont("Helvetica-Bold" if bold else "Helvetica", font_size)
            canvas.drawString(50, y, text)
            y -= font_size * 1.6
        if page.footer:
            canvas.setFont("Helvetica", 8)
            canvas.drawString(width / 2, 30, page.footer)
        canvas.showPage()
    canvas.save()
    path.write_bytes(buffer.getvalue())
    return path


def texts(path: Path) -> list[str]:
    return [s.text for s in load_document(path).sections]


# --- running headers, footers and page numbers ------------------------------------------------


def test_running_headers_footers_and_page_numbers_are_removed(tmp_path: Path) -> None:
    pages = [
        Page(
            body(f"Chapter text of the {word} page."),
            header="Regional Cluster Report – Draft",
            footer=str(n),
        )
        for n, word in enumerate(["first", "second", "third", "fourth", "fifth", "sixth"], 1)
    ]
    doc = load_document(make_pdf(tmp_path / "report.pdf", pages, title="Regional Cluster Report"))
    joined = "\n".join(s.text for s in doc.sections)
    assert "Draft" not in joined
    assert not any(line.strip().isdigit() for line in joined.split("\n"))
    assert "Chapter text of the fourth page." in joined
    assert [s.page for s in doc.sections] == [1, 2, 3, 4, 5, 6]


def test_a_header_with_the_page_number_in_it_is_removed(tmp_path: Path) -> None:
    pages = [Page(body(), header=f"{n}Strategy paper, 12 March 2013") for n in range(1, 7)]
    doc = load_document(make_pdf(tmp_path / "paper.pdf", pages, title="Strategy paper"))
    assert not any("Strategy paper" in s.text for s in doc.sections)
    assert [s.page_label for s in doc.sections] == ["1", "2", "3", "4", "5", "6"]


def test_near_identical_running_lines_and_their_limits() -> None:
    pages = [
        "\n".join(["Cluster Policy Review" + ("," if n == 3 else ""), *fresh(4), f"- {n} -"])
        for n in range(1, 6)
    ]
    layouts, report = analyse_pages(pages)
    assert all("Cluster Policy Review" not in page.text for page in layouts)
    assert report.page_numbers_removed == 5
    assert report.numbering is not None and report.numbering.label(0) == "1"


def test_lines_numbered_otherwise_than_pages_are_not_running_headers() -> None:
    pages = ["\n".join([f"Pair {n}: a recommendation", *fresh(4)]) for n in (2, 7, 3, 9, 5)]
    layouts, report = analyse_pages(pages)
    assert not report.running
    assert all(page.text.startswith("Pair ") for page in layouts)


def test_a_line_alone_on_every_page_is_content() -> None:
    layouts, report = analyse_pages(["Same words here"] * 4)
    assert not report.running and all(page.text for page in layouts)


# --- page labels ------------------------------------------------------------------------------


def test_page_labels_from_the_page_labels_tree(tmp_path: Path) -> None:
    source = make_pdf(tmp_path / "plain.pdf", [Page(body(f"Page {n} text.")) for n in range(5)])
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.set_page_label(0, 1, style="/r")
    writer.set_page_label(2, 4, style="/D", start=1)
    labelled = tmp_path / "labelled.pdf"
    with labelled.open("wb") as out:
        writer.write(out)
    doc = load_document(labelled)
    assert [(s.page, s.page_label) for s in doc.sections] == [
        (1, "i"),
        (2, "ii"),
        (3, "1"),
        (4, "2"),
        (5, "3"),
    ]


def test_printed_page_numbers_offset_by_two(tmp_path: Path) -> None:
    pages = [Page(body("Cover page.")), Page(body("Inside cover."))]
    pages += [Page(body(f"Body page {n}."), footer=str(n)) for n in range(1, 6)]
    doc = load_document(make_pdf(tmp_path / "offset.pdf", pages, title="Offset"))
    labels = {s.page: s.page_label for s in doc.sections}
    assert labels == {1: None, 2: None, 3: "1", 4: "2", 5: "3", 6: "4", 7: "5"}


def test_a_page_without_its_number_is_labelled_between_agreeing_pages(tmp_path: Path) -> None:
    pages = [Page(body(), footer=str(n)) for n in range(1, 7)]
    pages[3].footer = None  # a full-page figure, say
    doc = load_document(make_pdf(tmp_path / "gap.pdf", pages, title="Gap"))
    assert [s.page_label for s in doc.sections] == ["1", "2", "3", "4", "5", "6"]


def test_no_printed_numbers_no_labels(tmp_path: Path) -> None:
    doc = load_document(make_pdf(tmp_path / "none.pdf", [Page(body()) for _ in range(3)]))
    assert {s.page_label for s in doc.sections} == {None}


def test_spreads_get_two_printed_pages(tmp_path: Path) -> None:
    pages = [Page(body("Cover."))]
    for p in range(2, 7):
        left = 2 * p - 2
        header = f"{left} Regional Strategy for Clusters.{' ' * 60}{left + 1} Regional Strategy"
        pages.append(Page(body(), header=header))
    doc = load_document(make_pdf(tmp_path / "spreads.pdf", pages, size=landscape(A4)))
    labels = {s.page: s.page_label for s in doc.sections}
    assert labels[3] == "4–5" and labels[5] == "8–9" and labels[6] == "10–11"
    assert not any("Regional Strategy for Clusters" in s.text for s in doc.sections)


def test_fit_numbering_models() -> None:
    assert fit_numbering({i: {i - 1} for i in range(2, 10)}, 10) is not None
    step1 = fit_numbering({i: {i - 1} for i in range(2, 10)}, 10)
    assert step1 is not None and step1.label(2) == "1" and step1.label(1) is None
    spreads = fit_numbering({i: {2 * i, 2 * i + 1} for i in range(1, 8)}, 8)
    assert spreads is not None and spreads.step == 2 and spreads.label(4) == "8–9"
    only_left = fit_numbering({i: {2 * i} for i in range(1, 8)}, 8)
    assert only_left is not None and only_left.label(4) == "8–9"
    only_right = fit_numbering({i: {2 * i + 1} for i in range(1, 8)}, 8)
    assert only_right is not None and only_right.label(4) == "8–9"
    assert fit_numbering({1: {7}, 5: {40}}, 10) is None


# --- tables of contents and indexes -----------------------------------------------------------


def test_table_of_contents_is_marked_navigation_and_carried_into_chunks(tmp_path: Path) -> None:
    toc = [("Contents", 16, True)] + [
        (f"{n} Section number {n} {'.' * 40} {n * 3}", 10, False) for n in range(1, 8)
    ]
    pages = [
        Page([("Cluster Programme Guide", 24, True), *body()]),
        Page(toc),
        Page(body("First chapter.")),
        Page(body("Second chapter.")),
    ]
    path = make_pdf(tmp_path / "guide.pdf", pages, title="Cluster Programme Guide")
    doc = load_document(path)
    assert {s.page for s in doc.sections if s.navigation} == {2}
    assert all(not s.navigation for s in doc.sections if s.page != 2)
    chunks = StructuredChunker(lambda t: len(t.split()), 200, 20).chunk(doc, str(path))
    nav = [c for c in chunks if c.page == 2]
    assert nav and all(c.navigation for c in nav)
    assert all(c.metadata()["navigation"] is True for c in nav)
    assert all(c.metadata()["navigation"] is False for c in chunks if c.page != 2)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["Table of ContentsT", "Foreword 3", "Summary 4", "1. Process 6", "2. Analysis 8"], True),
        ([f"{n}.1 Topic {'.' * 20} {n}" for n in range(3, 8)], True),
        (["Index", "clusters, 3, 15–17", "innovation, 8", "policy, 2, 9", "regions, 4–6"], True),
        ([f"Entry number {n} {n + 2}" for n in range(1, 9)], True),
        (
            [f"Year {2000 + n} turnover rose by {n} per cent in the region." for n in range(8)],
            False,
        ),
        (BODY, False),
        (["Region 12 40 55", "Cluster 30 12 8", "Firms 3 90 17", "Jobs 50 21 9"], False),
    ],
)
def test_navigation_pages(lines: list[str], expected: bool) -> None:
    assert navigation_page(lines)[0] is expected


def test_an_index_continues_on_the_next_page() -> None:
    first = ["Index", *[f"term {n}, {n}, {n + 4}" for n in range(12)]]
    second = [f"other term {n}, {30 - n}" for n in range(12)]
    layouts, report = analyse_pages(["\n".join(first), "\n".join(second), "\n".join(BODY)])
    assert report.navigation_pages == [1, 2]
    assert layouts[0].navigation_heading == "Index"


# --- titles -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "placeholder"),
    [
        ("arengufond_ENG_022013_A4.indd", True),
        ("Microsoft Word - strategy final.docx", True),
        ("Microsoft Word - Strategy", True),
        ("report.pdf", True),
        ("Layout 1.qxd", True),
        ("untitled", True),
        ("Untitled-3", True),
        ("", True),
        (None, True),
        ("20140117", True),
        ("final_version_v2", True),
        ("Smart Guide to Cluster Policy", False),
        ("RIS3 Strategy 2014-2020", False),
    ],
)
def test_placeholder_titles(title: str | None, placeholder: bool) -> None:
    assert is_placeholder_title(title) is placeholder


def test_a_file_name_title_is_replaced_by_the_first_large_heading(tmp_path: Path) -> None:
    pages = [
        Page(
            [
                ("Small print above the title", 9, False),
                ("Cluster Strategy", 26, True),
                ("for the Northern Region", 26, True),
                *body(),
            ]
        ),
        Page(body("More text.")),
    ]
    doc = load_document(make_pdf(tmp_path / "x.pdf", pages, title="cluster_strategy_A4.indd"))
    assert doc.title == "Cluster Strategy for the Northern Region"
    assert "Cluster Strategy" not in doc.sections[0].text  # the title left the body


def test_drop_capitals_are_put_back_into_the_title(tmp_path: Path) -> None:
    pages = [
        Page([("N      C", 80, True), ("orth           lusters", 40, True), *body()]),
        Page(body()),
    ]
    doc = load_document(make_pdf(tmp_path / "cover.pdf", pages))
    assert doc.title == "North Clusters"


def test_without_a_heading_the_title_comes_from_the_file_name(tmp_path: Path) -> None:
    pages = [Page([("and then the text simply goes on.", 10, False), *body()])]
    doc = load_document(
        make_pdf(tmp_path / "My_Cluster_Notes.pdf", pages, title="Microsoft Word - notes.docx")
    )
    assert doc.title == "My Cluster Notes"


def test_a_good_metadata_title_is_kept(tmp_path: Path) -> None:
    pages = [
        Page([("Something Else Entirely", 26, True), *body()]),
        Page([("The Real Title, second edition", 12, False), *body()]),
    ]
    doc = load_document(make_pdf(tmp_path / "k.pdf", pages, title="The Real Title"))
    assert doc.title == "The Real Title"


def test_a_metadata_title_on_no_page_gives_way_to_the_first_heading(tmp_path: Path) -> None:
    pages = [Page([("Something Else Entirely", 26, True), *body()])]
    doc = load_document(make_pdf(tmp_path / "k.pdf", pages, title="Unrelated Words Here"))
    assert doc.title == "Something Else Entirely"


# --- headings without an outline ----------------------------------------------------------------


def test_numbered_and_emphasised_lines_become_headings(tmp_path: Path) -> None:
    pages = [
        Page(
            [
                ("Cluster Strategy", 24, True),
                *body(),
                ("1 Introduction", 12, True),
                *body(),
                ("1.1 Scope of the Strategy", 12, True),
                *body(),
            ]
        ),
        Page(
            [
                ("2 Clusters", 12, True),
                *body(),
                ("2.1 Societal Challenges", 12, True),
                *body(),
                ("Funding rules", 10, True),
                *body(),
            ]
        ),
    ]
    doc = load_document(make_pdf(tmp_path / "h.pdf", pages, title="Cluster Strategy"))
    headings = [s.heading for s in doc.sections]
    assert headings == [
        None,
        "1 Introduction",
        "1 Introduction > 1.1 Scope of the Strategy",
        "2 Clusters",
        "2 Clusters > 2.1 Societal Challenges",
        "2 Clusters > 2.1 Societal Challenges > Funding rules",
    ]
    assert all("Societal Challenges" not in s.text for s in doc.sections)


def test_numbered_lines_that_are_not_headings(tmp_path: Path) -> None:
    lines = [
        "The programme has the following two aims, which are set out below in turn:",
        "1. Raise the share of private research spending in the region.",
        "2. Link the universities with the firms of the region.",
        "Its timetable was agreed in the spring, when the funding of the first",
        "3 Clusters were then chosen by an independent panel of experts.",
        "4. The programme shall be implemented by the ministries of economy and of science, in",
        "accordance with the action plans that they approve each year.",
    ]
    pages = [Page(body() + [(line, 10, False) for line in lines] + body())]
    doc = load_document(make_pdf(tmp_path / "n.pdf", pages, title="Numbered"))
    assert {s.heading for s in doc.sections} == {None}
    assert "1. Raise the share" in doc.sections[0].text


def test_a_numbered_line_in_body_type_can_be_a_heading(tmp_path: Path) -> None:
    lines = [*fresh(3), "3.2 Regional Clusters", *fresh(3), "3.3 Funding:", *fresh(3)]
    pages = [Page([(line, 10, False) for line in lines])]
    doc = load_document(make_pdf(tmp_path / "b.pdf", pages, title="Body type"))
    assert [s.heading for s in doc.sections] == [None, "3.2 Regional Clusters", "3.3 Funding"]


def test_heading_path_keeps_numbering_consistent() -> None:
    path = HeadingPath((14.0, True))
    path.enter(HeadingMark(0, 1, "1. Summary", (1,), 14.0, True))
    path.enter(HeadingMark(0, 1, "2.1 Basis", (2, 1), 12.0, True))
    assert path.heading == "2.1 Basis"  # "1." is not the parent of "2.1"
    path.enter(HeadingMark(0, 1, "2 Context", (2,), 14.0, True))
    path.enter(HeadingMark(0, 1, "2.2 Process", (2, 2), 12.0, True))
    assert path.heading == "2 Context > 2.2 Process"
    path.enter(HeadingMark(0, 1, "1. Health", (1,), 10.0, False))  # a local list under 2.2
    path.enter(HeadingMark(0, 1, "2. Food", (2,), 10.0, False))
    assert path.heading == "2 Context > 2.2 Process > 2. Food"
    path.enter(HeadingMark(0, 1, "Context", None, 12.0, True))  # a repeated running title
    assert path.heading == "2 Context > 2.2 Process > 2. Food"
    path.enter(HeadingMark(0, 1, "3 Results", (3,), 14.0, True))
    assert path.heading == "3 Results"
