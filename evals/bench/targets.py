"""The targets of issue 13, judged against one run's results, each with what limits a miss."""

from __future__ import annotations

from typing import Any

from evals.bench.config import STARTER

QUERY_TARGET_CHUNKS = 100_000


def _store(rows: list[dict[str, Any]], label: str | None) -> dict[str, Any] | None:
    """The row of the starter store (else the smallest); the largest when `label` is None."""
    usable = [r for r in rows if "failed" not in r]
    if not usable:
        return None
    if label is None:
        return max(usable, key=lambda r: r.get("chunks", 0))
    for row in usable:
        if row["store"] == label:
            return row
    return min(usable, key=lambda r: r.get("chunks", 0))


def _level(row: dict[str, Any], concurrency: int) -> dict[str, Any] | None:
    return next((lv for lv in row.get("levels", []) if lv["concurrency"] == concurrency), None)


def _target(
    ident: str,
    figure: str,
    target: str,
    measured: str,
    met: bool | None,
    where: str,
    limit: str = "",
) -> dict[str, Any]:
    return {
        "id": ident,
        "figure": figure,
        "target": target,
        "measured": measured,
        "met": met,
        "where": where,
        "limit": "" if met else limit,
    }


def _slowest_stage(query_row: dict[str, Any]) -> tuple[str, float]:
    stages = query_row.get("stages_ms", {})
    name = max(stages, key=lambda s: stages[s].get("p95", 0.0), default="?")
    return name, float(stages.get(name, {}).get("p95", 0.0))


def startup_limit(row: dict[str, Any]) -> str:
    """Where start-up time goes, from the phase probe (a process doing what `serve` does)."""
    phases = row.get("startup_phases")
    if not phases:
        return "the start-up phases were not measured"
    known = sum(phases.values())
    return (
        f"interpreter start {phases['interpreter_s']:.1f} s, imports (CLI and app) "
        f"{phases['imports_s']:.1f} s, model load (torch, sentence-transformers, weights) "
        f"{phases['model_s']:.1f} s, stage warm-up (store, BM25 index, catalogue) "
        f"{phases['warm_up_s']:.1f} s, uvicorn start and the rest "
        f"{max(0.0, row['start_to_ready_s'] - known):.1f} s (phases timed in a separate process)"
    )


