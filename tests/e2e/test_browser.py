"""The product in a real browser: Debian's Chromium, driven by Playwright, against the real server.

The server is uvicorn serving `create_app` on a free loopback port, over a copy of the session's
indexed starter corpus plus one document whose text and title contain HTML. The tests open the demo
portal, talk to the widget, follow a citation into the document viewer, rate an answer and find
the rating in SQLite, check that document text is never parsed as HTML, and check the phone
layout. Any console error, page error or JavaScript dialog fails the test.

Screenshots go to /tmp/cluster-assistant-e2e/ (override with CLUSTER_ASSISTANT_E2E_DIR).
Skipped, with the reason, when Playwright or Chromium is not installed ($CHROMIUM names the
binary; default /usr/bin/chromium, then `chromium` on PATH).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

try:
    from playwright.sync_api import (
        Browser,
        ConsoleMessage,
        Dialog,
        Locator,
        Page,
        expect,
        sync_playwright,
    )
except ImportError:  # pragma: no cover - depends on the environment
    pytest.skip("playwright is not installed: `pip install -e '.[dev]'`", allow_module_level=True)


from api.app import create_app
from assistant.embedder import SentenceTransformerEmbedder
from ingest.pipeline import Status
from tests.conftest import CORPUS, Stack, serving


def _chromium() -> str | None:
    """The Chromium binary: $CHROMIUM when set, else Debian's /usr/bin/chromium or PATH's."""
    explicit = os.environ.get("CHROMIUM")
    candidates = (
        [explicit]
        if explicit
        else ["/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")]
    )
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


CHROMIUM = _chromium()
if CHROMIUM is None:
    pytest.skip(
        f"Chromium not found ({os.environ.get('CHROMIUM') or '/usr/bin/chromium or PATH'}): "
        "install it with `apt-get install -y chromium` to run the browser tests",
        allow_module_level=True,
    )

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.enable_socket]

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(os.environ.get("CLUSTER_ASSISTANT_E2E_DIR", "/tmp/cluster-assistant-e2e"))
TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS)

QUESTION = "How many businesses does the European Clusters Alliance reach?"
XSS = "<img src=x onerror=alert(1)>"
XSS_TITLE = "Harbour Valley Cluster: <b>markup</b> safety note"
XSS_QUESTION = "What literal text does the Harbour Valley Cluster safety notice consist of?"
# A document that tries to make the page fetch from outside hosts: a markdown image (a tracking
# pixel) and a link.
TRACKER = "![tracker](https://evil.example/pixel.png)"
PRIZE_LINK = "[Claim your prize](https://evil.example/win)"
PRIZE_QUESTION = "What does the Harbour Valley prize draw poster show to every visitor?"
XSS_DOC = f"""---
id: markup-safety-note
title: "{XSS_TITLE}"
doc_type: other
source: "Harbour Valley Cluster"
year: 2024
language: en
---

# Harbour Valley Cluster markup safety note

## The literal text of the Harbour Valley notice

The Harbour Valley Cluster safety notice consists of the literal text {XSS} printed on the first
line. The Harbour Valley Cluster prints this notice to test how web pages display raw markup.

## The Harbour Valley prize draw

