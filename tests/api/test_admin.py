"""Admin endpoints through the real stack on a private store: key checks, upload → answerable →
delete → gone, refused uploads that change nothing, reindex."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen import canvas

from ingest.manifest import Manifest
from tests.api.conftest import ADMIN_KEY, admin, app_for
from tests.conftest import Stack

pytestmark = pytest.mark.e2e

ZORBLAT = """---
id: zorblat-quantum-cluster
title: "The Zorblat Quantum Cluster"
doc_type: facts_and_figures
source: "Test uploads"
year: 2025
---

# The Zorblat Quantum Cluster

## Members of the Zorblat Quantum Cluster

The Zorblat Quantum Cluster is based in Tartu and brings together 47 member companies that build
quantum sensors for farming.
"""
ZORBLAT_QUESTION = "How many member companies does the Zorblat Quantum Cluster have?"


def pdf_bytes(encrypted: bool = False, text: bool = True) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(
        buffer, encrypt=StandardEncryption("secret", ownerPassword="owner") if encrypted else None
    )
    if text:
        pdf.drawString(72, 720, "Cluster policy text on a locked page.")
    else:
        pdf.rect(72, 500, 300, 200, fill=1)  # a picture, no text layer
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@pytest.fixture
def client(small_stack: Stack) -> TestClient:
    return TestClient(app_for(small_stack, admin_api_key=ADMIN_KEY))


def upload(client: TestClient, name: str, data: bytes, key: str = ADMIN_KEY) -> object:
    return client.post("/v1/documents", files={"file": (name, data)}, headers=admin(key))


def doc_ids(client: TestClient) -> set[str]:
    items = client.get("/v1/documents", params={"limit": 100}).json()["items"]
    return {item["doc_id"] for item in items}


ADMIN_CALLS = [
    ("post", "/v1/documents"),
    ("delete", "/v1/documents/eca-members"),
    ("post", "/v1/reindex"),
    ("get", "/v1/feedback/export"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_CALLS)
def test_admin_endpoints_need_the_key(module_small_stack: Stack, method: str, path: str) -> None:
    client = TestClient(app_for(module_small_stack, admin_api_key=ADMIN_KEY))
    for headers in (
        {},
        {"Authorization": "Bearer wrong-key"},
        {"X-API-Key": "wrong-key"},
        {"Authorization": f"Basic {ADMIN_KEY}"},
    ):
        response = client.request(method, path, headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert "key" in response.json()["detail"]
        assert response.headers["www-authenticate"] == "Bearer"
    assert "eca-members" in doc_ids(client)


@pytest.mark.parametrize(("method", "path"), ADMIN_CALLS)
def test_admin_endpoints_are_disabled_without_a_configured_key(
    module_small_stack: Stack, method: str, path: str
) -> None:
    client = TestClient(app_for(module_small_stack))  # admin_api_key empty
    response = client.request(method, path, headers=admin(""))
    assert response.status_code == 401
    assert (
        "not configured" in response.json()["detail"]
        or "no admin API key" in (response.json()["detail"])
    )


def test_x_api_key_header_works_too(module_small_stack: Stack) -> None:
    client = TestClient(app_for(module_small_stack, admin_api_key=ADMIN_KEY))
    response = client.get("/v1/feedback/export", headers={"X-API-Key": ADMIN_KEY})
    assert response.status_code == 200


def test_upload_makes_a_document_answerable_and_delete_removes_it(
    client: TestClient, small_stack: Stack
) -> None:
    before = doc_ids(client)
    assistant = small_stack.container.assistant
    response = upload(client, "zorblat.md", ZORBLAT.encode())
    assert response.status_code == 201, response.text
    assert response.json() == {
        "file": "zorblat.md",
        "doc_id": "zorblat-quantum-cluster",
        "status": "indexed",
        "chunks": response.json()["chunks"],
        "reason": None,
    }
    assert (small_stack.settings.uploads_dir / "zorblat.md").is_file()
    # Ingesting the upload left the other documents alone.
    assert doc_ids(client) == before | {"zorblat-quantum-cluster"}
    # BM25 sees the new document at once, and the answer cites it.
    assert [h.chunk_id.split(":")[0] for h in assistant.lexical.search("Zorblat", 3)] == [
        "zorblat-quantum-cluster"
    ]
    answer = client.post("/v1/ask", json={"question": ZORBLAT_QUESTION}).json()
    assert answer["refused"] is False and "47" in answer["answer"]
    assert answer["citations"][0]["doc_id"] == "zorblat-quantum-cluster"
    detail = client.get("/v1/documents/zorblat-quantum-cluster").json()
    assert detail["file"] == "zorblat.md" and "47 member companies" in detail["passages"][0]["text"]

    # The same file again: unchanged.
    again = upload(client, "zorblat.md", ZORBLAT.encode())
    assert again.status_code == 201 and again.json()["status"] == "unchanged"

    assert (
        client.delete("/v1/documents/zorblat-quantum-cluster", headers=admin()).status_code == 204
    )
    assert doc_ids(client) == before
    assert client.get("/v1/documents/zorblat-quantum-cluster").status_code == 404
    assert not (small_stack.settings.uploads_dir / "zorblat.md").exists()
    assert assistant.lexical.search("Zorblat", 3) == []
    answer = client.post("/v1/ask", json={"question": ZORBLAT_QUESTION}).json()
    assert "zorblat-quantum-cluster" not in {c["doc_id"] for c in answer["citations"]}
    assert (
        client.delete("/v1/documents/zorblat-quantum-cluster", headers=admin()).status_code == 404
    )


def test_deleting_a_corpus_document_removes_its_chunks_and_units(
    client: TestClient, small_stack: Stack
) -> None:
    store = small_stack.store
    ids = store.ids_where({"doc_id": "eca-members"})
    assert ids and store.unit_vectors(ids)
    assert client.delete("/v1/documents/eca-members", headers=admin()).status_code == 204
    assert store.ids_where({"doc_id": "eca-members"}) == [] and store.unit_vectors(ids) == {}
    assert "eca-members" not in doc_ids(client)
    # The corpus file is still there: a reindex brings the document back.
    body = client.post("/v1/reindex", headers=admin()).json()
    assert body["indexed"] == 1 and body["unchanged"] == 2 and body["failed"] == 0
    assert "eca-members" in doc_ids(client)


@pytest.mark.parametrize(
    ("name", "data", "status", "needle"),
    [
        (
            "broken.pdf",
            b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer\n%%EOF",
            422,
            "corrupt",
        ),
        ("locked.pdf", pdf_bytes(encrypted=True), 422, "encrypted"),
        ("scan.pdf", pdf_bytes(text=False), 422, "no_text"),
        ("empty.md", b"   \n", 422, "empty"),
        ("fake.pdf", b"this is not a pdf at all", 415, "%PDF-"),
        ("latin1.txt", "caf\xe9 cr\xe8me".encode("latin-1"), 415, "UTF-8"),
        ("binary.md", b"abc\x00def", 415, "NUL"),
        ("program.exe", b"MZ\x90\x00", 415, "unsupported file type"),
        ("no-extension", b"plain words", 415, "unsupported file type"),
        ("bad-meta.md", b"---\ndoc_type: novel\n---\nText.", 422, "invalid_metadata"),
    ],
)
def test_refused_uploads_change_nothing(
    client: TestClient, small_stack: Stack, name: str, data: bytes, status: int, needle: str
) -> None:
    before = (small_stack.store.count(), doc_ids(client))
    response = upload(client, name, data)
    assert response.status_code == status, response.text
    assert needle in response.json()["detail"]
    if status == 422:
        assert response.json()["reason"] == needle
    assert (small_stack.store.count(), doc_ids(client)) == before
    assert Manifest.load(small_stack.settings.manifest_path).failed == {}
    uploads = small_stack.settings.uploads_dir
    assert (
        not uploads.exists() or [p.name for p in uploads.iterdir() if p.name != ".incoming"] == []
    )


def test_a_failed_replacement_keeps_the_previous_upload(client: TestClient) -> None:
    assert upload(client, "zorblat.md", ZORBLAT.encode()).status_code == 201
    broken = b"---\ndoc_type: novel\n---\nText."
    assert upload(client, "zorblat.md", broken).status_code == 422
    assert "zorblat-quantum-cluster" in doc_ids(client)


def test_upload_names_cannot_escape_the_uploads_folder(
    client: TestClient, small_stack: Stack, tmp_path: Path
) -> None:
    response = upload(client, "../../../etc/evil name!.md", ZORBLAT.encode())
    assert response.status_code == 201 and response.json()["file"] == "evil-name.md"
    assert (small_stack.settings.uploads_dir / "evil-name.md").is_file()
    assert not (tmp_path / "etc").exists()


def test_an_id_another_file_provides_is_a_conflict(client: TestClient) -> None:
    clash = ZORBLAT.replace("id: zorblat-quantum-cluster", "id: eca-members")
    response = upload(client, "clash.md", clash.encode())
    assert response.status_code == 409 and "eca-members" in response.json()["detail"]


def test_upload_needs_a_file_field(client: TestClient) -> None:
    response = client.post("/v1/documents", data={"other": "x"}, headers=admin())
    assert response.status_code == 422 and "file" in response.json()["detail"]
    response = client.post("/v1/documents", json={"file": "x"}, headers=admin())
    assert response.status_code == 422


def test_uploads_over_the_limit_get_413(small_stack: Stack) -> None:
    client = TestClient(app_for(small_stack, admin_api_key=ADMIN_KEY, max_upload_bytes=4096))
    # Within the multipart allowance but over the file limit: refused after reading.
    response = upload(client, "big.md", b"word " * 2000)
    assert response.status_code == 413 and "4096" in response.json()["detail"]
    # Far over: refused from Content-Length before the body is read.
    response = upload(client, "huge.md", b"word " * 40_000)
    assert response.status_code == 413 and "limit is 4096 bytes" in response.json()["detail"]


def test_reindex_reports_counts(client: TestClient) -> None:
    assert upload(client, "zorblat.md", ZORBLAT.encode()).status_code == 201
    body = client.post("/v1/reindex", headers=admin()).json()
    assert body["unchanged"] == 4 and body["indexed"] == 0 and body["failed"] == 0
    assert body["failures"] == [] and body["chunks_embedded"] == 0


def test_a_write_while_another_process_holds_the_store_is_refused_with_retry_after(
    small_stack: Stack,
) -> None:
    import os
    import subprocess
    import sys

    from api.app import create_app
    from assistant.storage.writer_lock import FileWriterLock
    from tests.api.conftest import container_for

    container = container_for(small_stack, admin_api_key=ADMIN_KEY)
    path = small_stack.settings.data_dir / "write.lock"
    container.__dict__["writer_lock"] = FileWriterLock(path, timeout_s=0.3)
    root = Path(__file__).resolve().parents[2]
    code = (
        "import time\nfrom pathlib import Path\n"
        "from assistant.storage.writer_lock import FileWriterLock\n"
        f"with FileWriterLock(Path({str(path)!r}), 5).held('ingest'):\n"
        "    print('held', flush=True)\n    time.sleep(60)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        client = TestClient(create_app(container))
        before = doc_ids(client)
        for response in (
            upload(client, "zorblat.md", ZORBLAT.encode()),
            client.delete("/v1/documents/eca-members", headers=admin()),
            client.post("/v1/reindex", headers=admin()),
        ):
            assert response.status_code == 503, response.text  # type: ignore[attr-defined]
            assert response.headers["retry-after"] == "5"  # type: ignore[attr-defined]
            assert f"ingest by process {child.pid}" in response.json()["detail"]  # type: ignore[attr-defined]
        assert doc_ids(client) == before  # nothing changed
    finally:
        child.kill()
        child.wait(10)
    assert upload(client, "zorblat.md", ZORBLAT.encode()).status_code == 201  # type: ignore[attr-defined]
