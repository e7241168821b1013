"""Every real-world stress PDF gets its expected outcome (skipped when the datasets are absent)."""

from pathlib import Path

import pytest

from ingest.errors import FailureReason, LoadError
from ingest.loaders import load_document
from ingest.loaders.pdf import load_pdf
from tests.conftest import pdf_stress_dir

pytestmark = pytest.mark.integration

OK = "ok"
EXPECTED = {
    "sf-minimal-document.pdf": OK,
    "sf-google-doc-document.pdf": OK,
    "sf-multicolumn.pdf": OK,
    "sf-GeoTopo-komprimiert.pdf": OK,
    "sf-mistitled_outlines_example.pdf": OK,
    "sf-habibi-rotated.pdf": OK,
    "pypdf-multilang.pdf": OK,
    "pypdf-crazyones.pdf": OK,
    "pypdf-Seige_of_Vicksburg_Sample_OCR.pdf": OK,
    "pypdf-r6-user-password.pdf": OK,
    "pypdf-issue-297.pdf": OK,
    "sf-libreoffice-writer-password.pdf": FailureReason.ENCRYPTED,
    "pypdf-encrypted_doc_no_id.pdf": FailureReason.NO_TEXT,
    "sf-imagemagick-CCITTFaxDecode.pdf": FailureReason.NO_TEXT,
    "haystack-non_text_searchable.pdf": FailureReason.NO_TEXT,
    "sf-unreadablemetadata.pdf": FailureReason.CORRUPT,
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_stress_pdf_outcome(name: str) -> None:
    path = pdf_stress_dir() / name
    expected = EXPECTED[name]
    if expected == OK:
        doc = load_document(path)
        assert doc.has_text
        assert all(s.page and s.page >= 1 for s in doc.sections)
    else:
        with pytest.raises(LoadError) as err:
            load_document(path)
        assert err.value.reason == expected
        assert err.value.detail  # a reason in plain words


def test_every_stress_file_is_covered() -> None:
    assert {p.name for p in pdf_stress_dir().glob("*.pdf")} == set(EXPECTED)


def test_text_extraction_quality() -> None:
    folder = pdf_stress_dir()
    german = load_document(folder / "sf-GeoTopo-komprimiert.pdf")
    assert len({s.page for s in german.sections}) > 100
    text = " ".join(s.text for s in german.sections)
    assert "ﬁ" not in text and "ﬂ" not in text  # ligatures unfolded
    multicolumn = " ".join(s.text for s in load_document(folder / "sf-multicolumn.pdf").sections)
    assert "-\n" not in multicolumn


def test_a_hostile_pdf_hits_the_time_limit() -> None:
    path: Path = pdf_stress_dir() / "sf-GeoTopo-komprimiert.pdf"  # ~6 s to parse here
    with pytest.raises(LoadError) as err:
        load_pdf(path, timeout_s=0.5)
    assert err.value.reason == FailureReason.TIMEOUT
    # The worker was replaced: the next file parses normally.
    assert load_pdf(pdf_stress_dir() / "sf-minimal-document.pdf").has_text


def test_a_google_docs_table_becomes_rows_and_a_figure_grid_no_table() -> None:
    """Written by others: the Google Docs export's country table (with footnote marks split off
    by pypdf) comes out as rows; the German text's grid of symbols is no table."""
    folder = pdf_stress_dir()
    doc = load_pdf(folder / "sf-google-doc-document.pdf")
    text = "\n".join(s.text for s in doc.sections)
    assert "| Capital | Jakarta | Berlin | Vienna | Paris | Vatican City |" in text
    assert doc.structure["tables"] == 1
    german = load_pdf(folder / "sf-GeoTopo-komprimiert.pdf")
    assert german.structure["tables"] == 0 and german.structure["tables_unplaced"] == 0


def test_each_file_is_parsed_in_a_fresh_worker() -> None:
    """A parsing worker serves one file and is replaced: two parses, two processes."""
    import os

    from ingest.loaders.pdf import _worker_pool

    pool = _worker_pool(1)
    first = pool.schedule(os.getpid).result(timeout=60)
    second = pool.schedule(os.getpid).result(timeout=60)
    assert first != second != os.getpid()
