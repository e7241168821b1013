"""The `cluster-assistant` command: ingest, ask, serve.

This is the outermost entry point, so it may import every package; it only wires them together.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from assistant.container import Container
from assistant.embedder import enforce_offline
from assistant.errors import AssistantError

app = typer.Typer(
    help="Cluster Policy Assistant: grounded answers over cluster-policy documents.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


def _container() -> Container:
    container = Container()
    if not container.settings.embedding.allow_download:
        enforce_offline()
    return container


def _progress() -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@app.command()
def ingest(
    paths: Annotated[
        Optional[list[Path]],  # noqa: UP045 - typer needs Optional here
        typer.Argument(help="Files or folders (default: the starter corpus)."),
    ] = None,
    rebuild: Annotated[bool, typer.Option(help="Drop the store and index everything.")] = False,
    strict: Annotated[bool, typer.Option(help="Exit non-zero if any file fails.")] = False,
) -> None:
    """Index documents into the store; unchanged files are skipped."""
    from ingest.pipeline import Ingestor, Status

    container = _container()
    for path in paths or []:
        if not path.exists():
            console.print(f"[red]no such file or folder:[/red] {path}")
            raise typer.Exit(2)
    ingestor = Ingestor(container.settings, container.embedder, container.store)
    with _progress() as progress:
        task = progress.add_task("embedding chunks", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total or None)

        try:
            report = ingestor.run(paths or None, rebuild=rebuild, progress=on_progress)
        except AssistantError as exc:
            console.print(f"[red]ingest failed:[/red] {exc}")
            raise typer.Exit(1) from exc

    table = Table(title="Ingest report", show_lines=False)
    for column in ("file", "status", "doc id", "chunks", "seconds", "reason"):
        table.add_column(column, overflow="fold")
    colours = {Status.FAILED: "red", Status.INDEXED: "green", Status.REMOVED: "yellow"}
    for o in report.outcomes:
        colour = colours.get(o.status, "white")
        table.add_row(
            o.path,
            f"[{colour}]{o.status.value}[/{colour}]",
            o.doc_id or "",
            str(o.chunks),
            f"{o.seconds:.2f}",
            o.reason or "",
        )
    console.print(table)
    console.print(
        f"indexed {report.count(Status.INDEXED)}, unchanged {report.count(Status.UNCHANGED)}, "
        f"removed {report.count(Status.REMOVED)}, duplicates {report.count(Status.DUPLICATE)}, "
        f"failed {report.count(Status.FAILED)}; {report.chunks_embedded} chunks embedded, "
        f"{container.store.count()} in the store; {report.seconds:.1f} s"
    )
    raise typer.Exit(report.exit_code(strict=strict))


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in plain language.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    doc_type: Annotated[
        Optional[str],  # noqa: UP045 - typer needs Optional here
        typer.Option(help="Only documents of this type."),
    ] = None,
    top_k: Annotated[Optional[int], typer.Option(help="Passages to retrieve.")] = None,  # noqa: UP045
) -> None:
    """Answer a question from the indexed documents."""
    container = _container()
    filters = {"doc_type": doc_type} if doc_type else None
    try:
        answer = container.assistant.answer(question, filters=filters, top_k=top_k)
    except AssistantError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    if as_json:
        sys.stdout.write(json.dumps(asdict(answer), ensure_ascii=False, indent=2) + "\n")
        return
    sys.stdout.write(answer.answer + "\n")
    if answer.citations:
        sys.stdout.write("\nSources:\n")
        for c in answer.citations:
            where = ", ".join(
                part for part in (c.section, f"page {c.page}" if c.page else None) if part
            )
            sys.stdout.write(f"[{c.n}] {c.title}{' — ' + where if where else ''} ({c.source})\n")


eval_app = typer.Typer(
    help="Score answer quality: `eval --dataset gold|clapnq|PATH`, `eval calibrate`.",
    invoke_without_command=True,
)
app.add_typer(eval_app, name="eval")


def _judge(name: str) -> tuple[Any, str | None]:
    """The entailment judge named `name` (`auto`: the best installed one; `none`: no judge)."""
    from evals import judge as judges

    if name == "none":
        return None, None
    candidates = list(judges.JUDGES)[::-1] if name == "auto" else [name]
    for candidate in candidates:
        if judges.available(candidate):
            return judges.EntailmentJudge(candidate), candidate
    if name != "auto":
        console.print(f"[red]judge {name} is not installed:[/red] run `make install-llm`")
        raise typer.Exit(2)
    console.print("no judge installed: citation metrics skipped (`make install-llm` adds them)")
    return None, None


def _run_eval(dataset: str, limit: int | None, judge_name: str = "none") -> tuple[Any, Any, Any]:
    from evals.runner import run
    from evals.suite import DatasetUnavailable, load

    try:
        container, cases = load(dataset, _container(), limit)
    except DatasetUnavailable as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if container.store.count() == 0:
        console.print("[red]the store is empty:[/red] run `cluster-assistant ingest` first")
        raise typer.Exit(2)
    with _progress() as progress:
        task = progress.add_task(f"evaluating {dataset}", total=len(cases))
        judge, chosen = _judge(judge_name)
        results, summary = run(
            container,
            cases,
            lambda done, _: progress.update(task, completed=done),
            judge=judge,
            judge_name=chosen,
        )
    return container, results, summary


@eval_app.callback()
def eval_(
    ctx: typer.Context,
    dataset: Annotated[
        str, typer.Option(help="`gold`, `clapnq`, a JSONL file, or a BEIR-style folder.")
    ] = "gold",
    out: Annotated[Optional[Path], typer.Option(help="Output folder.")] = None,  # noqa: UP045
    limit: Annotated[Optional[int], typer.Option(help="Only the first N cases.")] = None,  # noqa: UP045
    compare: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="An earlier output folder to compare with."),
    ] = None,
    judge: Annotated[
        str,
        typer.Option(
            help="Entailment judge for citation metrics: auto, none, qwen2.5-0.5b, qwen2.5-1.5b."
        ),
    ] = "auto",
) -> None:
    """Run a dataset and write results.jsonl, summary.json, report.md and report.html."""
    if ctx.invoked_subcommand is not None:
        return
    from evals.compare import compare as compare_runs
    from evals.runner import write_outputs

    target = out or Path("evals/out") / Path(dataset).stem
    container, results, summary = _run_eval(dataset, limit, judge)
    write_outputs(
        target,
        results,
        summary,
        threshold=container.settings.answer.refusal_threshold,
        title=f"Evaluation report: {dataset}",
    )
    sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    if compare is not None:
        sys.stdout.write("\n" + compare_runs(compare, target))
    console.print(f"written to {target}/")


@eval_app.command("validate-judge")
def validate_judge(
    judge: Annotated[str, typer.Option(help="qwen2.5-0.5b or qwen2.5-1.5b.")] = "qwen2.5-1.5b",
) -> None:
    """Accuracy of the entailment judge on the hand-labelled supported/unsupported pairs."""
    import time

    from evals.datasets import DATASETS_DIR

    model, _ = _judge(judge)
    rows = [
        json.loads(line)
        for line in (DATASETS_DIR / "judge_validation.jsonl").read_text().splitlines()
        if line.strip()
    ]
    started = time.perf_counter()
    scores = [model.p_yes([row["passage"]], row["claim"]) for row in rows]
    elapsed = time.perf_counter() - started
    right = sum((p >= 0.5) == bool(row["supported"]) for p, row in zip(scores, rows, strict=True))
    for p, row in zip(scores, rows, strict=True):
        mark = "ok " if (p >= 0.5) == bool(row["supported"]) else "BAD"
        sys.stdout.write(f"{mark} {row['id']} supported={row['supported']!s:5} P(yes)={p:.3f}\n")
    sys.stdout.write(
        f"{judge}: {right}/{len(rows)} correct ({right / len(rows):.3f}), "
        f"{elapsed / len(rows):.2f} s a pair\n"
    )


@eval_app.command()
def calibrate(
    dataset: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(help="Datasets to calibrate on (repeatable; default: gold and clapnq)."),
    ] = None,
    limit: Annotated[Optional[int], typer.Option(help="Cases per dataset.")] = None,  # noqa: UP045
    write: Annotated[
        bool,
        typer.Option(help="Store the threshold in .env (ASSISTANT_ANSWER__REFUSAL_THRESHOLD)."),
    ] = False,
) -> None:
    """Choose the refusal threshold that maximises balanced accuracy on a dev split."""
    from evals.calibrate import Rule, choose_rule, is_dev, operating_point, rescored

    names = dataset or ["gold", "clapnq"]
    groups = [_run_eval(name, limit)[1] for name in names]
    answer = _container().settings.answer
    current = Rule(answer.coverage_gap_weight, answer.unknown_term_penalty)
    dev = [[r for r in group if is_dev(r.id)] for group in groups]
    test = [[r for r in group if not is_dev(r.id)] for group in groups]
    rule, threshold, dev_ops = choose_rule(dev, current)
    test_ops = [operating_point(rescored(g, current, rule), threshold) for g in test]
    table = Table(
        title=f"Refusal: threshold {threshold:.4f}, coverage-gap weight {rule.gap_weight}, "
        f"unknown-term penalty {rule.unknown_penalty}"
    )
    for column in ("dataset", "split", "cases", "refusal accuracy", "answer rate", "balanced"):
        table.add_column(column)
    for name, dev_op, test_op in zip(names, dev_ops, test_ops, strict=True):
        for label, op in (("dev", dev_op), ("test", test_op)):
            table.add_row(
                name,
                label,
                str(op.cases),
                f"{op.refusal_accuracy:.3f}",
                f"{op.answer_rate:.3f}",
                f"{op.balanced_accuracy:.3f}",
            )
    console.print(table)
    sys.stdout.write(
        f"threshold {threshold:.4f} coverage_gap_weight {rule.gap_weight} "
        f"unknown_term_penalty {rule.unknown_penalty}\n"
    )
    if write:
        env = Path(".env")
        settings = {
            "ASSISTANT_ANSWER__REFUSAL_THRESHOLD": f"{threshold:.4f}",
            "ASSISTANT_ANSWER__COVERAGE_GAP_WEIGHT": str(rule.gap_weight),
            "ASSISTANT_ANSWER__UNKNOWN_TERM_PENALTY": str(rule.unknown_penalty),
        }
        lines = [
            line
            for line in (env.read_text().splitlines() if env.exists() else [])
            if not line.startswith(tuple(f"{key}=" for key in settings))
        ]
        lines.extend(f"{key}={value}" for key, value in settings.items())
        env.write_text("\n".join(lines) + "\n")
        console.print(f"written to {env.resolve()}")


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Bind address.")] = None,  # noqa: UP045
    port: Annotated[Optional[int], typer.Option(help="Port.")] = None,  # noqa: UP045
) -> None:
    """Run the HTTP API with uvicorn."""
    import uvicorn

    from api.app import create_app

    container = _container()
    container.embedder.warm_up()
    settings = container.settings
    uvicorn.run(
        create_app(container),
        host=host or settings.api.host,
        port=port or settings.api.port,
        log_level="info",
    )


llm_app = typer.Typer(help="The packaged LLM for generative mode.", no_args_is_help=True)
app.add_typer(llm_app, name="llm")


@llm_app.command("serve")
def llm_serve(
    model: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="qwen2.5-0.5b, qwen2.5-1.5b, smollm2-135m or a .gguf path."),
    ] = None,
    port: Annotated[int, typer.Option(help="Loopback port.")] = 8090,
    context: Annotated[int, typer.Option(help="Context window in tokens.")] = 4096,
) -> None:
    """Serve a packaged model behind an OpenAI-compatible API on 127.0.0.1 (llama.cpp).

    Then run `ASSISTANT_LLM__ENABLED=true cluster-assistant serve` in another shell.
    """
    import signal
    import threading

    from assistant.llm.packaged import ModelUnavailable
    from assistant.llm.server import PackagedLLMServer

    settings = Container().settings.llm
    name = model or settings.serve_model
    server = PackagedLLMServer(name, port=port, threads=settings.serve_threads, context=context)
    try:
        base_url = server.start()
    except ModelUnavailable as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"{name} serving an OpenAI-compatible API at {base_url} (Ctrl-C stops)")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    app()
