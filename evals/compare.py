"""Compare two evaluation runs: metric deltas (overall and per dev/test half) and the cases that
flipped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals.splits import half_of


def _load(folder: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    with (folder / "results.jsonl").open(encoding="utf-8") as handle:
        rows = {row["id"]: row for row in map(json.loads, handle)}
    return summary, rows


def _deltas(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Table rows `| metric | old | new | delta |` for the numbers both summaries have."""
    lines = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, int | float) and isinstance(b, int | float):
            lines.append(f"| {key} | {a} | {b} | {b - a:+.4f} |")
    return lines


def compare(old: Path, new: Path) -> str:
    """A Markdown table of metric deltas, the same per half (dev, test) where both runs have
    halves, then the cases that went right → wrong and back."""
    old_summary, old_rows = _load(old)
    new_summary, new_rows = _load(new)
    lines = ["| metric | old | new | delta |", "|---|---|---|---|"]
    lines += _deltas(old_summary, new_summary)
    old_halves, new_halves = old_summary.get("halves") or {}, new_summary.get("halves") or {}
    for half in (h for h in new_halves if h in old_halves):
        lines += ["", f"## {half.capitalize()} half", ""]
        lines += ["| metric | old | new | delta |", "|---|---|---|---|"]
        lines += _deltas(old_halves[half], new_halves[half])
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
    lines += [f"- {i} ({half_of(i)}): {new_rows[i]['question']}" for i in worse]
    lines += ["", f"## Wrong → right ({len(better)})", ""]
    lines += [f"- {i} ({half_of(i)}): {new_rows[i]['question']}" for i in better]
    return "\n".join(lines) + "\n"
