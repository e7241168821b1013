"""Compare two evaluation runs: metric deltas and the cases that flipped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _load(folder: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    with (folder / "results.jsonl").open(encoding="utf-8") as handle:
        rows = {row["id"]: row for row in map(json.loads, handle)}
    return summary, rows


def compare(old: Path, new: Path) -> str:
    """A Markdown table of metric deltas, then the cases that went right → wrong and back."""
    old_summary, old_rows = _load(old)
    new_summary, new_rows = _load(new)
    lines = ["| metric | old | new | delta |", "|---|---|---|---|"]
    for key in sorted(set(old_summary) | set(new_summary)):
        a, b = old_summary.get(key), new_summary.get(key)
        if isinstance(a, int | float) and isinstance(b, int | float):
            lines.append(f"| {key} | {a} | {b} | {b - a:+.4f} |")
    worse = [
        i
        for i in new_rows
        if i in old_rows and old_rows[i]["correct"] and not new_rows[i]["correct"]
    ]
    better = [
        i
        for i in new_rows
        if i in old_rows and not old_rows[i]["correct"] and new_rows[i]["correct"]
    ]
    lines += ["", f"## Right → wrong ({len(worse)})", ""]
    lines += [f"- {i}: {new_rows[i]['question']}" for i in worse]
    lines += ["", f"## Wrong → right ({len(better)})", ""]
    lines += [f"- {i}: {new_rows[i]['question']}" for i in better]
    return "\n".join(lines) + "\n"