def judge(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target with the measured figure, met / missed (None: not measured) and the limit."""
    found: list[dict[str, Any]] = []
    ingest = results.get("ingest") or {}
    query = results.get("query") or {}
    service = results.get("service") or {}
    cores = (results.get("machine") or {}).get("cpu", {}).get("usable_cores", "?")
    query_rows = query.get("stores", [])
    starter_query = _store(query_rows, STARTER)
    profile = query.get("profile") or {}
    top = (profile.get("top") or [{}])[0].get("function", "?")

    corpora = [c for c in ingest.get("corpora", []) if "ratio" in c]
    for corpus in corpora:
        found.append(
            _target(
                f"ingest-ratio-{corpus['corpus']}",
                f"ingest chunks/s ÷ raw encode chunks/s ({corpus['corpus']})",
                "≥ 0.90",
                f"{corpus['ratio']:.2f} ({corpus['pipeline_chunks_per_s']} vs "
                f"{corpus['raw_chunks_per_s']} chunks/s)",
                corpus["ratio"] >= 0.9,
                f"{corpus['chunks']} chunks, {corpus['texts_embedded']} texts embedded",
                f"the pipeline spent {corpus['pipeline_embed_s']:.1f} s of "
                f"{corpus['pipeline_s']:.1f} s in `embed` ({corpus['embed_calls']} calls), "
                f"{corpus['pipeline_other_s']:.1f} s in parsing, chunking and store writes; "
                "one raw `encode` of the same texts took "
                f"{corpus['raw_s']:.1f} s",
            )
        )
    starter_ingest = next((c for c in corpora if c["corpus"] == STARTER), None)
    if starter_ingest:
        wall = starter_ingest["unchanged_wall_median_s"]
        inside = starter_ingest["unchanged_in_process_median_s"]
        found.append(
            _target(
                "unchanged-reingest-wall",
                "unchanged re-ingest, `cluster-assistant ingest` wall clock",
                "≤ 1.5 s",
                f"{wall:.2f} s (in process {inside:.2f} s)",
                wall <= 1.5,
                f"starter corpus ({starter_ingest['chunks']} chunks), median of "
                f"{len(starter_ingest['unchanged_subprocess'])}",
                f"{inside:.2f} s is the ingest itself; the other {wall - inside:.2f} s is "
                "interpreter start and imports before any file is looked at",
            )
        )

    service_rows = service.get("stores", [])
    row = _store(service_rows, STARTER)
    if row:
        where = f"{row['store']} store ({row['chunks']} chunks)"
        found.append(
            _target(
                "start-to-ready",
                "start to ready (`serve` spawn → first 200 of /readyz)",
                "≤ 3 s",
                f"{row['start_to_ready_s']:.1f} s",
                row["start_to_ready_s"] <= 3.0,
                where,
                startup_limit(row),
            )
        )
        found.append(
            _target(
                "rss-starter",
                "server RSS (peak under load; ready in brackets)",
                "≤ 600 MiB",
                f"{row['rss_peak_mb']:.0f} MiB ({row['rss_ready_mb']:.0f})",
                row["rss_peak_mb"] <= 600,
                where,
                "torch, the model, Chroma and the BM25 index in one process (RSS per store size "
                "in the service table)",
            )
        )
        top_level = max(lv["concurrency"] for lv in row["levels"]) if row["levels"] else None
        high = _level(row, 16) or (_level(row, top_level) if top_level else None)
        mid = _level(row, 4)
        if high:
            c = high["concurrency"]
            busy = high.get("server_cores_busy", 0.0)
            bound = (
                f"the server kept {busy:.1f} of {cores} cores busy (CPU-bound)"
                if isinstance(cores, int) and busy >= 0.8 * cores
                else f"the server kept only {busy:.1f} of {cores} cores busy (waiting, not "
                "computing)"
            )
            slow = ""
            if starter_query:
                name, ms = _slowest_stage(starter_query)
                slow = f"slowest stage in process: {name} (p95 {ms:.0f} ms)"
            found.append(
                _target(
                    "throughput-c16",
                    f"answered req/s at concurrency {c}",
                    "≥ 60",
                    f"{high['answered_per_s']:.1f} ({high['errors']} errors)",
                    high["answered_per_s"] >= 60 and high["errors"] == 0 if c == 16 else None,
                    where,
                    f"{bound}; {slow}; top own-time function at the largest store: `{top}`",
                )
            )
            p95 = high["latency_ms"].get("p95", float("inf"))
            found.append(
                _target(
                    "p95-c16",
                    f"request p95 at concurrency {c}",
                    "≤ 400 ms",
                    f"{p95:.0f} ms",
                    p95 <= 400 if c == 16 else None,
                    where,
                    f"{bound}: requests queue for the cores",
                )
            )
            if mid and c == 16:
                found.append(
                    _target(
                        "no-fall-4-16",
                        "throughput does not fall from concurrency 4 to 16",
                        "req/s at 16 ≥ at 4",
                        f"{mid['answered_per_s']:.1f} → {high['answered_per_s']:.1f}",
                        high["answered_per_s"] >= mid["answered_per_s"],
                        where,
                        f"{bound}; more threads than cores contend for them",
                    )
                )

    broken = [r for r in query_rows if "failed" in r and r["chunks"] >= QUERY_TARGET_CHUNKS]
    largest = _store(query_rows, None)
    if broken:
        found.append(
            _target(
                "query-p95-100k",
                "warm answer p95 in process at 100k chunks",
                "≤ 150 ms",
                f"failed at {broken[0]['chunks']} chunks",
                False,
                f"{broken[0]['store']} store",
                broken[0]["failed"],
            )
        )
    elif largest:
        p95 = largest["total_ms"].get("p95", float("inf"))
        stage, stage_p95 = _slowest_stage(largest)
        reached = largest["chunks"] >= QUERY_TARGET_CHUNKS
        found.append(
            _target(
                "query-p95-100k",
                "warm answer p95 in process at 100k chunks",
                "≤ 150 ms",
                f"{p95:.0f} ms at {largest['chunks']} chunks",
                (p95 <= 150) if reached else None,
                f"{largest['store']} store"
                + ("" if reached else " (100k not measured in this run)"),
                f"slowest stage: {stage} (p95 {stage_p95:.0f} ms); top own-time function: `{top}`",
            )
        )
    return found
