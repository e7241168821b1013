"""The browser-facing pages: demo portal, widget script, document viewer, their headers, and a
static check that the widget and viewer never hand data to an HTML parser."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routes.pages import STATIC_DIR
from tests.conftest import Stack

pytestmark = pytest.mark.e2e

EMBED_TAG = '<script src="/widget.js" data-title="Cluster Policy Assistant"></script>'
# Ways a script can turn a string into markup or code. Only `.innerHTML = TEMPLATE` is allowed.
HTML_SINKS = re.compile(
    r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|DOMParser|createContextualFragment"
    r"|srcdoc|\beval\s*\(|new\s+Function\b|setAttribute\(\s*[\"']on|\.on[a-z]+\s*=(?!=)"
)


@pytest.fixture(scope="module")
def client(indexed: Stack) -> TestClient:
    return TestClient(create_app(indexed.container))


def _assert_page_headers(headers: Mapping[str, str]) -> None:
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp
    script_src = csp.split("script-src", 1)[1].split(";", 1)[0]
    assert script_src.strip() == "'self'"  # no inline or eval'd script
    assert "frame-ancestors 'self'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


def test_portal_embeds_the_widget_with_one_tag(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert EMBED_TAG in response.text
    _assert_page_headers(response.headers)
    # No inline scripts or handlers: the strict CSP would block them.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.text)
    assert not re.search(r"\son[a-z]+\s*=", response.text)


def test_widget_script_is_cacheable_and_loadable_from_any_origin(client: TestClient) -> None:
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "customElements.define" in response.text and "attachShadow" in response.text
    assert "/v1/chat" in response.text and "/v1/feedback" in response.text
    assert "document.currentScript" in response.text  # API base from its own src


def test_viewer_is_served_for_any_document_id(client: TestClient) -> None:
    for doc_id in ("european-clusters-alliance", "no-such-document"):
        response = client.get(f"/documents/{doc_id}")
        assert response.status_code == 200
        assert '<script src="/static/viewer.js" defer></script>' in response.text
        _assert_page_headers(response.headers)
    assert (
        client.get("/static/viewer.js").headers["content-type"].startswith("application/javascript")
    )
    assert client.get("/static/viewer.css").headers["content-type"].startswith("text/css")
    assert client.get("/static/favicon.svg").status_code == 200
    # The data the viewer renders comes from the JSON API, which 404s on unknown ids.
    missing = client.get("/v1/documents/no-such-document")
    assert missing.status_code == 404 and "detail" in missing.json()


@pytest.mark.parametrize(
    "name", ["../app.py", "..%2Fapp.py", "index.html", "nope.js", "widget.txt", ".hidden.css"]
)
def test_static_route_serves_only_flat_asset_names(client: TestClient, name: str) -> None:
    assert client.get(f"/static/{name}").status_code == 404


def test_pages_are_not_in_the_openapi_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not {"/", "/widget.js", "/documents/{doc_id}", "/static/{name}"} & set(paths)


def test_head_requests_are_answered(client: TestClient) -> None:
    for path in ("/", "/widget.js", "/documents/x", "/static/portal.css"):
        assert client.head(path).status_code == 200


@pytest.mark.parametrize("name", ["widget.js", "viewer.js"])
def test_scripts_render_data_as_text_only(name: str) -> None:
    source = (STATIC_DIR / name).read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/", "", source, flags=re.DOTALL)  # comments may name the sinks
    sinks = [m.group(0) for m in HTML_SINKS.finditer(code)]
    if name == "widget.js":
        # The one markup assignment writes the static template, a literal without substitutions.
        assert sinks == ["innerHTML"], sinks
        assert re.search(r"\broot\.innerHTML = TEMPLATE;", code)
        template = re.search(r"var TEMPLATE = `(.*?)`;", code, flags=re.DOTALL)
        assert template is not None and "${" not in template.group(1)
        assert code.count("TEMPLATE") == 2  # defined once, used once
    else:
        assert sinks == [], sinks
    assert "textContent" in code
