"""The widget in other EU languages, in a real browser (Debian's Chromium, driven by Playwright).

The server, browser and tab fixtures are test_browser.py's (a uvicorn server over a copy of the
session's indexed store). The demo portal is served as it is, with its `<html lang>` or its script
tag rewritten in the browser (Playwright route interception), so no page is added to the product.
The expected texts are read from assistant/locales/<code>.json, the catalogues the server serves
at /v1/locales/<code>. Any console error, page error or dialog fails a test.

Screenshots go to test_browser.py's folder (/tmp/cluster-assistant-e2e/ or
$CLUSTER_ASSISTANT_E2E_DIR). Skipped, with test_browser.py's reason, when Playwright or Chromium
is missing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - depends on the environment
    pytest.skip("playwright is not installed: `pip install -e '.[dev]'`", allow_module_level=True)

# Importing test_browser skips this module with its reason when Chromium is missing.
from tests.e2e import test_browser
from tests.e2e.test_browser import Tab, _screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.enable_socket]

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "assistant" / "locales"
PORTAL = (ROOT / "api" / "static" / "index.html").read_text(encoding="utf-8")
HTML_TAG = '<html lang="en">'
EMBED_TAG = '<script src="/widget.js" data-title="Cluster Policy Assistant"></script>'
LOCALE_URL = re.compile(r"/v1/locales/")

# test_browser.py's fixtures: its server (module-scoped: one more for this module), browser, tab.
live = test_browser.live
browser = test_browser.browser
tab = test_browser.tab


@cache
def catalogue(code: str) -> dict[str, str]:
    """A language's whole catalogue, as in its JSON file."""
    data: dict[str, str] = json.loads((LOCALES / f"{code}.json").read_text(encoding="utf-8"))
    return data


def ui(code: str) -> dict[str, str]:
    """The widget's texts in one language: the catalogue's `ui.*` keys without the prefix."""
    return {k[3:]: v for k, v in catalogue(code).items() if k.startswith("ui.")}


# The welcome texts, shown before the first question: every catalogue words them its own way.
WELCOME = ["hello", "hint", "suggestion_1", "suggestion_2", "suggestion_3"]
SUGGESTIONS = ["suggestion_1", "suggestion_2", "suggestion_3"]


def launcher_name(texts: dict[str, str], title: str) -> str:
    """The launcher's accessible name while the panel is closed."""
    return texts["open_chat"].replace("{title}", title)


def serve_portal(tab: Tab, html_lang: str | None = None, embed: str | None = None) -> None:
    """Serve `/` as the real portal with its `<html lang>` and/or its script tag replaced."""
    assert HTML_TAG in PORTAL and EMBED_TAG in PORTAL  # the page these tests rewrite

    def handle(route: Any) -> None:
        response = route.fetch()
        body = response.text()
        if html_lang is not None:
            body = body.replace(HTML_TAG, f'<html lang="{html_lang}">', 1)
        if embed is not None:
            body = body.replace(EMBED_TAG, embed, 1)
        route.fulfill(response=response, body=body)  # the server's headers, CSP included

    tab.page.route(tab.base + "/", handle)


def record_locale_requests(tab: Tab) -> list[str]:
    requests: list[str] = []
    tab.page.on("request", lambda r: requests.append(r.url) if LOCALE_URL.search(r.url) else None)
    return requests


@dataclass(frozen=True)
class Case:
    code: str
    question: str
    answer: str | None  # a text the answer must quote, if the retrieval finds it reliably
    html_lang: str | None = None  # the page's <html lang>, when rewritten
    embed: str | None = None  # the script tag, when rewritten
    data_title: str | None = None  # the data-title the embedding gives, if any