The Harbour Valley prize draw poster shows {TRACKER} and {PRIZE_LINK} to every visitor.
"""

# A phone's browser context: a small touch screen.
PHONE: dict[str, Any] = {
    "viewport": {"width": 375, "height": 667},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

# Collects what the widget streamed, from its `cluster-assistant:delta` events.
RECORD_STREAM = """
window.__partials = [];
document.addEventListener("cluster-assistant:delta", (e) => window.__partials.push(e.detail.text));
"""


@dataclass
class Live:
    """The running service."""

    base: str
    stack: Stack


@dataclass
class Tab:
    """A page in a fresh browser context, with everything that went wrong in it."""

    page: Page
    base: str
    problems: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def check(self) -> None:
        """Fail on any console error, uncaught exception or dialog (an XSS would alert)."""
        self.page.wait_for_timeout(200)  # let late errors or an injected onerror arrive
        problems = [p for p in self.problems if not any(a.search(p) for a in self.allowed)]
        assert self.dialogs == [], f"a JavaScript dialog opened: {self.dialogs}"
        assert problems == [], f"browser errors: {problems}"

    def widget(self, selector: str) -> Locator:
        """An element inside the widget's shadow root (Playwright's CSS pierces open roots)."""
        return self.page.locator(f"cluster-assistant-widget {selector}")


def copy_of_indexed(root: Path, embedder: SentenceTransformerEmbedder, indexed: Stack) -> Stack:
    """A private stack over a copy of the session's indexed starter corpus (ratings left out),
    sharing its models: only documents added to it are embedded."""
    shutil.copytree(
        indexed.settings.data_dir, root / "data", ignore=shutil.ignore_patterns("feedback.*")
    )
    return Stack(
        root / "data",
        embedder,
        CORPUS,
        indexed.container.reader_embedder,
        indexed.container.multilingual,
    )


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory,
    embedder: SentenceTransformerEmbedder,
    indexed: Stack,
) -> Iterator[Live]:
    """The real app under uvicorn, in a thread, over the starter corpus plus the HTML document."""
    root = tmp_path_factory.mktemp("browser")
    stack = copy_of_indexed(root, embedder, indexed)
    extra = root / "extra"
    extra.mkdir()
    (extra / "markup-safety-note.md").write_text(XSS_DOC, encoding="utf-8")
    report = stack.ingestor.run([CORPUS, extra])
    assert report.failures == [], report.failures
    assert report.count(Status.INDEXED) == 1  # the copy is reused: only the new file is embedded
    assert stack.store.count() > indexed.store.count()

    with serving(create_app(stack.container)) as base:
        yield Live(base, stack)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _open_tab(browser: Browser, live: Live, **context_args: Any) -> Iterator[Tab]:
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 860}, **context_args})
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(RECORD_STREAM)
    page = context.new_page()
    tab = Tab(page, live.base)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            tab.problems.append(f"console: {message.text} ({message.location.get('url')})")

    def on_dialog(dialog: Dialog) -> None:
        tab.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    context.on("console", on_console)
    context.on("weberror", lambda error: tab.problems.append(f"page error: {error.error}"))
    context.on("dialog", on_dialog)
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def tab(browser: Browser, live: Live) -> Iterator[Tab]:
    yield from _open_tab(browser, live)


@pytest.fixture
def phone(browser: Browser, live: Live) -> Iterator[Tab]:
    yield from _open_tab(browser, live, **PHONE)


def _screenshot(page: Page, name: str) -> Path:
    path = SHOTS / name
    page.screenshot(path=str(path))
    print(f"screenshot: {path}")
    return path


def _open_widget(tab: Tab) -> None:
    tab.page.goto(tab.base + "/")
    tab.page.get_by_role("button", name="Open chat: Cluster Policy Assistant").click()
    expect(tab.page.get_by_role("dialog", name="Cluster Policy Assistant")).to_be_visible()
    expect(tab.page.get_by_role("textbox", name="Your question")).to_be_focused()


def _ask(tab: Tab, question: str) -> Locator:
    """Type `question`, press Enter, wait for the final answer; the answer's message element."""
    done = tab.widget(".msg.bot[data-done]")
    before = done.count()
    box = tab.page.get_by_role("textbox", name="Your question")
    box.fill(question)
    box.press("Enter")
    expect(done).to_have_count(before + 1)
    return done.nth(before)


def _feedback_rows(live: Live) -> list[dict[str, Any]]:
    path = live.stack.settings.data_dir / "feedback.sqlite3"
    if not path.exists():
        return []
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute("SELECT * FROM feedback ORDER BY id")]


