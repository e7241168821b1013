"""The browser-facing pages: the demo portal (`/`), the embeddable widget (`/widget.js`), the
document viewer (`/documents/{doc_id}`), the admin console (`/admin`) and their static assets
(`/static/{name}`).

Everything here is a file from `api/static/`; no page is rendered with data on the server. The
pages fetch the JSON API from the browser and render what it returns as text. They are left out
of the OpenAPI schema: they are not part of the API contract.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

# No inline scripts anywhere, so `script-src 'self'` holds; inline styles are allowed because the
# widget styles its shadow DOM with a <style> element.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'self'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "SAMEORIGIN",
    "Cache-Control": "no-cache",
}
# The widget is embedded by other sites: any origin may load the script (it holds no data).
WIDGET_HEADERS = {
    "Cache-Control": "public, max-age=300",
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
ASSET_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
_ASSET_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*\.(?:css|js|svg)")

router = APIRouter(include_in_schema=False)


def _page(name: str) -> FileResponse:
    return FileResponse(
        STATIC_DIR / name, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS
    )


@router.api_route("/", methods=["GET", "HEAD"])
async def portal() -> FileResponse:
    """The demo cluster portal with the widget embedded."""
    return _page("index.html")


@router.api_route("/documents/{doc_id}", methods=["GET", "HEAD"])
async def document_viewer(doc_id: str) -> FileResponse:
    """The document viewer; it loads `/v1/documents/{doc_id}` itself (404 shown in the page)."""
    return _page("viewer.html")


@router.api_route("/admin", methods=["GET", "HEAD"])
async def admin_console() -> FileResponse:
    """The admin console: sign-in, documents, unanswered questions, feedback, keys, explain."""
    return _page("admin.html")


@router.api_route("/widget.js", methods=["GET", "HEAD"])
async def widget() -> FileResponse:
    """The embeddable chat widget: one self-contained script."""
    return FileResponse(
        STATIC_DIR / "widget.js",
        media_type="application/javascript; charset=utf-8",
        headers=WIDGET_HEADERS,
    )


@router.api_route("/static/{name}", methods=["GET", "HEAD"])
async def asset(name: str) -> FileResponse:
    """A stylesheet, script or icon of the pages (flat names only, no paths)."""
    path = STATIC_DIR / name
    if not _ASSET_NAME.fullmatch(name) or not path.is_file():
        raise HTTPException(status_code=404, detail="not found")
    return FileResponse(
        path,
        media_type=ASSET_TYPES[path.suffix],
        headers={**PAGE_HEADERS, "Cache-Control": "public, max-age=300"},
    )
