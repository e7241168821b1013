"""The admin console (/admin) in a real browser (Debian's Chromium, driven by Playwright): every
flow an operator has (sign-in, upload of a good and an encrypted file, delete, reindex, keys,
unanswered questions, feedback export, explain), the cookie and CSRF rules seen from the page,
and axe-core's WCAG 2.2 AA rules in light and dark themes, desktop and phone.

The server is uvicorn over a private copy of the session's indexed starter corpus with an admin
key configured. Screenshots go to test_browser.py's folder. Skipped with test_browser.py's
reason when Playwright or Chromium is missing; the axe runs skip when axe-core is not installed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # pragma: no cover - depends on the environment
    pytest.skip("playwright is not installed: `pip install -e '.[dev]'`", allow_module_level=True)

import httpx

# Importing test_browser skips this module with its reason when Chromium is missing.
from api.app import create_app
from assistant.embedder import SentenceTransformerEmbedder
from tests.api.conftest import container_for
from tests.api.test_admin import ZORBLAT, pdf_bytes
from tests.conftest import Stack, serving
from tests.e2e import axe, test_browser
from tests.e2e.test_browser import PHONE, Live, Tab, _open_tab, _screenshot, copy_of_indexed

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.enable_socket]

ADMIN_KEY = "e2e-admin-key-5b1f0c9a7d"
DECLINED = "Who won the football world cup in 1998?"

browser = test_browser.browser


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory,
    embedder: SentenceTransformerEmbedder,
    indexed: Stack,
) -> Iterator[Live]:
    """The real app with an admin key, over a private copy of the indexed starter corpus."""
    stack = copy_of_indexed(tmp_path_factory.mktemp("admin-console"), embedder, indexed)
    container = container_for(stack, admin_api_key=ADMIN_KEY)
    for name in ("reader_embedder", "multilingual"):
        container.__dict__[name] = getattr(stack.container, name)
    with serving(create_app(container)) as base:
        yield Live(base, stack)


@pytest.fixture
def tab(browser: Browser, live: Live) -> Iterator[Tab]:
    yield from _open_tab(browser, live)


def _sign_in(tab: Tab, section: str = "") -> Page:
    page = tab.page
    page.goto(tab.base + "/admin" + (f"#{section}" if section else ""))
    key = page.get_by_label("Admin key")
    expect(key).to_be_focused()
    key.fill(ADMIN_KEY)
    key.press("Enter")
    expect(page.get_by_role("navigation", name="Console sections")).to_be_visible()
    return page


def _axe_clean(page: Page, what: str) -> None:
    reason = axe.missing()
    if reason is not None:
        pytest.skip(reason)
    found = axe.violations(page)
    assert found == [], f"{what}: {axe.describe(found)}"


def test_sign_in_keeps_the_key_out_of_the_page_and_survives_a_reload(tab: Tab) -> None:
    page = tab.page
    page.goto(tab.base + "/admin")
    key = page.get_by_label("Admin key")
    key.fill("not-the-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert").filter(has_text="not the admin key")).to_be_visible()
    expect(key).to_be_focused()
    tab.allowed.append(re.compile(r"status of 40[13]"))  # Chromium logs failed fetches

    _sign_in(tab)
    expect(page.get_by_role("link", name="Documents")).to_have_attribute("aria-current", "page")
    expect(page.locator("#doc-table tbody tr")).not_to_have_count(0)
    assert page.url == tab.base + "/admin"  # no key in the URL
    assert ADMIN_KEY not in page.evaluate("JSON.stringify(localStorage) + document.cookie")
    cookie = next(c for c in page.context.cookies() if c["name"] == "cpa_admin")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.reload()
    expect(page.get_by_role("navigation", name="Console sections")).to_be_visible()
    expect(page.locator("#sign-in")).to_be_hidden()

    # A change without the CSRF token is refused even with the cookie.
    status = page.evaluate(
        """() => fetch('/v1/admin/keys', {method: 'POST', headers: {'Content-Type':
        'application/json'}, body: JSON.stringify({name: 'forged'})}).then(r => r.status)"""
    )
    assert status == 403
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Admin key")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Admin key")).to_be_visible()
    tab.check()


def test_upload_a_good_and_an_encrypted_file_then_delete(tab: Tab, tmp_path: Path) -> None:
    page = _sign_in(tab)
    good = tmp_path / "zorblat.md"
    good.write_text(ZORBLAT, encoding="utf-8")
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(pdf_bytes(encrypted=True))
    page.locator("#files").set_input_files([str(good), str(locked)])
    uploads = page.get_by_role("list", name="Uploads")
    expect(uploads.locator("li")).to_have_count(2)
    expect(uploads.locator("li").nth(0)).to_contain_text(re.compile(r"Indexed: \d+ passages?"))
    expect(uploads.locator("li").nth(1)).to_contain_text("Failed: encrypted")
    expect(page.locator("#announce")).to_have_text("1 of 2 files indexed.")
    tab.allowed.append(re.compile(r"status of 422"))
    page.get_by_role("searchbox", name="Search").fill("zorblat")
    rows = page.locator("#doc-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("The Zorblat Quantum Cluster")
    expect(rows.first).to_contain_text("Uploaded")
    expect(rows.first).to_contain_text("Indexed")
    _screenshot(page, "admin-documents.png")

    # Delete asks first; Cancel keeps the document, Delete removes it.
    delete = page.get_by_role("button", name="Delete The Zorblat Quantum Cluster")
    delete.click()
    dialog = page.get_by_role("dialog", name="Delete this document?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("The uploaded file is deleted too")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(delete).to_be_focused()
    expect(rows).to_have_count(1)
    delete.click()
    dialog.get_by_role("button", name="Delete").click()
    expect(rows).to_have_count(0)
    expect(page.locator("#announce")).to_contain_text("Deleted")
    answer = httpx.post(
        tab.base + "/v1/ask",
        json={"question": "How many member companies does the Zorblat Quantum Cluster have?"},
    ).json()
    assert "47" not in answer["answer"]
    tab.check()


def test_reindex_shows_progress_and_the_counts(tab: Tab) -> None:
    page = _sign_in(tab)
    page.get_by_role("button", name="Reindex").click()
    text = page.locator("#reindex-text")
    expect(text).to_contain_text(re.compile(r"Reindexed in [\d.]+ s: \d+ indexed, \d+ unchanged"))
    expect(page.get_by_role("button", name="Reindex")).to_be_enabled()
    tab.check()


def test_create_and_revoke_a_key(tab: Tab) -> None:
    page = _sign_in(tab, "keys")
    page.get_by_label("Name").fill("nightly evaluation")
    page.get_by_label("Rate limit").fill("120/minute")
    page.get_by_role("button", name="Create key").click()
    token_box = page.get_by_label("New API key token")
    expect(token_box).to_be_visible()
    expect(token_box).to_be_focused()
    token = token_box.input_value()
    assert token.startswith("cpa_")
    row = page.locator("#key-table tbody tr", has_text="nightly evaluation")
    expect(row).to_contain_text("120/minute")
    expect(row).to_contain_text("Active")
    assert token not in row.inner_text()
    _screenshot(page, "admin-keys.png")
    # The token works until revoked.
    ok = httpx.post(
        tab.base + "/v1/ask",
        json={"question": "What is a cluster?"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert ok.status_code == 200
    page.get_by_role("button", name="Revoke key nightly evaluation").click()
    page.get_by_role("dialog", name="Revoke this key?").get_by_role("button", name="Revoke").click()
    expect(row).to_contain_text("Revoked")
    refused = httpx.post(
        tab.base + "/v1/ask",
        json={"question": "What is a cluster?"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 401
    tab.check()


def _download(page: Page, button: str) -> str:
    with page.expect_download() as caught:
        page.get_by_role("button", name=button).click()
    path = caught.value.path()
    return Path(path).read_text(encoding="utf-8")


def test_unanswered_questions_grouped_exported_and_removed(tab: Tab) -> None:
    for question in (DECLINED, "Who won the 1998 football world cup?"):
        declined = httpx.post(tab.base + "/v1/ask", json={"question": question}).json()
        assert declined["refused"], declined
    page = _sign_in(tab, "unanswered")
    topic = page.locator(".topic").filter(has_text="1998")
    expect(topic).to_have_count(1)
    expect(topic).to_contain_text("2 questions")
    expect(topic).to_contain_text("Declined")
    _screenshot(page, "admin-unanswered.png")
    exported = _download(page, "Export as evaluation cases")
    cases = [json.loads(line) for line in exported.splitlines()]
    assert DECLINED in {c["question"] for c in cases}
    topic.get_by_role("button", name=f"Remove “{DECLINED}”").click()
    expect(topic).to_contain_text("1 question")
    expect(page.get_by_text(DECLINED, exact=True)).to_have_count(0)
    tab.check()


def test_feedback_listed_and_exported(tab: Tab) -> None:
    answer = httpx.post(tab.base + "/v1/ask", json={"question": test_browser.QUESTION}).json()
    cited = [
        {"n": c["n"], "chunk_id": c["chunk_id"], "doc_id": c["doc_id"]} for c in answer["citations"]
    ]
    created = httpx.post(
        tab.base + "/v1/feedback",
        json={
            "rating": "down",
            "question": test_browser.QUESTION,
            "answer": answer["answer"],
            "comment": "Should name the year too.",
            "citations": cited,
        },
    )
    assert created.status_code == 201
    page = _sign_in(tab, "feedback")
    item = page.locator("#feedback-list > li").filter(has_text="Should name the year too.")
    expect(item).to_contain_text("Not helpful")
    expect(item).to_contain_text(test_browser.QUESTION)
    expect(item.get_by_role("link").first).to_have_attribute(
        "href", re.compile(r"^/documents/[^#]+#chunk=")
    )
    exported = _download(page, "Export as evaluation cases")
    assert "Should name the year too." in exported
    tab.check()


def test_explain_shows_the_trace(tab: Tab) -> None:
    page = _sign_in(tab, "explain")
    page.get_by_role("textbox", name="Question").fill(test_browser.QUESTION)
    page.get_by_role("button", name="Explain").click()
    result = page.locator("#explain-result")
    expect(result).to_contain_text("150,000")
    expect(result).to_contain_text("Decided by")
    units = page.get_by_role("region", name="Candidate units, best first")
    expect(units.locator("tbody tr")).not_to_have_count(0)
    expect(
        page.get_by_role("region", name="Passages retrieved").locator("tbody tr")
    ).not_to_have_count(0)
    _screenshot(page, "admin-explain.png")
    tab.check()


def test_keyboard_only_sign_in_and_navigation(tab: Tab) -> None:
    page = tab.page
    page.goto(tab.base + "/admin")
    expect(page.get_by_label("Admin key")).to_be_focused()
    page.keyboard.type(ADMIN_KEY)
    page.keyboard.press("Enter")
    nav = page.get_by_role("navigation", name="Console sections")
    expect(nav).to_be_visible()
    nav.get_by_role("link", name="API keys").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="API keys")).to_be_focused()
    outline = page.evaluate(
        """() => { const a = document.querySelector('.tabs a[href="#feedback"]'); a.focus();
        return getComputedStyle(a).outlineStyle; }"""
    )
    assert outline != "none"
    tab.check()


CONTEXTS: dict[str, dict[str, Any]] = {
    "light": {},
    "dark": {"color_scheme": "dark"},
    "phone-dark": {**PHONE, "color_scheme": "dark"},
}


@pytest.mark.parametrize("theme", sorted(CONTEXTS))
def test_axe_finds_no_violations(browser: Browser, live: Live, theme: str) -> None:
    for tab in _open_tab(browser, live, **CONTEXTS[theme]):
        page = tab.page
        page.goto(tab.base + "/admin")
        expect(page.get_by_label("Admin key")).to_be_visible()
        _axe_clean(page, f"sign-in ({theme})")
        _sign_in(tab)
        expect(page.locator("#doc-table tbody tr")).not_to_have_count(0)
        _axe_clean(page, f"documents ({theme})")
        _screenshot(page, f"admin-documents-{theme}.png")
        for section in ("unanswered", "feedback"):
            page.goto(f"{tab.base}/admin#{section}")
            expect(page.locator(f"#section-{section}")).to_be_visible()
            page.wait_for_load_state("networkidle")
            _axe_clean(page, f"{section} ({theme})")
        page.goto(f"{tab.base}/admin#keys")
        page.get_by_label("Name").fill(f"axe {theme}")
        page.get_by_role("button", name="Create key").click()
        expect(page.get_by_label("New API key token")).to_be_visible()
        _axe_clean(page, f"keys ({theme})")
        page.goto(f"{tab.base}/admin#explain")
        page.get_by_role("textbox", name="Question").fill(test_browser.QUESTION)
        page.get_by_role("button", name="Explain").click()
        expect(page.locator("#explain-result")).to_contain_text("Decided by")
        _axe_clean(page, f"explain ({theme})")
        _screenshot(page, f"admin-explain-{theme}.png")
        page.goto(f"{tab.base}/admin#documents")
        page.locator("#doc-table tbody tr button").first.click()
        expect(page.get_by_role("dialog")).to_be_visible()
        _axe_clean(page, f"delete dialog ({theme})")
        page.keyboard.press("Escape")
        tab.check()
