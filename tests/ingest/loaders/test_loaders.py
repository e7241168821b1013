from pathlib import Path

import pytest
from pypdf import PdfReader

from ingest.errors import FailureReason, LoadError
from ingest.loaders import load_document
from tests.conftest import CORPUS

pytestmark = pytest.mark.unit

FRONT = """---
id: sample-guide
title: Sample Guide
doc_type: policy_guide
source: "European Commission (2016), Smart Guide to Cluster Policies"
year: 2016
language: en
---
"""


def test_markdown_front_matter_becomes_metadata(tmp_path: Path) -> None:
    path = tmp_path / "whatever.md"
    path.write_text(FRONT + "# Sample Guide\nIntro.\n\n## Part A\nText A.\n\n### Detail\nText B.\n")
    doc = load_document(path)
    assert (doc.doc_id, doc.title, doc.doc_type, doc.year, doc.language) == (
        "sample-guide",
        "Sample Guide",
        "policy_guide",
        2016,
        "en",
    )
    assert doc.source.startswith("European Commission (2016)")
    assert [(s.heading, s.text) for s in doc.sections] == [
        (None, "Intro."),
        ("Part A", "Text A."),
        ("Part A > Detail", "Text B."),
    ]


def test_markdown_without_front_matter_gets_defaults(tmp_path: Path) -> None:
    path = tmp_path / "My Notes_2024.md"
    path.write_text("Some text about clusters.")
    doc = load_document(path)
    assert doc.doc_id == "my-notes-2024" and doc.title == "My Notes 2024"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (FRONT, FailureReason.EMPTY),
        (FRONT.replace("policy_guide", "novel"), FailureReason.INVALID_METADATA),
        (FRONT.replace("year: 2016", "year: soon") + "Body.", FailureReason.INVALID_METADATA),
        ("---\nid: [unclosed\n---\nBody.", FailureReason.INVALID_METADATA),
    ],
)
def test_markdown_problems_are_reported(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "bad.md"
    path.write_text(content)
    with pytest.raises(LoadError) as err:
        load_document(path)
    assert err.value.reason == reason


def test_text_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("First   paragraph with a ﬁ ligature.\n\n\n\nSecond.")
    doc = load_document(path)
    assert doc.format == "txt" and doc.sections[0].text == (
        "First paragraph with a fi ligature.\n\nSecond."
    )


def test_empty_and_binary_text_files_fail(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n ")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\x00\x01\x02garbage")
    with pytest.raises(LoadError) as err:
        load_document(empty)
    assert err.value.reason == FailureReason.EMPTY
    with pytest.raises(LoadError) as err:
        load_document(binary)
    assert err.value.reason == FailureReason.CORRUPT


FRENCH = (
    "Le développement régional s'appuie sur les pôles de compétitivité et l'économie ; "
    "la mise en œuvre coûte 5 €."
)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("cp1252.txt", FRENCH.encode("cp1252")),
        (
            "latin1.md",
            ("# Pôles\n\n" + FRENCH.replace("œ", "oe").replace("€", "EUR")).encode("iso-8859-1"),
        ),
        ("utf16.txt", FRENCH.encode("utf-16")),  # with its byte-order mark, as Notepad saves
        ("utf8-bom.md", b"\xef\xbb\xbf" + FRENCH.encode()),
    ],
)
def test_text_in_other_encodings_keeps_its_accents(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    text = " ".join(s.text for s in load_document(path).sections)
    assert "développement régional" in text and "pôles" in text and "\ufffd" not in text
    assert "œuvre" in text or name == "latin1.md"


def test_binary_disguised_as_markdown_and_huge_text_get_their_reason(tmp_path: Path) -> None:
    png = tmp_path / "notes.md"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64)
    with pytest.raises(LoadError) as err:
        load_document(png)
    assert err.value.reason == FailureReason.CORRUPT
    big = tmp_path / "big.txt"
    big.write_bytes(b"cluster policy " * 100_000)  # 1.5 MB
    with pytest.raises(LoadError) as err:
        load_document(big, max_text_mb=1)
    assert err.value.reason == FailureReason.TOO_LARGE and "1 MB limit" in str(err.value)


def test_invisible_and_bidi_controls_are_dropped_and_long_lines_kept(tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.md"
    hostile.write_text(
        "# Budget\n\nThe budget is \u202e05\u202c EUR\u200d; the \u2066deadline\u2069 is "
        "\u200eMay\ufeff.\n\n" + "word " * 200_000,
        encoding="utf-8",
    )
    text = " ".join(s.text for s in load_document(hostile).sections)
    assert "The budget is 05 EUR; the deadline is May." in text
    assert not any(ch in text for ch in "\u202e\u202c\u200d\u2066\u2069\u200e\ufeff")
    assert text.count("word") == 200_000  # a 1 MB line is read whole


def test_unsupported_type(tmp_path: Path) -> None:
    path = tmp_path / "slides.pptx"
    path.write_bytes(b"PK")
    with pytest.raises(LoadError) as err:
        load_document(path)
    assert err.value.reason == FailureReason.UNSUPPORTED


def test_corpus_pdf_carries_metadata_pages_and_sections() -> None:
    path = CORPUS / "pdf" / "cluster-policy-dos-and-donts.pdf"
    doc = load_document(path)
    assert doc.doc_id == "cluster-policy-dos-and-donts" and doc.doc_type == "dos_and_donts"
    assert doc.year == 2016
    pages = {s.page for s in doc.sections}
    assert len(pages) == len(PdfReader(path).pages) > 1
    pair_sections = [s for s in doc.sections if s.heading and "Pair 8" in s.heading]
    assert pair_sections and "Don't" in pair_sections[0].text
    # The section text really is on the page it claims (bullets aside: they become "- ").
    for section in doc.sections:
        first_words = " ".join(section.text.removeprefix("- ").split()[:4])
        page_text = " ".join((PdfReader(path).pages[section.page - 1].extract_text()).split())
        assert first_words in page_text


def test_corrupt_pdf(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer\n%%EOF")
    with pytest.raises(LoadError) as err:
        load_document(path)
    assert err.value.reason in {FailureReason.CORRUPT, FailureReason.EMPTY}


def test_not_a_pdf_at_all(tmp_path: Path) -> None:
    path = tmp_path / "fake.pdf"
    path.write_text("this is not a pdf")
    with pytest.raises(LoadError) as err:
        load_document(path)
    assert err.value.reason == FailureReason.CORRUPT


def test_sentence_cut_by_a_page_break_stays_whole() -> None:
    doc = load_document(CORPUS / "pdf" / "cluster-organisations.pdf")
    holding = [s for s in doc.sections if "1,600 cluster organisations" in s.text]
    assert len(holding) == 1
    assert "profiles more than 1,600 cluster organisations." in " ".join(holding[0].text.split())
    assert not any(s.text.startswith("1,600") for s in doc.sections)


def test_pdf_bullets_stay_list_items() -> None:
    doc = load_document(CORPUS / "pdf" / "cluster-organisations.pdf")
    services = next(s for s in doc.sections if "Improving the business environment" in s.text)
    assert "- Improving the business environment." in services.text.split("\n")
    assert "- Influencing the legal framework." in services.text.split("\n")
