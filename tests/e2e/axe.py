"""axe-core, Deque's accessibility engine, run in a Playwright page: its WCAG violations, readable.

axe-core comes from the npm registry, pinned in the Makefile (`make browser` installs it under
.cache/axe/); $AXE_CORE names another axe.min.js. Without it, `missing()` says why, for a skip.

    from tests.e2e import axe

    found = axe.violations(page)  # the whole page, open shadow roots included
    assert found == [], axe.describe(found)

The script is evaluated through Playwright (DevTools), which the pages' `script-src 'self'`
does not block, so no context needs `bypass_csp`. axe looks inside open shadow roots by itself:
the widget's controls are checked with the page.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
INSTALLED = ROOT / ".cache" / "axe" / "node_modules" / "axe-core"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA (axe tags each rule with the levels it tests).
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")

# Runs axe on `context` (a selector, a node list or axe's include/exclude object; null: the page).
_RUN = """
([context, tags]) => window.axe.run(context ?? document, {
  runOnly: { type: "tag", values: tags },
  resultTypes: ["violations"],
})
"""


def script() -> Path:
    """The axe.min.js to inject: $AXE_CORE, else the Makefile's copy."""
    explicit = os.environ.get("AXE_CORE")
    return Path(explicit) if explicit else INSTALLED / "axe.min.js"


def missing() -> str | None:
    """Why axe cannot run here, or None when it can."""
    path = script()
    if path.is_file():
        return None
    return f"axe-core not found ({path}): `make browser` installs it with npm"


@cache
def _source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def results(page: Page, context: str | dict[str, Any] | None = None) -> dict[str, Any]:
    """axe's whole result for `page` (or the part `context` names): violations with every node,
    passes and incomplete checks with one node each. axe is injected once per document."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_source(script()))
    result: dict[str, Any] = page.evaluate(_RUN, [context, list(TAGS)])
    return result


def violations(page: Page, context: str | dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """axe's WCAG 2.2 AA violations in `page` (or in `context`): [] when there are none."""
    found: list[dict[str, Any]] = results(page, context)["violations"]
    return found


def describe(found: list[dict[str, Any]]) -> str:
    """The violations for an assertion message: per rule its id, impact and help, then per
    element its selector (a list for shadow DOM: host, then the element inside) and axe's
    summary of what to fix."""
    if not found:
        return "no axe violations"
    lines = [f"{len(found)} axe rule(s) violated:"]
    for rule in found:
        lines.append(f"- {rule['id']} ({rule.get('impact')}): {rule['help']} <{rule['helpUrl']}>")
        for node in rule["nodes"]:
            target = " >> ".join(
                " ".join(part) if isinstance(part, list) else str(part) for part in node["target"]
            )
            lines.append(f"    {target}")
            summary = " ".join(str(node.get("failureSummary") or "").split())
            if summary:
                lines.append(f"      {summary}")
    return "\n".join(lines)