CASES = [
    # The page's language, no data-title: the title comes from the catalogue too.
    Case(
        "fr",
        "Quelle est la date limite de candidature à la Cluster Booster Academy ?",
        "17 October 2024",
        html_lang="fr",
        embed='<script src="/widget.js"></script>',
    ),
    # A region subtag; the portal's data-title still overrides the catalogue's title.
    Case(
        "pl",
        "Jaki jest termin składania wniosków do Cluster Booster Academy?",
        None,  # answered (and cited) from the Academy's schedule, not its deadline, so far
        html_lang="pl-PL",
        data_title="Cluster Policy Assistant",
    ),
    # data-lang on the script tag wins over the page's lang="en".
    Case(
        "el",
        "Ποια είναι η προθεσμία υποβολής αιτήσεων για την Cluster Booster Academy;",
        "17 October 2024",
        embed='<script src="/widget.js" data-lang="el"></script>',
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.code for c in CASES])
def test_widget_speaks_the_page_language(tab: Tab, case: Case) -> None:
    page = tab.page
    texts = ui(case.code)
    title = case.data_title or texts["title"]
    locale_requests = record_locale_requests(tab)
    serve_portal(tab, case.html_lang, case.embed)
    page.goto(tab.base + "/")

    # Before opening: the launcher, the composer's placeholder and the send button's label.
    textarea = tab.widget("textarea")
    expect(textarea).to_have_attribute("placeholder", texts["placeholder"])
    send = tab.widget("button.send")
    expect(send).to_have_attribute("aria-label", texts["send"])
    launcher = page.get_by_role("button", name=launcher_name(texts, title), exact=True)
    expect(tab.widget(".root")).to_have_attribute("lang", case.code)

    launcher.click()
    panel = page.get_by_role("dialog", name=title, exact=True)
    expect(panel).to_be_visible()
    expect(tab.widget(".title")).to_have_text(title)
    expect(page.get_by_role("button", name=texts["send"], exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=texts["new_conversation"], exact=True)).to_be_visible()
    close = tab.widget("button.icon.close")
    expect(close).to_have_attribute("aria-label", texts["close_chat"])
    expect(close).to_have_attribute("title", texts["close"])
    expect(page.get_by_role("log", name=texts["conversation"], exact=True)).to_be_visible()
    expect(page.get_by_role("group", name=texts["suggestions"], exact=True)).to_be_visible()
    expect(textarea).to_be_focused()

    # The welcome: the greeting, the hint and the suggested questions are the language's own,
    # none left in English (nor marked lang="en"), and so are the subtitle and the footer.
    english = ui("en")
    assert all(texts[key] != english[key] for key in WELCOME), case.code
    expect(tab.widget(".welcome .hello")).to_have_text(texts["hello"])
    expect(tab.widget(".welcome .hint")).to_have_text(texts["hint"])
    expect(tab.widget(".suggestion")).to_have_text([texts[key] for key in SUGGESTIONS])
    expect(tab.widget(".welcome [lang]")).to_have_count(0)
    expect(tab.widget(".subtitle")).to_have_text(texts["subtitle"])
    expect(tab.widget(".foot")).to_have_text(texts["foot"])
    expect(tab.widget("[data-t][lang]")).to_have_count(0)
    expect(page.get_by_role("button", name=texts["hide_chat"], exact=True)).to_be_visible()

    # A question in the language: the answer quotes the English source and cites it.
    textarea.fill(case.question)
    textarea.press("Enter")
    answer = tab.widget(".msg.bot[data-done]")
    expect(answer).to_have_count(1)
    text = answer.locator(".bubble .text")
    if case.answer:
        expect(text).to_contain_text(case.answer)
    notice = catalogue(case.code)["source_language"].split("{")[0].strip()
    expect(text).to_contain_text(notice)  # the server's notice, in the question's language
    assert answer.locator(".bubble button.cite").count() >= 1
    expect(answer.locator(".sources .source")).not_to_have_count(0)
    expect(answer.locator(".sources h3")).to_have_text(texts["sources"])
    expect(answer.locator(":scope > .sr-only")).to_have_text(texts["assistant_said"])
    expect(tab.widget(".msg.user .sr-only")).to_have_text(texts["you_said"])
    expect(answer.get_by_role("group", name=texts["rate"], exact=True)).to_be_visible()
    first = answer.locator(".bubble button.cite").first
    label = first.get_attribute("aria-label") or ""
    assert label.startswith(f"{texts['source']} 1: "), label
    _screenshot(page, f"widget-{case.code}.png")

    # The source card and the rating, in the language too.
    first.click()
    card = tab.widget(".card")
    expect(card).to_be_visible()
    expect(card.locator(".badge")).to_have_text(
        re.compile(f"^({re.escape(texts['verified'])}|{re.escape(texts['not_verified'])})$")
    )
    expect(card.get_by_role("button", name=texts["close_source"], exact=True)).to_be_visible()
    page.keyboard.press("Escape")
    expect(card).to_be_hidden()
    answer.get_by_role("button", name=texts["helpful"], exact=True).click()
    expect(answer.locator(".thanks")).to_have_text(texts["thanks"])

    # The texts were fetched once; a reload takes them from the session, before the first paint.
    assert [u.rsplit("/", 1)[1] for u in locale_requests] == [case.code]
    page.reload()
    expect(panel).to_be_visible()
    expect(tab.widget(".msg.bot .sources h3")).to_have_text(texts["sources"])
    expect(textarea).to_have_attribute("placeholder", texts["placeholder"])
    assert len(locale_requests) == 1, locale_requests
    tab.check()


