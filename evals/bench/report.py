"""The results file (JSON) and `docs/benchmarks.md`: tables, plots, targets and a closing note."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.bench import plots
from evals.bench.machine import backend_line, busy, describe
from evals.bench.synthetic import MIN_WORDS


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join("–" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(met: bool | None) -> str:
    """`met`, `**missed**` or `not measured`."""
    return "not measured" if met is None else ("met" if met else "**missed**")


def _ms(summary: dict[str, Any], key: str) -> str:
    value = summary.get(key)
    return "–" if value is None else f"{value:.1f}"


def _caption(results: dict[str, Any]) -> str:
    return f"_{describe(results['machine'])} · `{results['command']}`_"


def _header(results: dict[str, Any]) -> list[str]:
    machine = results["machine"]
    cpu = machine["cpu"]
    git = machine.get("git") or {}
    packages = ", ".join(f"{k} {v}" for k, v in machine.get("packages", {}).items())
    commit = git.get("commit") or "?"
    if git.get("dirty"):
        commit += " (with uncommitted changes)"
    return [
        "# Benchmarks",
        "",
        f"Written by one run of `{results['command']}` on {results['started_at']} "
        f"({results['seconds']:.0f} s). Rerun the command to reproduce; do not edit by hand.",
        "",
        "```bash",
        results["command"],
        "```",
        "",
        f"- **Machine:** {cpu['model']}, {cpu['usable_cores']} usable cores "
        f"({cpu['logical_cores']} logical, {cpu.get('physical_cores') or '?'} physical, "
        f"hypervisor {cpu.get('hypervisor') or 'none'}), {machine.get('memory_gb')} GB memory, "
        f"L3 {cpu.get('l3_cache') or '?'}; load average (1, 5, 15 min) "
        + "; ".join(
            f"at {when} {', '.join(str(x) for x in machine[f'load_average_at_{when}'])}"
            for when in ("start", "end")
            if machine.get(f"load_average_at_{when}")
        )
        + (
            f"; other processes used {machine['other_processes_cpu_share']:.0%} of the CPU "
            "time during the run."
            if machine.get("other_processes_cpu_share") is not None
            else "."
        ),
        *(
            [
                "- **The machine was busy with other work during this run:** on a shared CPU, "
                "torch's threads wait for each other (one short encoding took 0.7 s instead of "
                "0.03 s here under load), so these figures measure contention as much as the "
                "code. Rerun on a quiet machine before comparing them with the targets."
            ]
            if busy(machine)
            else []
        ),
        f"- **SIMD flags:** {', '.join(cpu['simd']) or 'none'} ({cpu['flag_count']} flags in all).",
        f"- **Embedding backend:** {backend_line(machine)}; "
        f"settings `{json.dumps(machine['backend']['embedding'])}`.",
        *(
            [
                "- **Changed for the benchmark:** "
                + ", ".join(f"`{k}={v}`" for k, v in changes.items())
                + " (in process and for the server): the run asks each question once per store "
                "and per concurrency level, and a repeat would be served from the cache without "
                "the embedding a new question pays."
            ]
            if (changes := results.get("settings_changes"))
            else []
        ),
        f"- **Software:** Python {machine['python']}, {packages}; {machine['os']}; "
        f"commit {commit}.",
        "",
    ]


def _targets(results: dict[str, Any]) -> list[str]:
    rows = [
        [t["figure"], t["target"], t["measured"], verdict(t["met"]), t["where"]]
        for t in results["targets"]
    ]
    return [
        "## Targets",
        "",
        _table(["figure", "target", "measured", "", "where"], rows),
        "",
        _caption(results),
        "",
    ]


def _stores(results: dict[str, Any]) -> list[str]:
    stores = results.get("stores") or []
    if not stores:
        return []
    pool = results.get("pool") or {}
    rows = [
        [
            s["label"],
            s["chunks"],
            ", ".join(f"{k} {v}" for k, v in s["by_source"].items()),
            s["units"],
            s["reembedded_units"],
            f"{s['build_seconds']:.0f}" + (" (cached)" if s.get("cached") else ""),
        ]
        for s in stores
    ]
    counts = ", ".join(f"{k} {v}" for k, v in (pool.get("chunks_by_source") or {}).items())
    return [
        "## Stores",
        "",
        f"Real text: the pool of {pool.get('chunks', '?')} real chunks ({counts}), ingested once "
        f"through the real pipeline ({pool.get('seconds', '?')} s when built). A store takes whole "
        "real files in that order (starter corpus first, so the gold questions have their "
        "documents) while they fit. **Real text runs out long before 100k chunks; the rest is "
        "recombined:** each synthetic chunk is a run of real prose sentences (at least "
        f"{MIN_WORDS} words, ending a sentence), each drawn from a different randomly chosen real "
        "passage, until it is as long as a real chunk drawn at random. Its units are those "
        "sentences, with the vectors the ingest stored for them; **its own vector is the "
        "normalised mean of those sentence vectors** (no chunk text is embedded, so 100k chunks "
        "cost no model time); title and section are those of its first sentence's passage. Units "
        "whose sentence splitting did not give back the sentence were embedded (`re-embedded`). "
        "Stores are cached under `DATA_DIR/bench/stores/` by size, so reruns skip the build.",
        "",
        _table(
            ["store", "chunks", "chunks by source", "units (sentences)", "re-embedded", "build s"],
            rows,
        ),
        "",
    ]


def _ingest(results: dict[str, Any]) -> list[str]:
    ingest = results.get("ingest")
    if not ingest:
        return []
    corpora = [c for c in ingest["corpora"] if "ratio" in c]
    skipped = [c for c in ingest["corpora"] if "skipped" in c]
    out = [
        "## Ingest",
        "",
        "A fresh store ingests each corpus through the real pipeline; its embedder records every "
        "text it is given (chunks and their sentence units). Raw encode is one `encode` call "
        "of the same backend's model (`SentenceTransformer.encode`, or the exported ONNX graph) "
        "over exactly those texts, in the same run, with the same batch size. "
        "Ratio = pipeline chunks/s ÷ raw chunks/s.",
        "",
        _table(
            [
                "corpus",
                "files",
                "chunks",
                "texts embedded (units)",
                "pipeline s",
                "in `embed` s",
                "pipeline chunks/s",
                "raw encode s",
                "raw chunks/s",
                "ratio",
                "target ≥ 0.90",
            ],
            [
                [
                    c["corpus"],
                    c["files_indexed"],
                    c["chunks"],
                    f"{c['texts_embedded']} ({c['unit_texts']})",
                    f"{c['pipeline_s']:.1f}",
                    f"{c['pipeline_embed_s']:.1f}",
                    c["pipeline_chunks_per_s"],
                    f"{c['raw_s']:.1f}",
                    c["raw_chunks_per_s"],
                    f"{c['ratio']:.2f}",
                    verdict(c["ratio"] >= 0.9),
                ]
                for c in corpora
            ],
        ),
        "",
    ]
    out += [f"- {c['corpus']}: skipped ({c['skipped']})." for c in skipped]
    out += [
        "Unchanged re-ingest of the same corpus: in process (the `Ingestor` again) and as a new "
        "`cluster-assistant ingest` process (wall clock from spawn to exit).",
        "",
        _table(
            [
                "corpus",
                "in process s",
                "`cluster-assistant ingest` wall s",
                "a no-op",
                "target ≤ 1.5 s wall",
            ],
            [
                [
                    c["corpus"],
                    " / ".join(f"{s:.2f}" for s in c["unchanged_in_process_s"]),
                    " / ".join(f"{w['wall_s']:.2f}" for w in c["unchanged_subprocess"]),
                    "yes" if c["unchanged_wall_ok"] else "**no**",
                    verdict(c["unchanged_wall_median_s"] <= 1.5),
                ]
                for c in corpora
            ],
        ),
        "",
        "One changed file in each benchmark store: the store's starter-corpus files are "
        "re-ingested unchanged, then with one file edited (a sentence appended), then restored.",
        "",
        _table(
            [
                "store",
                "chunks",
                "file",
                "unchanged s",
                "changed s (chunks embedded)",
                "restored s",
                "in step",
            ],
            [
                [
                    c["store"],
                    c["store_chunks"],
                    c["file"],
                    f"{c['unchanged_s']:.2f}",
                    f"{c['changed_s']:.2f} ({c['changed_chunks']})",
                    f"{c['restored_s']:.2f}",
                    "yes" if c["unchanged_in_step"] else "**no**",
                ]
                for c in ingest["changed_file"]
                if "skipped" not in c
            ],
        ),
        "",
        _caption(results),
        "",
    ]
    return out


def _query(results: dict[str, Any]) -> list[str]:
    query = results.get("query")
    if not query:
        return []
    rows = [r for r in query["stores"] if "failed" not in r]
    failed = [
        f"- {r['store']} store ({r['chunks']} chunks): **failed**: {r['failed']}"
        for r in query["stores"]
        if "failed" in r
    ]
    stages = list(rows[0]["stages_ms"]) if rows else []
    out = [
        "## Query",
        "",
        f"Warm `Assistant.answer` (what `/v1/ask` runs), in process, {len(query['questions'])} "
        "questions (the dev halves of the gold and real-policy sets), each asked once after the "
        "stages are warm. Stages are timed by wrapping the container's stages (no pipeline "
        "change): `embed` is the question's embedding, `evidence` the unknown-term and "
        "coverage-gap checks, `other` the rest of the answer's time.",
        "",
        _table(
            [
                "store",
                "chunks",
                "questions",
                "answered",
                "warm-up s (BM25 index)",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "target p95 ≤ 150 ms at 100k",
            ],
            [
                [
                    r["store"],
                    r["chunks"],
                    r["questions"],
                    r["answered"],
                    f"{r['warm_up_s']:.1f} ({r.get('lexical_index') or '?'})",
                    _ms(r["total_ms"], "p50"),
                    _ms(r["total_ms"], "p95"),
                    _ms(r["total_ms"], "p99"),
                    verdict(r["total_ms"].get("p95", 1e9) <= 150)
                    if r["chunks"] >= 100_000
                    else "–",
                ]
                for r in rows
            ],
        ),
        "",
        "Per stage, p50 / p95 ms:",
        "",
        _table(
            ["store", *stages],
            [
                [
                    r["store"],
                    *(
                        f"{_ms(r['stages_ms'][s], 'p50')} / {_ms(r['stages_ms'][s], 'p95')}"
                        for s in stages
                    ),
                ]
                for r in rows
            ],
        ),
        "",
        *([*failed, ""] if failed else []),
        _caption(results),
        "",
    ]
    profile = query.get("profile")
    if profile:
        out += [
            f"Profile (cProfile) of the same questions on the {profile['store']} store "
            f"({profile['wall_s']} s under the profiler), functions by own time:",
            "",
            _table(
                ["function", "calls", "own ms / question", "cumulative ms / question", "own share"],
                [
                    [
                        f"`{t['function']}`",
                        t["calls"],
                        t["own_ms_per_question"],
                        t["cumulative_ms_per_question"],
                        t["own_share"],
                    ]
                    for t in profile["top"]
                ],
            ),
            "",
        ]
    return out


def _service(results: dict[str, Any]) -> list[str]:
    service = results.get("service")
    if not service:
        return []
    rows = []
    failed = []
    for s in service["stores"]:
        if "failed" in s:
            failed.append(f"- {s['store']}: the server failed: {s['failed']}")
            continue
        for lv in s["levels"]:
            lat = lv["latency_ms"]
            rows.append(
                [
                    s["store"],
                    s["chunks"],
                    f"{s['start_to_ready_s']:.1f}",
                    f"{s['rss_ready_mb']:.0f}",
                    f"{s['rss_peak_mb']:.0f}",
                    lv["concurrency"],
                    lv["requests"],
                    lv["answered"],
                    lv["errors"] if not lv["errors"] else f"**{lv['errors']}**",
                    f"{lv['answered_per_s']:.1f}",
                    _ms(lat, "p50"),
                    _ms(lat, "p95"),
                    _ms(lat, "p99"),
                    lv.get("server_cores_busy"),
                ]
            )
    samples = [
        f"- {s['store']}, concurrency {lv['concurrency']}: {'; '.join(lv['error_samples'])}"
        for s in service["stores"]
        if "levels" in s
        for lv in s["levels"]
        if lv["errors"]
    ]
    return [
        "## Service",
        "",
        "`cluster-assistant serve` on loopback per store, rate limit raised to "
        f"`{service['rate_limit']}`. Start to ready: spawn to the first 200 of `/readyz`. "
        "Closed-loop clients with one keep-alive connection each post the benchmark questions "
        "to `/v1/ask`; a "
        f"level stops after {service['max_requests_per_level']} requests or "
        f"{service['max_seconds_per_level']:.0f} s. Answered = 200 with an answer; every other "
        "outcome is an error. Targets: ≥ 60 req/s and p95 ≤ 400 ms at 16, not falling from 4 to "
        "16, ready ≤ 3 s, RSS ≤ 600 MiB at the starter corpus.",
        "",
        _table(
            [
                "store",
                "chunks",
                "ready s",
                "RSS ready MiB",
                "RSS peak MiB",
                "clients",
                "requests",
                "answered",
                "errors",
                "answered/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "server cores busy",
            ],
            rows,
        ),
        "",
        *failed,
        *(["Errors:", "", *samples, ""] if samples else ["Errors: none.", ""]),
        *_startup(service),
        _caption(results),
        "",
    ]


def _startup(service: dict[str, Any]) -> list[str]:
    """Start-up phases per store, from a process doing what `serve` does before it listens."""
    rows = [
        [
            s["store"],
            f"{s['start_to_ready_s']:.1f}",
            *(f"{s['startup_phases'][k]:.1f}" for k in PHASES),
        ]
        for s in service["stores"]
        if s.get("startup_phases")
    ]
    if not rows:
        return []
    return [
        "Where start-up goes (a separate process importing and warming what `serve` does, "
        "phase by phase; the rest of start to ready is uvicorn and the first `/readyz`):",
        "",
        _table(["store", "start to ready s", *PHASES.values()], rows),
        "",
    ]


PHASES = {
    "interpreter_s": "interpreter s",
    "imports_s": "imports (CLI, app) s",
    "model_s": "model load (torch, weights) s",
    "warm_up_s": "stage warm-up s",
}


def _figures(results: dict[str, Any], files: dict[str, str], folder: str) -> list[str]:
    titles = {
        "ingest": "Ingest: pipeline vs raw encode",
        "query": "Query: warm answer latency by store size, and per stage",
        "service": "Service: answered req/s and p95 by concurrency",
        "resources": "Service: start to ready and RSS by store size",
    }
    out = ["## Plots", ""]
    for name, file in files.items():
        out += [f"![{titles[name]}]({folder}/{file})", "", _caption(results), ""]
    return out


def _closing(results: dict[str, Any]) -> list[str]:
    out = ["## Closing note", ""]
    for t in results["targets"]:
        line = f"- **{t['figure']}** ({t['target']}): {t['measured']}, {verdict(t['met'])}"
        if t["met"] is False and t["limit"]:
            line += f". Limited by: {t['limit']}"
        out.append(line + ".")
    return [*out, ""]


def render(results: dict[str, Any], figures: dict[str, str], figures_folder: str) -> str:
    """The whole Markdown report."""
    parts = [
        *_header(results),
        *_targets(results),
        *_stores(results),
        *_ingest(results),
        *_query(results),
        *_service(results),
        *_figures(results, figures, figures_folder),
        *_closing(results),
    ]
    return "\n".join(parts).rstrip() + "\n"


def write(
    results: dict[str, Any], json_path: Path, markdown_path: Path, figures_dir: Path
) -> dict[str, str]:
    """Write the JSON, the plots and the Markdown; returns the plots written."""
    json_path.parent.mkdir(parents=True, exist_ok=True)
    figures = plots.draw(
        results, figures_dir, f"{describe(results['machine'])} · {results['command']}"
    )
    results["figures"] = {name: str(figures_dir / file) for name, file in figures.items()}
    json_path.write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
    relative = (
        figures_dir.relative_to(markdown_path.parent)
        if figures_dir.is_relative_to(markdown_path.parent)
        else figures_dir
    )
    markdown_path.parent.mkdir(parents=True, exist_ok=True)
    markdown_path.write_text(render(results, figures, str(relative)), encoding="utf-8")
    return figures