def test_conversation_with_streaming_citations_viewer_and_feedback(tab: Tab, live: Live) -> None:
    page = tab.page
    _open_widget(tab)
    expect(tab.widget(".welcome")).to_be_visible()

    answer = _ask(tab, QUESTION)
    text = answer.locator(".bubble .text")
    expect(text).to_contain_text("150,000")
    final = text.inner_text()
    # The answer arrived in pieces and was shown as it came, then replaced by the final text.
    partials: list[str] = page.evaluate("window.__partials")
    assert len(partials) > 1, partials
    assert int(answer.get_attribute("data-deltas") or 0) == len(partials)
    assert 0 < len(partials[0]) < len(partials[-1])
    assert all(b.startswith(a) for a, b in pairwise(partials))
    assert "150,000" in partials[-1] and "[1]" in partials[-1]
    cites = answer.locator(".bubble button.cite")
    assert cites.count() >= 1
    expect(answer.locator(".sources .source")).not_to_have_count(0)
    expect(answer).not_to_have_class(re.compile(r"\brefused\b"))
    assert "[1]" not in final  # markers are buttons, not text
    _screenshot(page, "widget-answer.png")

    # A citation opens its source card; Escape closes it and gives focus back.
    first = answer.locator(".bubble button.cite[data-n='1']").first
    first.click()
    card = tab.widget(".card")
    expect(card).to_be_visible()
    title = card.locator(".card-title")
    expect(title).not_to_be_empty()
    expect(title).to_be_focused()
    expect(card.locator(".card-snippet")).not_to_be_empty()
    expect(card.locator(".badge")).to_contain_text(re.compile("Verified quote|Not verified"))
    link = card.get_by_role("link", name=re.compile("Open document"))
    href = link.get_attribute("href") or ""
    assert re.fullmatch(re.escape(tab.base) + r"/documents/[^#/]+#chunk=.+", href), href
    assert link.get_attribute("target") == "_blank"
    _screenshot(page, "widget-source-card.png")
    source_title = title.inner_text()

    # "Open document" shows the passage highlighted in the viewer.
    with page.context.expect_page() as opened:
        link.click()
    viewer = opened.value
    viewer.wait_for_load_state()
    fragment = parse_qs(href.split("#", 1)[1])
    chunk_id = fragment["chunk"][0]
    passage = viewer.locator(f'[id="chunk-{chunk_id}"]')
    expect(passage).to_have_class(re.compile(r"\bhighlight\b"))
    expect(passage).to_be_in_viewport()
    # The cited line itself is marked within the passage.
    line = int(fragment["line"][0])
    expect(passage.locator(f'.line[data-line="{line}"]')).to_have_class(
        re.compile(r"\bhighlight\b")
    )
    expect(viewer.locator("h1")).to_have_text(source_title)
    expect(viewer.locator(".passage")).not_to_have_count(0)
    _screenshot(viewer, "viewer-passage.png")
    viewer.close()

    page.bring_to_front()
    page.keyboard.press("Escape")
    expect(card).to_be_hidden()
    expect(first).to_be_focused()

    # 👍 is stored with the question, the answer, its citations and the request id.
    assert _feedback_rows(live) == []
    answer.get_by_role("button", name="Helpful", exact=True).click()
    expect(answer.locator(".thanks")).to_have_text("Thanks for your feedback!")
    expect(answer.get_by_role("button", name="Helpful", exact=True)).to_be_disabled()
    expect(answer.get_by_role("button", name="Not helpful")).to_be_disabled()
    rows = _feedback_rows(live)
    assert len(rows) == 1
    row = rows[0]
    assert row["rating"] == "up" and row["question"] == QUESTION
    assert "150,000" in row["answer"] and "[1]" in row["answer"]
    cited = json.loads(row["citations"])
    assert cited and {"n", "chunk_id", "doc_id"} <= set(cited[0])
    assert chunk_id in {c["chunk_id"] for c in cited}
    assert json.loads(row["messages"]) == []  # nothing before the first question
    assert row["request_id"]
    tab.check()


def test_document_text_is_shown_as_text_never_as_html(tab: Tab) -> None:
    page = tab.page
    _open_widget(tab)
    answer = _ask(tab, XSS_QUESTION)
    expect(answer.locator(".bubble .text")).to_contain_text(XSS)
    expect(answer.locator(".sources")).to_contain_text(XSS_TITLE)
    answer.locator(".bubble button.cite").first.click()
    card = tab.widget(".card")
    expect(card.locator(".card-title")).to_have_text(XSS_TITLE)
    expect(card.locator(".card-snippet")).to_contain_text(XSS)
    # Nothing in the widget became an element: no <img>, no <b>.
    assert tab.widget("img").count() == 0
    assert tab.widget(".msg b, .card b").count() == 0
    _screenshot(page, "widget-markup-as-text.png")

    page.goto(tab.base + "/documents/markup-safety-note")
    expect(page.locator("h1")).to_have_text(XSS_TITLE)
    expect(page.locator("#doc-body")).to_contain_text(XSS)
    assert page.locator("#doc-body img, h1 b").count() == 0
    tab.check()


