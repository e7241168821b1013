"""The documents: list and read (public); upload and delete (admin)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.deps import AdminDep, DocumentsDep, LibraryDep, SettingsDep
from api.errors import responses
from api.schemas import (
    DocumentDetail,
    DocumentList,
    DocumentOut,
    PassageOut,
    UploadFailure,
    UploadOut,
)
from assistant.types import DocType

router = APIRouter(prefix="/v1", tags=["documents"])

DocIdPath = Annotated[str, Path(min_length=1, max_length=300, description="The document's id.")]

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "One .pdf, .md, .markdown or .txt file.",
                        }
                    },
                }
            }
        },
    }
}


@router.get("/documents", response_model=DocumentList, responses=responses(422, 503))
async def list_documents(
    documents: DocumentsDep,
    limit: Annotated[int, Query(ge=1, le=100, description="Documents per page.")] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Documents to skip.")] = 0,
    doc_type: Annotated[DocType | None, Query(description="Only documents of this type.")] = None,
) -> DocumentList:
    """The indexed documents with their metadata, sorted by title."""
    page = await run_in_threadpool(documents.list_documents, limit, offset, doc_type)
    return DocumentList(
        items=[DocumentOut(**asdict(i)) for i in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/documents/{doc_id}", response_model=DocumentDetail, responses=responses(404, 422, 503)
)
async def get_document(doc_id: DocIdPath, documents: DocumentsDep) -> DocumentDetail:
    """A document's metadata and its passages in reading order (citation `chunk_id`s link here)."""
    found = await run_in_threadpool(documents.document, doc_id)
    if found is None:
        raise HTTPException(404, f"no document with id {doc_id!r}")
    info, passages = found
    return DocumentDetail(
        **asdict(info),
        passages=[PassageOut(**asdict(p)) for p in passages],
    )


@router.post(
    "/documents",
    status_code=201,
    response_model=UploadOut,
    dependencies=[AdminDep],
    openapi_extra=UPLOAD_BODY,
    responses={
        **responses(400, 401, 409, 413, 415, 503),
        422: {"model": UploadFailure, "description": "The file could not be read."},
    },
)
async def upload_document(
    request: Request, library: LibraryDep, settings: SettingsDep
) -> UploadOut:
    """Upload one PDF, Markdown or text file (multipart field `file`) and index it (admin).

    The body is read only after the API key is checked.
    """
    form = await request.form(max_files=1, max_fields=4)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise HTTPException(422, "multipart/form-data field 'file' (the document) is required")
        limit = settings.api.max_upload_bytes
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise HTTPException(413, f"the file is larger than {limit} bytes")
        filename = upload.filename or "upload"
    finally:
        await form.close()
    result = await run_in_threadpool(library.add, filename, data)
    return UploadOut(
        file=result.file,
        doc_id=result.doc_id,
        status=result.status,  # type: ignore[arg-type]
        chunks=result.chunks,
        reason=result.reason,
    )


@router.delete(
    "/documents/{doc_id}",
    status_code=204,
    response_class=Response,
    dependencies=[AdminDep],
    responses=responses(401, 404, 422, 503),
)
async def delete_document(doc_id: DocIdPath, library: LibraryDep) -> Response:
    """Remove a document: its passages, its manifest entry and its uploaded file (admin)."""
    if not await run_in_threadpool(library.delete, doc_id):
        raise HTTPException(404, f"no document with id {doc_id!r}")
    return Response(status_code=204)
