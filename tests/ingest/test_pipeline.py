"""Ingestion through the real model and a real Chroma store in a tmp dir."""

import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from assistant.text import LIST_MARKER
from ingest.manifest import Manifest
from ingest.pipeline import Ingestor, Status
from tests.conftest import PDF_STRESS, Stack

pytestmark = pytest.mark.integration


def chunk_total(stack: Stack) -> int:
    return stack.store.count()


def test_full_ingest_then_unchanged_reingest_embeds_nothing(stack: Stack) -> None:
    first = stack.ingestor.run()
    assert first.failures == []
    indexed = first.count(Status.INDEXED)
    assert indexed >= 20
    assert first.chunks_embedded == chunk_total(stack) > indexed
    # The Markdown sources of the PDFs are recognised as the same documents, not indexed twice.
    pdfs = sorted((stack.corpus / "pdf").glob("*.pdf"))
    assert len(pdfs) >= 3
    assert first.count(Status.DUPLICATE) == len(pdfs)
    for pdf in pdfs:
        doc_id = pdf.stem
        paths = {c.source_path for c in stack.store.chunks_of(doc_id)}
        assert paths and all(p.endswith(".pdf") for p in paths)

    second = stack.ingestor.run()
    assert second.chunks_embedded == 0
    assert second.count(Status.UNCHANGED) == indexed
    assert second.count(Status.INDEXED) == 0
    assert chunk_total(stack) == first.chunks_embedded


def test_changed_file_is_the_only_one_reembedded(stack: Stack) -> None:
    stack.ingestor.run()
    target = stack.corpus / "trend-universe.md"
    before = {c.id for c in stack.store.chunks_of("trend-universe")}
    target.write_text(
        target.read_text()
        + "\n## Added section\nTrend Universe gained a brand-new test sentence.\n"
    )
    report = stack.ingestor.run()
    changed = [o for o in report.outcomes if o.status == Status.INDEXED]
    assert [o.doc_id for o in changed] == ["trend-universe"]
    assert report.chunks_embedded == changed[0].chunks
    after = stack.store.chunks_of("trend-universe")
    assert any("brand-new test sentence" in c.text for c in after)
    assert len({c.id for c in after} & before) < len(before) or len(after) > len(before)
    assert Manifest.load(stack.settings.manifest_path).chunk_count == stack.store.count()


def test_deleted_file_loses_its_chunks(stack: Stack) -> None:
    stack.ingestor.run()
    assert stack.store.chunks_of("eu-clusters-talks")
    total = stack.store.count()
    (stack.corpus / "eu-clusters-talks.md").unlink()
    report = stack.ingestor.run()
    removed = [o for o in report.outcomes if o.status == Status.REMOVED]
    assert [o.doc_id for o in removed] == ["eu-clusters-talks"]
    assert stack.store.chunks_of("eu-clusters-talks") == []
    assert stack.store.count() == total - removed[0].chunks


def test_removing_the_pdf_falls_back_to_the_markdown(stack: Stack) -> None:
    stack.ingestor.run()
    (stack.corpus / "pdf" / "what-are-clusters.pdf").unlink()
    stack.ingestor.run()
    chunks = stack.store.chunks_of("what-are-clusters")
    assert chunks and all(c.source_path.endswith(".md") and c.page is None for c in chunks)


def test_pdf_chunks_carry_the_right_page(stack: Stack) -> None:
    stack.ingestor.run()
    pdf = stack.corpus / "pdf" / "cluster-policy-dos-and-donts.pdf"
    # The generator's bullets come out as DEL characters, which ingest turns into "- " markers.
    pages = [
        " ".join((p.extract_text() or "").replace("\x7f", " ").split())
        for p in PdfReader(pdf).pages
    ]
    chunks = stack.store.chunks_of("cluster-policy-dos-and-donts")
    assert {c.page for c in chunks} == set(range(1, len(pages) + 1))
    for chunk in chunks:
        unmarked = " ".join(LIST_MARKER.sub("", line) for line in chunk.text.split("\n"))
        opening = " ".join(unmarked.split()[:6])
        assert opening in pages[chunk.page - 1], (chunk.page, opening)


def test_rebuild_starts_over(stack: Stack) -> None:
    stack.ingestor.run()
    total = stack.store.count()
    report = stack.ingestor.run(rebuild=True)
    assert report.chunks_embedded == total == stack.store.count()