def test_injected_images_and_links_fetch_nothing_from_outside_hosts(tab: Tab) -> None:
    """An answer quoting a document's markdown image and link shows them as text; the page
    requests nothing from another host, and its Content-Security-Policy blocks a fetch that
    script would try (the browser reports the violation)."""
    page = tab.page
    requests: list[str] = []
    failed: dict[str, str | None] = {}
    page.on("request", lambda request: requests.append(request.url))
    page.on("requestfailed", lambda request: failed.update({request.url: request.failure}))
    response = page.goto(tab.base + "/")
    assert response is not None
    policy = response.headers.get("content-security-policy", "")
    assert "img-src 'self' data:" in policy and "connect-src 'self'" in policy
    page.get_by_role("button", name="Open chat: Cluster Policy Assistant").click()
    answer = _ask(tab, PRIZE_QUESTION)
    text = answer.locator(".bubble .text")
    # Quoted as plain text: the image's alt text and the link's text, no address.
    expect(text).to_contain_text("shows tracker and Claim your prize to every visitor")
    expect(text).not_to_contain_text("evil.example")
    assert tab.widget("img").count() == 0
    assert tab.widget("a[href*='evil.example']").count() == 0
    answer.locator(".bubble button.cite").first.click()
    snippet = tab.widget(".card .card-snippet")
    expect(snippet).to_contain_text("tracker and Claim your prize")
    expect(snippet).not_to_contain_text("evil.example")
    assert tab.widget("img").count() == 0
    outside = [u for u in requests if not u.startswith((tab.base, "data:"))]
    assert outside == [], outside
    # Were markup to slip through, the policy stops the fetch: the browser refuses it.
    tab.allowed.append(re.compile(r"Content Security Policy"))
    blocked = page.evaluate(
        """() => new Promise((resolve) => {
            document.addEventListener("securitypolicyviolation",
                (e) => resolve(e.violatedDirective + " " + e.blockedURI), {once: true});
            const img = document.createElement("img");
            img.src = "https://evil.example/pixel.png";
            document.body.append(img);
        })"""
    )
    assert blocked.startswith("img-src") and "evil.example" in blocked
    # The browser's attempt ends there, blocked by the policy, never sent.
    page.wait_for_timeout(200)
    attempts = [u for u in requests if not u.startswith(tab.base)]
    assert attempts == ["https://evil.example/pixel.png"]
    assert failed == {attempts[0]: "csp"}, failed
    tab.check()


