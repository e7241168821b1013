"""The soak's Markdown report and its RSS plot."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.bench.soak import KINDS


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join("–" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _kinds(setup: dict[str, Any]) -> str:
    rows = []
    for kind in [*KINDS, "all"]:
        found = setup["kinds"][kind]
        latency = found["latency_ms"]
        rows.append(
            [
                f"**{kind}**" if kind == "all" else kind,
                found["requests"],
                found["errors"],
                *(latency.get(p) for p in ("p50", "p95", "p99", "max")),
            ]
        )
    return _table(["kind", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms"], rows)


def _rss(setup: dict[str, Any]) -> list[str]:
    rss = setup["rss"]
    lines = [
        _table(
            [
                "segment",
                "from s",
                "to s",
                "start MiB",
                "end MiB",
                "min MiB",
                "max MiB",
                "end − start",
            ],
            [
                [
                    name,
                    s.get("from_s"),
                    s.get("to_s"),
                    s.get("start_mb"),
                    s.get("end_mb"),
                    s.get("min_mb"),
                    s.get("max_mb"),
                    s.get("growth_mb"),
                ]
                for name, s in (
                    ("after warm-up", rss["after_warm_up"]),
                    ("after the ingest", rss.get("after_ingest") or {}),
                )
            ],
        ),
    ]
    per = rss["after_warm_up"].get("per_process") or {}
    if len(per) > 1:
        lines += [
            "",
            "Per process, after warm-up (MiB, start / end / max): "
            + "; ".join(f"`{k}` {v['start']} / {v['end']} / {v['max']}" for k, v in per.items())
            + ".",
        ]
    return lines


def _ingest(setup: dict[str, Any]) -> list[str]:
    ingest = setup["ingest"]
    rows = [
        [
            f["file"],
            f.get("status_code"),
            f.get("status") or f.get("error"),
            f.get("doc_id"),
            f.get("chunks"),
            f.get("seconds"),
        ]
        for f in ingest["files"]
    ]
    seen = setup["visibility"]
    visible = [
        [
            d["doc_id"],
            "yes" if d["listed"] else "**no**",
            "; ".join(
                f"{q['id']} cited on {q['cited_on']}/{seen['connections_per_question']}"
                for q in d["questions"]
            )
            or "no question",
            "yes" if d["answered_with_citation"] else "**no**",
        ]
        for d in seen["documents"]
    ]
    return [
        f"Uploaded one after another through `POST /v1/documents` during the load: "
        f"{ingest['seconds']} s in all, from {ingest['started_at_s']} s to "
        f"{ingest['finished_at_s']} s of the run.",
        "",
        _table(["file", "status code", "status", "doc id", "chunks", "seconds"], rows),
        "",
        "Afterwards (`GET /v1/documents` lists it; real-policy questions about it, each asked on "
        "fresh connections, cite it on every one):",
        "",
        _table(["document", "listed", "questions", "answered with a citation"], visible),
    ]


def _setup(setup: dict[str, Any], figure: Path | None) -> list[str]:
    if "failed" in setup:
        return [f"## `{setup['command']}`", "", f"**Failed:** `{setup['failed']}`", ""]
    plan = setup["plan"]
    lines = [
        f"## `{setup['command']}`",
        "",
        f"Store: {setup['store']}. Ready in {setup['ready_s']} s. After "
        f"{setup['warm_up']['requests']} warm-up requests ({setup['warm_up']['errors']} errors), "
        f"**{setup['requests']} requests at "
        f"concurrency {plan['concurrency']} in {setup['seconds']} s "
        f"({setup['requests_per_s']} req/s), {setup['errors']} errors.**",
        "",
        _kinds(setup),
        "",
        "### Server memory (RSS, sampled every second)",
        "",
        *_rss(setup),
        "",
        "### Ingest during the load",
        "",
        *_ingest(setup),
        "",
    ]
    samples = [e for k in KINDS for e in setup["kinds"][k]["error_samples"]]
    if samples:
        lines += ["Errors seen (samples):", "", *(f"- `{s}`" for s in samples), ""]
    return lines


def markdown(results: dict[str, Any], figure: Path | None) -> str:
    """The report: when, where, what was sent, then per setup the tables."""
    machine = results["machine"]
    git = machine.get("git") or {}
    commit = str(git.get("commit") or "?") + (
        " (with uncommitted changes)" if git.get("dirty") else ""
    )
    first = results["setups"][0]["plan"]
    mix = ", ".join(f"{k} {v}" for k, v in first["mix"].items())
    lines = [
        "# Soak: mixed load while documents are ingested",
        "",
        f"Written by `{results['command']}` on {results['started_at']} "
        f"({results['seconds']:.0f} s), commit {commit}.",
        "",
        f"- **Machine:** {results['machine_line']}; {machine.get('memory_gb')} GB memory; load "
        f"average at start {machine.get('load_average_at_start')}, at end "
        f"{machine.get('load_average_at_end')}"
        + (
            f"; other processes used {machine['other_processes_cpu_share']:.0%} of the CPU time."
            if machine.get("other_processes_cpu_share") is not None
            else "."
        ),
        f"- **Load:** closed-loop clients, one keep-alive connection each; the mix per 13 "
        f"requests: {mix} (streams read to their end); questions from "
        "`evals/datasets/cluster_gold.jsonl`. No rate limit. The load continues past the request "
        f"count until the last upload has finished, then for {first['after_ingest']} requests "
        "more.",
        f"- **Uploads during the load:** {', '.join(first['uploads'])}.",
        "- **Errors:** any transport error, any status other than 2xx, a stream without its final "
        "event (`done`; a `stop` chunk and `[DONE]`) or with an error event.",
        "- **RSS:** the server process and every process it started, summed, sampled every second; "
        "judged after the warm-up, and again from the end of the ingest (the ingest loads the "
        "models it needs into the server).",
        "",
    ]
    for setup in results["setups"]:
        lines += _setup(setup, figure)
    if figure is not None:
        lines += ["## RSS over time", "", f"![Server RSS over the soak]({figure.name})", ""]
    return "\n".join(lines)


def rss_figure(results: dict[str, Any], path: Path) -> Path | None:
    """Server RSS over time per setup, warm-up end and ingest span marked; None without
    matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    setups = [s for s in results["setups"] if "failed" not in s]
    fig, axes = plt.subplots(1, len(setups), figsize=(6 * len(setups), 3.4), squeeze=False)
    for ax, setup in zip(axes[0], setups, strict=True):
        samples = setup["rss"]["samples"]
        ax.plot([s["t"] for s in samples], [s["mb"] for s in samples], label="RSS, all processes")
        ax.axvline(
            setup["timeline_s"]["warm_up_end"], color="grey", linestyle=":", label="warm-up end"
        )
        ingest = setup["ingest"]
        if ingest["started_at_s"] is not None and ingest["finished_at_s"] is not None:
            ax.axvspan(ingest["started_at_s"], ingest["finished_at_s"], alpha=0.15, label="ingest")
        ax.axvline(setup["timeline_s"]["load_end"], color="black", linestyle="--", label="load end")
        ax.set(title=setup["command"], xlabel="seconds", ylabel="MiB")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    caption = f"{results['machine_line']} · {results['started_at']} · `{results['command']}`"
    fig.text(0.01, -0.02, caption, fontsize=6.5, va="top", ha="left")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path
