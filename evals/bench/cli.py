"""`cluster-assistant bench`: ingest, query and service performance → JSON + docs/benchmarks.md.

Imports nothing heavy at module level: `cluster-assistant serve` imports this file too.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

bench_app = typer.Typer(
    help="Measure ingest, query and service speed; write docs/benchmarks.md with plots.",
    invoke_without_command=True,
)


@bench_app.callback()
def bench(
    only: Annotated[
        Optional[str],  # noqa: UP045 - typer needs Optional here
        typer.Option(help="Sections to run, comma-separated: ingest,query,service (default: all)."),
    ] = None,
    sizes: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            help="Store sizes in chunks, comma-separated; `starter` is the starter corpus alone "
            "(default: starter,1000,10000,100000; quick: 200)."
        ),
    ] = None,
    quick: Annotated[
        bool, typer.Option(help="A run of under a minute: tiny store, few questions and requests.")
    ] = False,
    out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            help="Folder for benchmarks.md and benchmarks/ (results.json, plots). Default: docs, "
            "or DATA_DIR/bench/report with --quick."
        ),
    ] = None,
    concurrency: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Service concurrency levels (default 1,4,16; quick: 1,2)."),
    ] = None,
    requests: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(min=1, help="Most requests per concurrency level (default 400; quick: 8)."),
    ] = None,
    seconds: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option(min=1, help="Most seconds per concurrency level (default 30; quick: 10)."),
    ] = None,
    questions: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(min=1, help="Questions per store in the query section (default: all dev)."),
    ] = None,
    scaleout: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            min=2,
            help="Instead of the benchmark: one `serve` process against `serve-cluster` with "
            "this many workers, on the starter corpus (written to DATA_DIR/bench/scaleout.json). "
            "With --soak: the soak against `serve-cluster` with this many workers too.",
        ),
    ] = None,
    soak: Annotated[
        bool,
        typer.Option(
            help="Instead of the benchmark: mixed requests (default 3000 at concurrency 16) "
            "against `serve` while the real-policy PDFs are uploaded; writes soak.json, soak.md "
            "and soak-rss.png to OUT/benchmarks."
        ),
    ] = False,
) -> None:
    """Run the benchmark (stores built or reused under DATA_DIR/bench) and write the report."""
    from assistant.cli import console, offline_container
    from assistant.container import Container
    from evals.bench import config as cfg
    from evals.bench.runner import bench_settings, run

    try:
        sections = cfg.parse_sections(only) if only else cfg.SECTIONS
        size_list = cfg.parse_sizes(sizes) if sizes else None
        levels = cfg.parse_levels(concurrency) if concurrency else None
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    container = offline_container()
    if soak:
        _soak(container.settings, levels, requests, scaleout, out)
        return
    if scaleout:
        _scaleout(container.settings, scaleout, seconds or 30.0)
        return
    base = cfg.quick_config() if quick else cfg.BenchConfig()
    command = ["cluster-assistant", "bench"]
    command += ["--quick"] if quick else []
    command += ["--only", ",".join(sections)] if only else []
    command += ["--sizes", ",".join(size_list)] if size_list else []
    command += ["--concurrency", ",".join(map(str, levels))] if levels else []
    command += ["--requests", str(requests)] if requests else []
    command += ["--seconds", f"{seconds:g}"] if seconds else []
    command += ["--questions", str(questions)] if questions else []
    command += ["--out", str(out)] if out else []
    config = replace(
        base,
        sections=sections,
        sizes=size_list or base.sizes,
        concurrency=levels or base.concurrency,
        requests=requests or base.requests,
        seconds=seconds or base.seconds,
        max_questions=questions or base.max_questions,
        out=out or (container.settings.data_dir / "bench" / "report" if quick else base.out),
        command=" ".join(command),
    )
    settings = bench_settings(container.settings)
    embedder = Container(settings).embedder
    results = run(config, settings, embedder, lambda m: console.print(m))
    for target in results["targets"]:
        mark = {True: "[green]met[/green]", False: "[red]missed[/red]", None: "not measured"}
        console.print(f"{mark[target['met']]:>24}  {target['figure']}: {target['measured']}")
    console.print(f"written: {config.markdown_path}, {config.json_path}")


def _scaleout(settings: Any, workers: int, seconds: float) -> None:
    import json

    from assistant.cli import console
    from evals.bench.machine import collect, describe
    from evals.bench.scaleout import compare

    found = compare(settings, workers, seconds=seconds, log=lambda m: console.print(m))
    out = settings.data_dir / "bench" / "scaleout.json"
    machine = collect(settings)
    out.write_text(json.dumps({"machine": machine, "setups": found}, indent=1), encoding="utf-8")
    console.print(f"{describe(machine)}\nwritten: {out}")


def _soak(
    settings: Any,
    levels: tuple[int, ...] | None,
    requests: int | None,
    workers: int | None,
    out: Path | None,
) -> None:
    from assistant.cli import console
    from evals import real_policy
    from evals.bench.soak import SoakPlan
    from evals.bench.soak_run import measure, new_admin_key, write

    if levels is not None and len(levels) != 1:
        console.print("[red]--soak runs at one concurrency level[/red]")
        raise typer.Exit(2)
    if not real_policy.available(real_policy.DEFAULT_DIR):
        console.print(f"[red]the real-policy PDFs are not in {real_policy.DEFAULT_DIR}[/red]")
        raise typer.Exit(2)
    plan = SoakPlan(
        requests=requests or 3000,
        concurrency=levels[0] if levels else 16,
        uploads=tuple(sorted(real_policy.DEFAULT_DIR.glob("*.pdf"))),
        admin_key=new_admin_key(),
        after_ingest=1000,
    )
    command = ["cluster-assistant", "bench", "--soak"]
    command += ["--requests", str(requests)] if requests else []
    command += ["--concurrency", str(levels[0])] if levels else []
    command += ["--scaleout", str(workers)] if workers else []
    command += ["--out", str(out)] if out else []
    results = measure(settings, plan, workers, " ".join(command), lambda m: console.print(m))
    paths = write(results, (out or Path("docs")) / "benchmarks")
    for setup in results["setups"]:
        console.print(
            f"{setup['command']}: {setup['requests']} requests, {setup['errors']} errors, "
            f"documents visible: {setup['visibility']['all_visible']}"
        )
    console.print("written: " + ", ".join(str(p) for p in paths.values()))