def test_conversation_survives_reload_is_sent_as_history_and_can_be_cleared(tab: Tab) -> None:
    page = tab.page
    _open_widget(tab)
    first = _ask(tab, "Which association represents Portugal in the European Clusters Alliance?")
    expect(first).to_contain_text("Portugal Clusters")

    page.reload()
    # The panel stays open, and the conversation is back, citations still clickable.
    expect(page.get_by_role("dialog", name="Cluster Policy Assistant")).to_be_visible()
    expect(tab.widget(".msg.user")).to_have_count(1)
    restored = tab.widget(".msg.bot")
    expect(restored).to_have_count(1)
    expect(restored).to_contain_text("Portugal Clusters")
    expect(tab.widget(".welcome")).to_be_hidden()
    restored.locator(".bubble button.cite").first.click()
    expect(tab.widget(".card")).to_be_visible()
    page.keyboard.press("Escape")

    # The stored conversation goes with the next question as `messages`.
    with page.expect_request(re.compile(r"/v1/chat$")) as sent:
        _ask(tab, "And which one represents France?")
    messages = (sent.value.post_data_json or {})["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert "Portugal Clusters" in messages[1]["content"]
    assert messages[2]["content"] == "And which one represents France?"

    page.get_by_role("button", name="New conversation").click()
    expect(tab.widget(".msg")).to_have_count(0)
    expect(tab.widget(".welcome")).to_be_visible()
    expect(page.get_by_role("textbox", name="Your question")).to_be_focused()
    page.reload()
    expect(tab.widget(".msg")).to_have_count(0)
    tab.check()


def test_keyboard_only_use(tab: Tab) -> None:
    page = tab.page
    page.goto(tab.base + "/")
    launcher = page.get_by_role("button", name="Open chat: Cluster Policy Assistant")
    launcher.focus()
    page.keyboard.press("Enter")
    box = page.get_by_role("textbox", name="Your question")
    expect(box).to_be_focused()
    # Shift+Enter is a new line, Enter sends.
    box.press_sequentially("What is a cluster")
    page.keyboard.press("Shift+Enter")
    expect(box).to_have_value("What is a cluster\n")
    page.keyboard.press("Backspace")
    box.press_sequentially(" organisation?")
    page.keyboard.press("Enter")
    expect(tab.widget(".msg.bot[data-done]")).to_have_count(1)
    expect(tab.widget(".msg.user .bubble")).to_have_text("What is a cluster organisation?")
    # Escape closes the panel and returns focus to the launcher.
    box.focus()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Cluster Policy Assistant")).to_be_hidden()
    expect(
        tab.page.get_by_role("button", name="Open chat: Cluster Policy Assistant")
    ).to_be_focused()
    tab.check()


def test_refusals_and_errors_are_shown_plainly(tab: Tab) -> None:
    page = tab.page
    _open_widget(tab)
    refused = _ask(tab, "Who won the football world cup in 1998?")
    expect(refused).to_have_class(re.compile(r"\brefused\b"))
    expect(refused).to_contain_text("Not in the documents")
    expect(refused.locator(".sources")).to_be_hidden()

    # A rate-limited request says when to retry, and the question is kept for another try.
    def too_many(route: Any) -> None:
        route.fulfill(
            status=429,
            headers={"Retry-After": "7", "Content-Type": "application/json"},
            body=json.dumps({"detail": "rate limit exceeded"}),
        )

    page.route(re.compile(r"/v1/chat$"), too_many)
    box = page.get_by_role("textbox", name="Your question")
    box.fill("What is a cluster organisation?")
    box.press("Enter")
    alert = tab.widget(".msg.error [role='alert']")
    expect(alert).to_have_text("Too many requests: please retry in 7 s.")
    expect(box).to_have_value("What is a cluster organisation?")
    expect(tab.widget(".msg.user")).to_have_count(1)  # the failed question is not kept
    page.unroute(re.compile(r"/v1/chat$"))
    tab.allowed.append(re.compile(r"status of 429"))  # Chromium logs the failed fetch
    tab.check()


def test_a_partial_answer_is_labelled(tab: Tab) -> None:
    _open_widget(tab)
    answer = _ask(tab, "What is the budget of the Cluster Booster Academy?")
    expect(answer.locator(".partial-label")).to_have_text(
        "Partial answer: the documents do not give what was asked"
    )
    expect(answer.locator(".bubble .text")).to_contain_text("The documents do not give the figure")
    expect(answer.locator(".sources .source")).not_to_have_count(0)
    _screenshot(tab.page, "partial-answer.png")
    full = _ask(tab, "How many businesses does the European Clusters Alliance reach?")
    expect(full.locator(".partial-label")).to_have_count(0)
    tab.check()


def test_phone_layout(phone: Tab) -> None:
    page = phone.page
    page.goto(phone.base + "/")
    launcher = page.get_by_role("button", name="Open chat: Cluster Policy Assistant")
    expect(launcher).to_be_in_viewport()
    launcher.tap()
    panel = page.get_by_role("dialog", name="Cluster Policy Assistant")
    expect(panel).to_be_visible()
    panel.evaluate("el => Promise.all(el.getAnimations().map((a) => a.finished))")
    box = panel.bounding_box()
    assert box is not None
    assert [round(box[k]) for k in ("x", "y", "width", "height")] == [0, 0, 375, 667], box
    expect(launcher).to_be_hidden()  # the panel covers the screen; its close button remains
    answer = _ask(phone, QUESTION)
    expect(answer).to_contain_text("150,000")
    composer = page.get_by_role("textbox", name="Your question")
    expect(composer).to_be_in_viewport()
    expect(page.get_by_role("button", name="Send question")).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    for element in (answer, composer):
        rect = element.bounding_box()
        assert rect is not None and rect["x"] >= 0 and rect["x"] + rect["width"] <= 375
    _screenshot(page, "widget-phone.png")
    page.get_by_role("button", name="Close chat").tap()
    expect(panel).to_be_hidden()
    expect(launcher).to_be_visible()
    phone.check()


def test_viewer_reports_an_unknown_document(tab: Tab) -> None:
    page = tab.page
    page.goto(tab.base + "/documents/no-such-document")
    expect(page.get_by_role("status")).to_contain_text("Document not found")
    expect(page.locator("#doc")).to_be_hidden()
    tab.allowed.append(re.compile(r"status of 404"))  # Chromium logs the failed fetch
    tab.check()