def test_interrupted_ingest_can_be_rerun_to_a_consistent_store(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_upsert = stack.store.upsert
    calls = {"n": 0}

    def crash_on_third(chunks, vectors):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            real_upsert(chunks[:1], vectors[:1])  # half-written file
            raise KeyboardInterrupt("power cut")
        return real_upsert(chunks, vectors)

    monkeypatch.setattr(stack.store, "upsert", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        stack.ingestor.run()
    monkeypatch.undo()

    report = stack.ingestor.run()
    assert report.failures == []
    assert report.count(Status.UNCHANGED) == 2  # the two files finished before the crash
    manifest = Manifest.load(stack.settings.manifest_path)
    assert manifest.chunk_count == stack.store.count()
    indexed = {k for k, e in manifest.files.items() if e.status == "indexed"}
    assert stack.store.source_paths() == indexed
    again = stack.ingestor.run()
    assert again.chunks_embedded == 0


def test_bad_files_are_reported_and_the_batch_still_lands(stack: Stack, tmp_path: Path) -> None:
    (stack.corpus / "empty.md").write_text("---\ntitle: Empty\n---\n")
    (stack.corpus / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (stack.corpus / "wrong-type.md").write_text("---\ndoc_type: novel\n---\nText.")
    if PDF_STRESS.is_dir():
        shutil.copy(PDF_STRESS / "sf-libreoffice-writer-password.pdf", stack.corpus / "locked.pdf")
        shutil.copy(PDF_STRESS / "haystack-non_text_searchable.pdf", stack.corpus / "scan.pdf")
    report = stack.ingestor.run()
    reasons = {Path(o.path).name: o.reason or "" for o in report.failures}
    assert reasons["empty.md"].startswith("empty")
    assert reasons["broken.pdf"].startswith("corrupt")
    assert reasons["wrong-type.md"].startswith("invalid_metadata")
    if PDF_STRESS.is_dir():
        assert reasons["locked.pdf"].startswith("encrypted")
        assert reasons["scan.pdf"].startswith("no_text")
    assert report.count(Status.INDEXED) >= 20
    assert report.exit_code() == 0
    assert report.exit_code(strict=True) == 1


def test_nothing_readable_is_an_error(stack: Stack, tmp_path: Path) -> None:
    folder = tmp_path / "junk"
    folder.mkdir()
    (folder / "a.pdf").write_bytes(b"not a pdf")
    report = stack.ingestor.run([folder])
    assert report.exit_code() == 1
    assert stack.ingestor.run([tmp_path / "empty-dir-that-has-nothing"]).exit_code() == 1


def test_a_second_root_does_not_remove_the_first(stack: Stack, tmp_path: Path) -> None:
    stack.ingestor.run()
    total = stack.store.count()
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "note.txt").write_text("Cluster policy notes: a tiny extra document.")
    report = stack.ingestor.run([extra])
    assert report.count(Status.INDEXED) == 1 and report.count(Status.REMOVED) == 0
    assert stack.store.count() == total + 1


def test_unit_vectors_follow_their_chunks(stack: Stack) -> None:
    stack.ingestor.run()
    chunks = stack.store.chunks_of("eu-clusters-talks")
    vectors = stack.store.unit_vectors([c.id for c in chunks])
    assert vectors and {cid for cid, _ in vectors} == {c.id for c in chunks}
    (stack.corpus / "eu-clusters-talks.md").unlink()
    stack.ingestor.run()
    assert stack.store.unit_vectors([c.id for c in chunks]) == {}


def test_answering_embeds_only_the_question(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    stack.ingestor.run()
    embedded: list[str] = []
    real = stack.container.embedder.embed

    def spy(texts):  # type: ignore[no-untyped-def]
        embedded.extend(texts)
        return real(texts)

    monkeypatch.setattr(stack.container.embedder, "embed", spy)
    answer = stack.container.assistant.answer("What does Trend Universe offer?")
    assert not answer.refused
    assert embedded == ["What does Trend Universe offer?"]


def test_reader_vectors_are_stored_beside_unit_vectors_and_answering_reads_them(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the reader on, ingestion stores every unit under the reader's embedder too, the
    fingerprint names the reader, and answering encodes only the question with either model."""
    assert stack.container.settings.answer.reader_weight > 0  # on by default
    stack.ingestor.run()
    chunks = stack.store.chunks_of("eu-clusters-talks")
    ids = [c.id for c in chunks]
    reader = stack.container.reader_embedder
    assert reader is not None and reader.name.startswith("reader@")
    units, read = stack.store.unit_vectors(ids), stack.store.reader_vectors(ids, reader.name)
    assert read.keys() == units.keys() and units
    key = next(iter(units))
    assert float(units[key] @ read[key]) < 0.9999  # another model's vectors, not a copy
    # Vectors of another (or a retrained) reader are never served as this one's.
    assert stack.store.reader_vectors(ids, "reader@00000000") == {}
    plain = Ingestor(stack.settings, stack.container.embedder, stack.store)
    assert plain.fingerprint != stack.ingestor.fingerprint
    encoded: list[str] = []
    for model in (stack.container.embedder, reader):
        real = model.embed

        def spy(texts, real=real):  # type: ignore[no-untyped-def]
            encoded.extend(texts)
            return real(texts)

        monkeypatch.setattr(model, "embed", spy)
    answer = stack.container.assistant.answer("What does Trend Universe offer?")
    assert not answer.refused
    assert encoded == ["What does Trend Universe offer?"] * 2
    (stack.corpus / "eu-clusters-talks.md").unlink()
    stack.ingestor.run()
    assert stack.store.reader_vectors(ids, reader.name) == {}
