"""Accessibility in a real browser: axe-core's WCAG 2.2 AA rules, in the light and dark themes,
and the widget used with the keyboard only.

axe (tests/e2e/axe.py) checks the demo portal with the widget closed, the widget open with an
answer and its source card, a refused answer, the document viewer showing a highlighted passage,
and the phone layout; each in the light and the dark colour scheme (the browser's
`prefers-color-scheme`), and the widget's `data-theme` against the scheme. Every state must have
no violation. The keyboard test walks the Tab order through the widget, checks that each stop
shows a focus indicator, and that an answer arrives in the live region without moving the focus
away from the question box.

The server and browser are test_browser.py's fixtures. Screenshots go to its folder
(/tmp/cluster-assistant-e2e/ or $CLUSTER_ASSISTANT_E2E_DIR). Skipped, with the reason, when
Playwright, Chromium or axe-core (`make browser` installs it) is missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # pragma: no cover - depends on the environment
    pytest.skip("playwright is not installed: `pip install -e '.[dev]'`", allow_module_level=True)

# Importing test_browser skips this module with its reason when Chromium is missing.
from tests.e2e import axe, test_browser
from tests.e2e.test_browser import PHONE, QUESTION, Live, Tab, _ask, _open_tab, _open_widget

if (reason := axe.missing()) is not None:
    pytest.skip(reason, allow_module_level=True)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.enable_socket]

# test_browser.py's fixtures: its server (module-scoped: one more for this module), browser, tab.
live = test_browser.live
browser = test_browser.browser
tab = test_browser.tab

THEMES = ["light", "dark"]
REFUSED_QUESTION = "Who won the football world cup in 1998?"
EMBED_TAG = '<script src="/widget.js" data-title="Cluster Policy Assistant"></script>'
LAUNCHER = "Open chat: Cluster Policy Assistant"
HIDE = "Hide chat"  # the launcher while the panel is open

# The focused element, through open shadow roots, and whether it shows a focus indicator: a
# drawn outline or a box shadow while it matches :focus-visible.
FOCUSED = """
() => {
  let node = document.activeElement;
  while (node && node.shadowRoot && node.shadowRoot.activeElement) {
    node = node.shadowRoot.activeElement;
  }
  if (!node || node === document.body) return null;
  const style = getComputedStyle(node);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return {
    name: node.getAttribute("aria-label") ||
      (node.labels && node.labels.length ? node.labels[0].textContent : node.textContent)
        .trim().replace(/\s+/g, " ").slice(0, 60),
    role: node.getAttribute("role") || node.tagName.toLowerCase(),
    classes: node.className && typeof node.className === "string" ? node.className : "",
    focusVisible: node.matches(":focus-visible"),
    indicator: outline || style.boxShadow !== "none",
  };
}
"""

# Waits for the running animations that end (the widget's opening and fades, not its typing
# dots), in the page and in the widget's shadow root (document.getAnimations() leaves it out).
SETTLE = """
() => {
  const widget = document.querySelector("cluster-assistant-widget");
  const running = document.getAnimations()
    .concat(widget && widget.shadowRoot ? widget.shadowRoot.getAnimations() : []);
  return Promise.all(running
    .filter((a) => a.effect && a.effect.getComputedTiming().iterations !== Infinity)
    .map((a) => a.finished));
}
"""

# Records every element that receives focus in the page or in the widget, from now on.
RECORD_FOCUS = """
() => {
  window.__focused = [];
  const record = (event) => {
    const node = event.composedPath()[0];
    window.__focused.push(node.getAttribute("aria-label") || node.tagName.toLowerCase());
  };
  document.addEventListener("focusin", record, true);
  document.querySelector("cluster-assistant-widget").shadowRoot
    .addEventListener("focusin", record, true);
}
"""


@contextmanager
def themed(browser: Browser, live: Live, theme: str, **context_args: Any) -> Iterator[Tab]:
    """A fresh tab whose browser prefers the `theme` colour scheme."""
    yield from _open_tab(browser, live, color_scheme=theme, **context_args)


class Audit:
    """axe's violations per state of a page, asserted all at once at the end of a test."""

    def __init__(self, theme: str) -> None:
        self.theme = theme
        self.found: dict[str, list[dict[str, Any]]] = {}

    def check(self, page: Page, state: str) -> None:
        """Run axe on `page` as it is now; save a screenshot named after the state."""
        test_browser._screenshot(page, f"a11y-{state}-{self.theme}.png")
        found = axe.violations(page)
        if found:
            self.found[state] = found

    def assert_clean(self) -> None:
        report = "\n".join(
            f"[{state}, {self.theme}] {axe.describe(v)}" for state, v in self.found.items()
        )
        assert self.found == {}, report