def test_an_unsupported_page_language_keeps_english(tab: Tab) -> None:
    page = tab.page
    texts = ui("en")
    locale_requests = record_locale_requests(tab)
    serve_portal(tab, html_lang="ja", embed='<script src="/widget.js"></script>')
    page.goto(tab.base + "/")
    page.wait_for_load_state("networkidle")
    launcher = page.get_by_role("button", name="Open chat: Cluster Policy Assistant", exact=True)
    launcher.click()
    expect(page.get_by_role("dialog", name=texts["title"], exact=True)).to_be_visible()
    expect(tab.widget("textarea")).to_have_attribute("placeholder", texts["placeholder"])
    expect(page.get_by_role("button", name="Send question", exact=True)).to_be_visible()
    expect(page.get_by_role("textbox", name="Your question")).to_be_focused()
    expect(tab.widget(".root")).to_have_attribute("lang", "en")
    assert locale_requests == []  # not an EU language: nothing to fetch, so nothing can fail
    _screenshot(page, "widget-ja-page-english.png")
    tab.check()


def test_a_failed_catalogue_fetch_keeps_english_silently(tab: Tab) -> None:
    """A server without the catalogue (here a 404 for German): English, no widget error."""
    page = tab.page
    texts = ui("en")
    page.route(
        re.compile(r"/v1/locales/de$"),
        lambda route: route.fulfill(
            status=404,
            headers={"Content-Type": "application/json"},
            body=json.dumps({"detail": "not found"}),
        ),
    )
    serve_portal(tab, html_lang="de-AT")
    with page.expect_response(re.compile(r"/v1/locales/de$")):
        page.goto(tab.base + "/")
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Open chat: Cluster Policy Assistant", exact=True).click()
    expect(tab.widget("textarea")).to_have_attribute("placeholder", texts["placeholder"])
    expect(page.get_by_role("button", name="Send question", exact=True)).to_be_visible()
    expect(tab.widget(".root")).to_have_attribute("lang", "en")
    tab.allowed.append(re.compile(r"status of 404"))  # Chromium logs the failed fetch itself
    tab.check()


def test_a_text_the_catalogue_lacks_is_english_and_marked_so(tab: Tab) -> None:
    """An older server's catalogue without some keys: those in English with lang="en"."""
    page = tab.page
    texts, english = ui("de"), ui("en")

    def handle(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        for key in ("hello", "open_chat"):
            del body["messages"][key]
        route.fulfill(response=response, body=json.dumps(body))

    page.route(re.compile(r"/v1/locales/de$"), handle)
    serve_portal(tab, html_lang="de")
    page.goto(tab.base + "/")
    expect(tab.widget("textarea")).to_have_attribute("placeholder", texts["placeholder"])
    # Without "Open chat: …" in the language, the title alone names the launcher.
    page.get_by_role("button", name="Cluster Policy Assistant", exact=True).click()
    hello = tab.widget(".welcome .hello")
    expect(hello).to_have_text(english["hello"])
    expect(hello).to_have_attribute("lang", "en")
    hint = tab.widget(".welcome .hint")
    expect(hint).to_have_text(texts["hint"])
    expect(hint).not_to_have_attribute("lang", re.compile(".*"))
    expect(tab.widget(".root")).to_have_attribute("lang", "de")
    tab.check()
