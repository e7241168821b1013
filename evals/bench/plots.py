"""The report's figures (PNG), each with the machine, backend and command printed under it."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

TARGET_STYLE = {"color": "black", "linestyle": "--", "linewidth": 1}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path, caption: str) -> str:
    fig.text(0.01, -0.02, textwrap.fill(caption, 150), fontsize=6.5, va="top", ha="left")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    _pyplot().close(fig)
    return path.name


def ingest_figure(ingest: dict[str, Any], folder: Path, caption: str) -> str | None:
    """Pipeline vs raw chunks/s per corpus, with the 0.9 × raw target."""
    corpora = [c for c in ingest.get("corpora", []) if "ratio" in c]
    if not corpora:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.2))
    xs = range(len(corpora))
    ax.bar(
        [x - 0.2 for x in xs],
        [c["pipeline_chunks_per_s"] for c in corpora],
        0.4,
        label="ingest pipeline",
    )
    ax.bar(
        [x + 0.2 for x in xs],
        [c["raw_chunks_per_s"] for c in corpora],
        0.4,
        label="raw encode, same texts",
    )
    for x, c in zip(xs, corpora, strict=True):
        target = 0.9 * c["raw_chunks_per_s"]
        ax.hlines(target, x - 0.4, x + 0.4, **TARGET_STYLE)
        ax.annotate(
            f"{c['ratio']:.2f}×",
            (x - 0.2, c["pipeline_chunks_per_s"]),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.plot([], [], **TARGET_STYLE, label="target: 0.9 × raw")
    ax.set_xticks(list(xs), [f"{c['corpus']}\n({c['chunks']} chunks)" for c in corpora])
    ax.set_ylabel("chunks per second")
    ax.legend(fontsize=7)
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, folder / "ingest.png", caption)


def query_figure(query: dict[str, Any], folder: Path, caption: str) -> str | None:
    """Warm answer percentiles by store size, and the median time of each stage."""
    rows = [r for r in query.get("stores", []) if "failed" not in r]
    if not rows:
        return None
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    sizes = [r["chunks"] for r in rows]
    for p in ("p50", "p95", "p99"):
        left.plot(sizes, [r["total_ms"].get(p, 0) for r in rows], marker="o", label=p)
    left.axhline(150, **TARGET_STYLE, label="target p95 ≤ 150 ms (100k)")
    left.set(xscale="log", xlabel="chunks in the store", ylabel="warm answer, ms")
    left.legend(fontsize=7)
    left.grid(alpha=0.3)
    stages = list(rows[0]["stages_ms"])
    bottom = [0.0] * len(rows)
    labels = [
        r["store"] if r["store"] == str(r["chunks"]) else f"{r['store']}\n{r['chunks']}"
        for r in rows
    ]
    for stage in stages:
        heights = [r["stages_ms"][stage].get("p50", 0.0) for r in rows]
        right.bar(labels, heights, bottom=bottom, label=stage)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    right.set(ylabel="median ms per stage", xlabel="store")
    right.legend(fontsize=7)
    right.grid(axis="y", alpha=0.3)
    return _save(fig, folder / "query.png", caption)


def service_figure(service: dict[str, Any], folder: Path, caption: str) -> str | None:
    """Answered req/s and request p95 by concurrency, one line per store."""
    rows = [r for r in service.get("stores", []) if "levels" in r]
    if not rows:
        return None
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    for r in rows:
        levels = [lv["concurrency"] for lv in r["levels"]]
        label = f"{r['store']} ({r['chunks']} chunks)"
        left.plot(levels, [lv["answered_per_s"] for lv in r["levels"]], marker="o", label=label)
        right.plot(
            levels, [lv["latency_ms"].get("p95", 0) for lv in r["levels"]], marker="o", label=label
        )
    left.axhline(60, **TARGET_STYLE, label="target ≥ 60 at 16")
    right.axhline(400, **TARGET_STYLE, label="target p95 ≤ 400 ms at 16")
    for ax, ylabel in ((left, "answered requests / s"), (right, "request p95, ms")):
        ax.set(xscale="log", xlabel="concurrent clients", ylabel=ylabel)
        ax.set_xticks(sorted({lv["concurrency"] for r in rows for lv in r["levels"]}))
        ax.get_xaxis().set_major_formatter(_plain())
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    return _save(fig, folder / "service.png", caption)


def resources_figure(service: dict[str, Any], folder: Path, caption: str) -> str | None:
    """Start-to-ready and server RSS by store size."""
    rows = [r for r in service.get("stores", []) if "levels" in r]
    if not rows:
        return None
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
    sizes = [r["chunks"] for r in rows]
    left.plot(sizes, [r["start_to_ready_s"] for r in rows], marker="o", label="start to ready")
    left.axhline(3, **TARGET_STYLE, label="target ≤ 3 s")
    left.set(xscale="log", xlabel="chunks in the store", ylabel="seconds")
    right.plot(sizes, [r["rss_ready_mb"] for r in rows], marker="o", label="RSS when ready")
    right.plot(sizes, [r["rss_peak_mb"] for r in rows], marker="o", label="RSS peak under load")
    right.axhline(600, **TARGET_STYLE, label="target ≤ 600 MiB (starter corpus)")
    right.set(xscale="log", xlabel="chunks in the store", ylabel="MiB")
    for ax in (left, right):
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    return _save(fig, folder / "resources.png", caption)


def _plain() -> Any:
    from matplotlib.ticker import ScalarFormatter

    formatter = ScalarFormatter()
    formatter.set_scientific(False)
    return formatter


def draw(results: dict[str, Any], folder: Path, caption: str) -> dict[str, str]:
    """Every figure the results allow: name → file name inside `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    made = {
        "ingest": ingest_figure(results.get("ingest") or {}, folder, caption),
        "query": query_figure(results.get("query") or {}, folder, caption),
        "service": service_figure(results.get("service") or {}, folder, caption),
        "resources": resources_figure(results.get("service") or {}, folder, caption),
    }
    return {name: file for name, file in made.items() if file}