def _settle(page: Page) -> None:
    """Let the widget's opening animations end (axe would read colours mid-fade)."""
    page.evaluate(SETTLE)


@pytest.mark.parametrize("theme", THEMES)
def test_portal_and_viewer(browser: Browser, live: Live, theme: str) -> None:
    with themed(browser, live, theme) as tab:
        page = tab.page
        audit = Audit(theme)
        page.goto(tab.base + "/")
        expect(page.get_by_role("button", name=LAUNCHER)).to_be_visible()
        audit.check(page, "portal")

        answer = page.request.post(tab.base + "/v1/ask", data={"question": QUESTION}).json()
        url = answer["citations"][0]["url"]
        page.goto(tab.base + url)
        expect(page.locator(".passage.highlight")).to_be_in_viewport()
        audit.check(page, "viewer")
        audit.assert_clean()
        tab.check()


@pytest.mark.parametrize("theme", THEMES)
def test_widget_answer_source_card_and_refusal(browser: Browser, live: Live, theme: str) -> None:
    with themed(browser, live, theme) as tab:
        page = tab.page
        audit = Audit(theme)
        _open_widget(tab)
        _settle(page)
        audit.check(page, "widget-welcome")

        answer = _ask(tab, QUESTION)
        expect(answer.locator(".sources .source")).not_to_have_count(0)
        audit.check(page, "widget-answer")

        answer.locator(".bubble button.cite").first.click()
        expect(tab.widget(".card")).to_be_visible()
        _settle(page)
        audit.check(page, "widget-source-card")
        page.keyboard.press("Escape")

        refused = _ask(tab, REFUSED_QUESTION)
        expect(refused).to_have_class(re.compile(r"\brefused\b"))
        audit.check(page, "widget-refused")
        audit.assert_clean()
        tab.check()


@pytest.mark.parametrize("theme", THEMES)
def test_phone_layout(browser: Browser, live: Live, theme: str) -> None:
    with themed(browser, live, theme, **PHONE) as tab:
        page = tab.page
        audit = Audit(theme)
        page.goto(tab.base + "/")
        audit.check(page, "phone-portal")

        page.get_by_role("button", name=LAUNCHER).tap()
        expect(page.get_by_role("dialog", name="Cluster Policy Assistant")).to_be_visible()
        answer = _ask(tab, QUESTION)
        _settle(page)
        audit.check(page, "phone-answer")

        answer.locator(".bubble button.cite").first.tap()
        expect(tab.widget(".card")).to_be_visible()
        _settle(page)
        audit.check(page, "phone-source-card")
        audit.assert_clean()
        tab.check()


@pytest.mark.parametrize(("attribute", "scheme"), [("dark", "light"), ("light", "dark")])
def test_data_theme_overrides_the_colour_scheme(
    browser: Browser, live: Live, attribute: str, scheme: str
) -> None:
    """`data-theme` on the script tag wins over the browser's preference; `auto` follows it."""
    with themed(browser, live, scheme) as tab:
        page = tab.page
        embed = EMBED_TAG.replace("></script>", f' data-theme="{attribute}"></script>')

        def handle(route: Any) -> None:
            response = route.fetch()
            body = response.text()
            assert EMBED_TAG in body
            route.fulfill(response=response, body=body.replace(EMBED_TAG, embed, 1))

        page.route(tab.base + "/", handle)
        _open_widget(tab)
        _settle(page)
        panel = tab.widget(".panel")
        assert _is_dark(panel.evaluate("el => getComputedStyle(el).backgroundColor")) == (
            attribute == "dark"
        )
        # The page itself follows the browser.
        assert _is_dark(page.evaluate("getComputedStyle(document.body).backgroundColor")) == (
            scheme == "dark"
        )
        audit = Audit(f"{attribute}-on-{scheme}")
        audit.check(page, "widget-data-theme")

        page.locator("cluster-assistant-widget").evaluate(
            "el => el.setAttribute('data-theme', 'auto')"
        )
        assert _is_dark(panel.evaluate("el => getComputedStyle(el).backgroundColor")) == (
            scheme == "dark"
        )
        audit.assert_clean()
        tab.check()


