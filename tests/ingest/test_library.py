"""Uploads, deletions and reindexing of a running service's documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.embedder import SentenceTransformerEmbedder
from ingest.errors import UploadError
from ingest.library import Library, check_content, safe_filename
from tests.api.conftest import MemoEmbedder, build_small_stack
from tests.conftest import CORPUS


@pytest.mark.unit
@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd.md", "passwd.md"),
        ("C:\\Users\\x\\My Guide (2016).PDF", "My-Guide-2016.pdf"),
        (".hidden.md", "hidden.md"),
        ("...", "upload"),
        ("naïve résumé.txt", "na-ve-r-sum.txt"),
        ("x" * 300 + ".md", "x" * 117 + ".md"),
        ("noext", "noext"),
    ],
)
def test_safe_filename(name: str, safe: str) -> None:
    assert safe_filename(name) == safe


@pytest.mark.unit
@pytest.mark.parametrize(
    ("suffix", "data", "kind"),
    [
        (".pdf", b"%PDF-1.7\n...", None),
        (".pdf", b"\n %PDF-1.4", None),
        (".pdf", b"<html>", "unsupported"),
        (".md", "Grüße".encode(), None),
        (".md", b"\xff\xfe", "unsupported"),
        (".txt", b"a\x00b", "unsupported"),
        (".txt", b"  \n", "invalid"),
    ],
)
def test_check_content(suffix: str, data: bytes, kind: str | None) -> None:
    if kind is None:
        check_content(suffix, data)
        return
    with pytest.raises(UploadError) as err:
        check_content(suffix, data)
    assert err.value.kind == kind


@pytest.mark.integration
def test_an_upload_is_ingested_alone_and_deleted_alone(
    tmp_path: object,
    embedder: SentenceTransformerEmbedder,
    reader_embedder: SentenceTransformerEmbedder,
) -> None:
    stack = build_small_stack(
        Path(str(tmp_path)), MemoEmbedder(embedder), MemoEmbedder(reader_embedder)
    )
    library = Library.for_container(stack.container)
    before = {c.doc_id for c in stack.store.all_chunks()}
    text = "---\nid: notes\ntitle: Notes\n---\n# Notes\n\nThe Notes cluster has 12 members.\n"
    result = library.add("notes.md", text.encode())
    assert (result.status, result.doc_id, result.file) == ("indexed", "notes", "notes.md")
    assert {c.doc_id for c in stack.store.all_chunks()} == before | {"notes"}
    with pytest.raises(UploadError) as err:
        library.add("other.md", text.encode())
    assert err.value.kind == "conflict"
    assert library.delete("notes") is True and library.delete("notes") is False
    assert {c.doc_id for c in stack.store.all_chunks()} == before
    assert not (stack.settings.uploads_dir / "notes.md").exists()
    report = library.reindex()
    assert (report.indexed, report.unchanged, report.failed) == (0, 3, 0)


@pytest.mark.integration
def test_an_uploaded_pdf_is_parsed_once(
    tmp_path: Path,
    embedder: SentenceTransformerEmbedder,
    reader_embedder: SentenceTransformerEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The upload is parsed in staging to be checked; its ingest reuses that parse."""
    from ingest.loaders import pdf

    stack = build_small_stack(tmp_path, MemoEmbedder(embedder), MemoEmbedder(reader_embedder))

    parses: list[str] = []
    real_pool = pdf._worker_pool

    class CountingPool:
        def __init__(self, pool: Any) -> None:
            self._pool = pool

        def schedule(self, fn: Any, args: tuple[Any, ...], timeout: float) -> Any:
            parses.append(Path(args[0]).name)
            return self._pool.schedule(fn, args=args, timeout=timeout)

    monkeypatch.setattr(pdf, "_worker_pool", lambda *a: CountingPool(real_pool(*a)))
    data = (CORPUS / "pdf" / "cluster-organisations.pdf").read_bytes()
    result = Library.for_container(stack.container).add("organisations.pdf", data)
    assert result.status == "indexed" and result.chunks > 0
    assert parses == ["organisations.pdf"]
    assert pdf._kept is None
