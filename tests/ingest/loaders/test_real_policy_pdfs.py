"""Layout hygiene on six real strategy PDFs, read in place (skipped when the datasets are absent).

The documents are third-party test data: nothing of their text is written here. The assertions
are about structure (which pages are tables of contents, how printed page numbers relate to PDF
pages, that titles are no file names, that no line repeats across pages) as described in
`shared/datasets/real-policy.md`.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from pypdf import PdfReader

from ingest.cleaning import clean_text
from ingest.documents import LoadedDocument, title_from_stem
from ingest.loaders.pdf import PdfLayout, load_pdf, parse_pdf, read_pdf_layout
from ingest.loaders.pdf_layout import is_placeholder_title
from tests.conftest import SHARED

pytestmark = pytest.mark.integration

REAL_POLICY = SHARED / "real-policy"
EE = "EE_Estonia_Smart_Specialisation_Qualitative_Analysis.pdf"
FI = "FI_South_Ostrobothnia_Smart_and_Outstanding_Strategy_for_Smart_Specialisation.pdf"
LT = "LT_Programme_of_RIS3_implementation.pdf"
LU = "LU_Luxembourg_Strategy_for_Smart_Specialisation_Oct_2014.pdf"
NL_NORTH = "NL_Northern_Netherlands_RIS3.pdf"
NL_WEST = "NL_Western_Netherlands_RIS3.pdf"
ALL = [EE, FI, LT, LU, NL_NORTH, NL_WEST]

# PDF pages (1-based) holding a table of contents; LT (a government resolution) has none.
TOC_PAGES = {EE: {2}, FI: {2}, LT: set(), LU: {2, 3}, NL_NORTH: {3}, NL_WEST: {3}}


def real_policy_dir() -> Path:
    """The real strategy PDFs, or a skip when the shared datasets are absent."""
    if not REAL_POLICY.is_dir():
        pytest.skip(f"shared datasets not present at {REAL_POLICY}")
    return REAL_POLICY


@cache
def _load(name: str) -> LoadedDocument:
    return load_pdf(REAL_POLICY / name)


@cache
def _layout(name: str) -> PdfLayout:
    return read_pdf_layout(parse_pdf(str(REAL_POLICY / name)))


def load(name: str) -> LoadedDocument:
    real_policy_dir()
    return _load(name)


def layout(name: str) -> PdfLayout:
    real_policy_dir()
    return _layout(name)


def labels(name: str) -> dict[int, str | None]:
    return {s.page: s.page_label for s in load(name).sections if s.page is not None}


def test_every_real_policy_file_is_covered() -> None:
    assert {p.name for p in real_policy_dir().glob("*.pdf")} == set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_tables_of_contents_are_navigation(name: str) -> None:
    doc = load(name)
    assert {s.page for s in doc.sections if s.navigation} == TOC_PAGES[name]
    assert layout(name).report.navigation_pages == sorted(TOC_PAGES[name])


@pytest.mark.parametrize("name", ALL)
def test_no_line_repeats_at_the_edges_of_many_pages(name: str) -> None:
    """Running headers and footers are gone: no line opens or closes a quarter of the pages."""
    doc = load(name)
    pages: dict[int, list[str]] = {}
    for section in doc.sections:
        pages.setdefault(section.page or 0, []).extend(section.text.split("\n"))
    edges: Counter[str] = Counter()
    for lines in pages.values():
        filled = [re.sub(r"\d+", "#", " ".join(line.split())) for line in lines if line.strip()]
        edges.update(set(filled[:2] + filled[-2:]))
    repeated = [line for line, n in edges.items() if n >= max(3, len(pages) / 4) and len(line) > 3]
    assert repeated == []


@pytest.mark.parametrize(("name", "at_least"), [(EE, 15), (FI, 20), (LU, 30), (NL_NORTH, 8)])
def test_running_headers_were_found(name: str, at_least: int) -> None:
    report = layout(name).report
    assert sum(report.running.values()) >= at_least


@pytest.mark.parametrize("name", [LT, LU, NL_NORTH, NL_WEST])
def test_bare_page_numbers_were_removed(name: str) -> None:
    doc = load(name)
    assert layout(name).report.page_numbers_removed >= 15
    for section in doc.sections:
        lines = [line.strip() for line in section.text.split("\n") if line.strip()]
        assert not (lines and section.page_label and lines[-1] == section.page_label)


def test_lithuanian_programme_is_printed_one_page_behind() -> None:
    got = labels(LT)
    assert got[1] is None  # the resolution itself carries no page number
    assert all(got[p] == str(p - 1) for p in range(2, 22))
    assert all(s.page is not None and s.page >= 1 for s in load(LT).sections)


def test_western_netherlands_is_printed_two_pages_behind() -> None:
    got = labels(NL_WEST)
    assert got[1] is None
    assert all(got[p] == str(p - 2) for p in got if p >= 3)
    assert len([p for p in got if p >= 3]) >= 20


@pytest.mark.parametrize("name", [EE, LU])
def test_printed_page_equals_pdf_page(name: str) -> None:
    got = labels(name)
    assert all(label == str(page) for page, label in got.items())


def test_northern_netherlands_labels_come_from_its_page_labels_tree() -> None:
    reader = PdfReader(real_policy_dir() / NL_NORTH)
    got = labels(NL_NORTH)
    assert all(label == reader.page_labels[page - 1] for page, label in got.items())
    assert layout(NL_NORTH).report.labels_from == "page_labels"


def test_finnish_spreads_hold_two_printed_pages() -> None:
    got = labels(FI)
    assert got[5] == "8–9"
    assert all(got[p] == f"{2 * p - 2}–{2 * p - 1}" for p in range(3, 31) if p in got)
    numbering = layout(FI).report.numbering
    assert numbering is not None and numbering.step == 2


@pytest.mark.parametrize("name", ALL)
def test_titles_are_no_file_names(name: str) -> None:
    doc = load(name)
    raw = PdfReader(real_policy_dir() / name).metadata or {}
    assert not is_placeholder_title(doc.title)
    assert not re.search(r"\.(indd|docx?|pdf|qxd)$", doc.title, re.IGNORECASE)
    if is_placeholder_title(raw.get("/Title")):
        assert doc.title != title_from_stem(Path(name).stem)


@pytest.mark.parametrize("name", [EE, LU, NL_NORTH])
def test_a_repaired_title_is_printed_on_the_first_page(name: str) -> None:
    title = load(name).title
    first = PdfReader(real_policy_dir() / name).pages[0].extract_text()
    squash = lambda text: re.sub(r"\W+", "", text).casefold()  # noqa: E731
    assert squash(title) in squash(first)


@pytest.mark.parametrize(("name", "at_least"), [(LU, 25), (NL_WEST, 10), (EE, 8), (NL_NORTH, 8)])
def test_numbered_headings_are_found(name: str, at_least: int) -> None:
    doc = load(name)
    headings = {s.heading for s in doc.sections if s.heading}
    numbered = {
        part
        for heading in headings
        for part in heading.split(" > ")
        if re.match(r"^\d{1,2}(\.\d{1,2})*\.?\s+\S", part)
    }
    assert len(numbered) >= at_least
    for part in (p for h in headings for p in h.split(" > ")):
        assert len(part.split()) <= 14 and not part.endswith((".", ",", ";"))


@pytest.mark.parametrize("name", ALL)
def test_text_survives_hygiene(name: str) -> None:
    """Hygiene removes running lines and page numbers, not content: the other words stay."""
    doc = load(name)
    reader = PdfReader(real_policy_dir() / name)
    kept = " ".join(s.text + " " + (s.heading or "") for s in doc.sections)
    words = lambda text: re.findall(r"[^\W\d_]{4,}", text.casefold())  # noqa: E731
    kept_words = Counter(words(kept + " " + doc.title))
    raw_words = Counter(w for page in reader.pages for w in words(clean_text(page.extract_text())))
    removed = Counter(w for page in layout(name).pages for w in words(" ".join(page.removed)))
    lost = sum((raw_words - removed - kept_words).values())
    assert lost <= 0.02 * sum(raw_words.values())