def _is_dark(color: str) -> bool:
    """Whether a computed `rgb(…)` colour is dark (relative luminance under one half)."""
    red, green, blue = (int(v) for v in re.findall(r"\d+", color)[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue < 128


def test_axe_checks_inside_the_widget_shadow_root(tab: Tab) -> None:
    """A fault planted in the widget's shadow DOM is found: axe does not stop at the host."""
    page = tab.page
    _open_widget(tab)
    assert axe.violations(page) == [], axe.describe(axe.violations(page))
    tab.widget(".send").evaluate("el => el.removeAttribute('aria-label')")
    found = axe.violations(page)
    assert [rule["id"] for rule in found] == ["button-name"], axe.describe(found)
    # A target in a shadow tree is a path: the host, then the element inside its shadow root.
    assert [node["target"] for node in found[0]["nodes"]] == [
        [["cluster-assistant-widget", ".send"]]
    ]
    assert "button-name" in axe.describe(found) and ".send" in axe.describe(found)
    tab.check()


def _focused(page: Page) -> dict[str, Any]:
    focused: dict[str, Any] | None = page.evaluate(FOCUSED)
    assert focused is not None, "nothing has the focus"
    assert focused["focusVisible"] and focused["indicator"], f"no visible focus: {focused}"
    return focused


def _tab_until(page: Page, name: str, key: str = "Tab", limit: int = 40) -> list[dict[str, Any]]:
    """Press `key` until the focused element is named `name`; every stop on the way."""
    stops = []
    for _ in range(limit):
        page.keyboard.press(key)
        stops.append(_focused(page))
        if stops[-1]["name"] == name:
            return stops
    raise AssertionError(f"{name!r} not reached with {key}: {[s['name'] for s in stops]}")


@pytest.mark.parametrize("theme", THEMES)
def test_keyboard_only(browser: Browser, live: Live, theme: str) -> None:
    with themed(browser, live, theme) as tab:
        page = tab.page
        page.goto(tab.base + "/")
        # Every stop of the portal, up to the launcher, shows where the focus is.
        stops = _tab_until(page, LAUNCHER)
        assert stops[0]["name"] == "Skip to content"

        page.keyboard.press("Enter")
        box = page.get_by_role("textbox", name="Your question")
        expect(box).to_be_focused()
        page.keyboard.type(QUESTION)
        page.evaluate(RECORD_FOCUS)
        page.keyboard.press("Enter")
        answer = tab.widget(".msg.bot[data-done]")
        expect(answer).to_have_count(1)
        expect(answer.locator(".bubble .text")).to_contain_text("150,000")
        # The answer arrived in the polite live region; the focus stayed in the question box.
        live_region = answer.evaluate(
            "n => { const r = n.closest('[aria-live]'); return r && "
            "[r.getAttribute('role'), r.getAttribute('aria-live'), r.getAttribute('aria-busy')]; }"
        )
        assert live_region == ["log", "polite", "false"]
        expect(box).to_be_focused()
        assert page.evaluate("window.__focused") == []

        # Backwards from the question box to the launcher, then forwards to the send button: the
        # header's buttons, the answer's citations, its sources and rating, the box, the button.
        order = _tab_until(page, HIDE, key="Shift+Tab")[::-1]
        forwards = _tab_until(page, "Send question")
        assert [s["name"] for s in forwards] == [s["name"] for s in order[1:]] + [
            "Your question",
            "Send question",
        ]
        names = [s["name"] for s in order]
        kinds = [s["classes"].split()[0] if s["classes"] else s["role"] for s in order]
        assert names[:3] == [HIDE, "New conversation", "Close chat"], names
        assert kinds[-2:] == ["vote", "vote"], kinds
        cites = [k for k, kind in enumerate(kinds) if kind == "cite"]
        sources = [k for k, kind in enumerate(kinds) if kind == "source"]
        assert cites and sources and max(cites) < min(sources), kinds

        # A citation opens its card by keyboard: the focus moves into it, Escape brings it back.
        _tab_until(page, order[cites[0]]["name"], key="Shift+Tab")
        test_browser._screenshot(page, f"a11y-keyboard-focus-{theme}.png")
        page.keyboard.press("Enter")
        expect(tab.widget(".card .card-title")).to_be_focused()
        assert _tab_until(page, "Close source")[-1]["name"] == "Close source"
        page.keyboard.press("Tab")
        link = _focused(page)
        assert link["role"] == "a" and "Open document" in link["name"], link
        page.keyboard.press("Escape")
        expect(tab.widget(".card")).to_be_hidden()
        assert _focused(page)["name"] == order[cites[0]]["name"]
        tab.check()
