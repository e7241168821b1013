"""Evaluation outputs: results.jsonl, summary.json, a Markdown report and a self-contained HTML
report (metric table, the dev and test halves, three plots, the failed cases)."""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from evals.results import KS, CaseResult

TABLES = frozenset({"by_kind", "halves"})
"""Summary entries shown as tables of their own rather than in the metric table."""


def halves_table(summary: dict[str, Any]) -> list[list[str]]:
    """The halves as rows of text: a header (metric, then each half), then one row per metric."""
    halves: dict[str, dict[str, Any]] = summary.get("halves") or {}
    if not halves:
        return []
    names = list(halves)
    metrics = list(dict.fromkeys(key for half in halves.values() for key in half))
    rows = [["metric", *names]]
    for metric in metrics:
        rows.append([metric, *(str(halves[n].get(metric, "–")) for n in names)])
    return rows


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def plots(
    results: Sequence[CaseResult], summary: dict[str, Any], threshold: float | None
) -> dict[str, str]:
    """Base64 PNGs: recall@k curve, refusal-score distributions, latency histogram."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images: dict[str, str] = {}
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(KS, [summary.get(f"recall@{k}", 0) for k in KS], marker="o")
    ax.set(xlabel="k", ylabel="recall@k (gold documents)", ylim=(0, 1.02), xticks=KS)
    ax.grid(alpha=0.3)
    images["Recall@k"] = _png(fig)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 3.2))
    answerable = [r.evidence_score for r in results if r.answerable]
    unanswerable = [r.evidence_score for r in results if not r.answerable]
    bins = [i / 40 for i in range(41)]
    ax.hist(answerable, bins=bins, alpha=0.6, label=f"answerable ({len(answerable)})")
    ax.hist(unanswerable, bins=bins, alpha=0.6, label=f"unanswerable ({len(unanswerable)})")
    if threshold is not None:
        ax.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:.2f}")
    ax.set(xlabel="evidence score (refusal score)", ylabel="questions")
    ax.legend(fontsize=8)
    images["Refusal score by answerability"] = _png(fig)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.hist([r.latency_ms for r in results], bins=20)
    ax.set(xlabel="latency per question (ms, warm)", ylabel="questions")
    images["Latency"] = _png(fig)
    plt.close(fig)
    return images


def render_html(
    results: Sequence[CaseResult], summary: dict[str, Any], threshold: float | None, title: str
) -> str:
    """The whole report as one HTML page (plots inlined)."""
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(k)}</td><td>{esc(str(v))}</td></tr>"
        for k, v in summary.items()
        if k not in TABLES
    )
    split = halves_table(summary)
    halves = ""
    if split:
        head = "".join(f"<th>{esc(c)}</th>" for c in split[0])
        body = "".join(
            "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in split[1:]
        )
        halves = f"<h2>Dev and test halves</h2><table><tr>{head}</tr>{body}</table>"
    kinds = "".join(
        f"<tr><td>{esc(k)}</td><td>{v['cases']}</td><td>{v['accuracy']}</td></tr>"
        for k, v in summary.get("by_kind", {}).items()
    )
    figures = "".join(
        f'<figure><img alt="{esc(name)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{esc(name)}</figcaption></figure>"
        for name, data in plots(results, summary, threshold).items()
    )
    worst = sorted((r for r in results if not r.correct), key=lambda r: (r.answerable, r.id))
    cases = "".join(
        f"<article><h3>{esc(r.id)} · {esc(r.kind)} · "
        f"{'should decline' if not r.answerable else 'declined' if r.refused else 'missing facts'}"
        f"</h3><p><b>Q:</b> {esc(r.question)}</p><pre>{esc(r.answer)}</pre>"
        f"<p class=meta>evidence {r.evidence_score} · retrieved "
        f"{esc(', '.join(r.retrieved_doc_ids[:5]))}</p></article>"
        for r in worst
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>
body{{font:15px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:3px 8px}}
figure{{display:inline-block;margin:0 1em 1em 0}}pre{{white-space:pre-wrap;background:#f6f6f6;
padding:.5em}}.meta{{color:#666;font-size:13px}}
</style></head><body>
<h1>{esc(title)}</h1>
<h2>Metrics</h2><table>{rows}</table>
{halves}
<h2>By kind</h2><table><tr><th>kind</th><th>cases</th><th>accuracy</th></tr>{kinds}</table>
<h2>Plots</h2>{figures}
<h2>Cases answered wrongly ({len(worst)})</h2>{cases}
</body></html>
"""


def write_outputs(
    out: Path,
    results: Sequence[CaseResult],
    summary: dict[str, Any],
    threshold: float | None = None,
    title: str = "Evaluation report",
) -> None:
    """results.jsonl, summary.json, report.md and report.html in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("w", encoding="utf-8") as handle:
        for r in results:
            row = asdict(r) | {"correct": r.correct}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (out / "report.md").write_text(render_markdown(results, summary), encoding="utf-8")
    (out / "report.html").write_text(
        render_html(results, summary, threshold, title), encoding="utf-8"
    )


def render_markdown(results: Sequence[CaseResult], summary: dict[str, Any]) -> str:
    """A readable report: the metric table, the dev and test halves, per-kind accuracy, and the
    failed cases."""
    lines = ["# Evaluation report", "", "| metric | value |", "|---|---|"]
    for key, value in summary.items():
        if key not in TABLES:
            lines.append(f"| {key} | {value} |")
    split = halves_table(summary)
    if split:
        lines += ["", "## Dev and test halves", ""]
        lines.append("| " + " | ".join(split[0]) + " |")
        lines.append("|" + "---|" * len(split[0]))
        lines += ["| " + " | ".join(row) + " |" for row in split[1:]]
    lines += ["", "## By kind", "", "| kind | cases | accuracy |", "|---|---|---|"]
    for kind, row in summary["by_kind"].items():
        lines.append(f"| {kind} | {row['cases']} | {row['accuracy']} |")
    lines += ["", "## Cases answered wrongly", ""]
    for r in results:
        if not r.correct:
            verdict = (
                "should decline"
                if not r.answerable
                else ("declined" if r.refused else f"facts {r.metrics.get('fact_hit', 0):.2f}")
            )
            lines += [
                f"### {r.id} ({r.kind}): {verdict}",
                f"**Q:** {r.question}",
                "",
                f"**A:** {r.answer}",
                "",
                f"retrieved: {', '.join(r.retrieved_doc_ids[:5])}; evidence {r.evidence_score}",
                "",
            ]
    return "\n".join(lines) + "\n"
