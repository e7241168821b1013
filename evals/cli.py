"""`cluster-assistant eval`: score answer quality, validate the judge, calibrate refusal.

The logic lives in the evaluation modules (`runner`, `report`, `judge`, `calibrate`); these
commands read options, show progress and print.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from assistant.cli import console, offline_container, progress_bar
from assistant.settings import get_settings
from evals.splits import Selection

eval_app = typer.Typer(
    help="Score answer quality: `eval --dataset gold|clapnq|real-policy|PATH`, `eval calibrate`.",
    invoke_without_command=True,
)


def _judge(name: str) -> tuple[Any, str | None]:
    """The judge named `name` and its name, or (None, None); exit 2 when it is not installed."""
    from evals.errors import JudgeUnavailable
    from evals.judge import choose

    try:
        judge = choose(name)
    except JudgeUnavailable as exc:
        console.print(f"[red]{exc}:[/red] run `make install-llm`")
        raise typer.Exit(2) from exc
    if judge is None and name == "auto":
        console.print("no judge installed: citation metrics skipped (`make install-llm` adds them)")
    return judge, judge.name if judge is not None else None


def _load(
    dataset: str, limit: int | None, half: str = "all", scorer: str | None = None
) -> tuple[Any, Any]:
    """The container and cases of `dataset` (DatasetUnavailable when its files are absent),
    answering with `scorer` (`answer.scorer`) when given."""
    from evals.suite import answering_with, load

    container = offline_container()
    if scorer is not None:
        container = answering_with(container, scorer=scorer)
    return load(dataset, container, limit, half)


def _evaluate(
    dataset: str, container: Any, cases: Any, judge_name: str = "none"
) -> tuple[Any, Any, Any]:
    """Run `cases` with a progress bar; exit 2 on an empty store."""
    from evals.runner import run

    if container.store.count() == 0:
        console.print("[red]the store is empty:[/red] run `cluster-assistant ingest` first")
        raise typer.Exit(2)
    with progress_bar() as progress:
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


def _run_eval(
    dataset: str, limit: int | None, judge_name: str = "none", half: str = "all"
) -> tuple[Any, Any, Any]:
    from evals.errors import DatasetUnavailable

    try:
        container, cases = _load(dataset, limit, half)
    except DatasetUnavailable as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    return _evaluate(dataset, container, cases, judge_name)


def _run_remote(
    url: str, api_key: str | None, dataset: str, limit: int | None, judge_name: str, half: str
) -> tuple[Any, Any]:
    """Run `dataset`'s cases through the service at `url`; exit 2 when it fails."""
    from evals.errors import DatasetUnavailable
    from evals.remote import ServiceError, client, load_cases, run_remote

    try:
        cases = load_cases(dataset, limit, half)
        with client(url, api_key) as http, progress_bar() as progress:
            task = progress.add_task(f"evaluating {dataset} at {url}", total=len(cases))
            judge, chosen = _judge(judge_name)
            return run_remote(
                http,
                cases,
                lambda done, _: progress.update(task, completed=done),
                judge=judge,
                judge_name=chosen,
            )
    except (DatasetUnavailable, ServiceError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


@eval_app.callback()
def eval_(
    ctx: typer.Context,
    dataset: Annotated[
        str,
        typer.Option(help="`gold`, `clapnq`, `real-policy`, a JSONL file, or a BEIR-style folder."),
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
    half: Annotated[
        Selection,
        typer.Option(
            help="Only the dev or the test half of the cases (a fixed hash of their ids)."
        ),
    ] = "all",
    url: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            help="Ask a running service (e.g. http://127.0.0.1:8000) through POST /v1/ask "
            "instead of the local store."
        ),
    ] = None,
    api_key: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            envvar="ASSISTANT_EVAL_API_KEY",
            show_envvar=True,
            help="API key sent to --url (`cluster-assistant keys create`): its own rate limit.",
        ),
    ] = None,
) -> None:
    """Run a dataset and write results.jsonl, summary.json, report.md and report.html."""
    if ctx.invoked_subcommand is not None:
        return
    from evals.compare import compare as compare_runs
    from evals.report import write_outputs

    target = out or Path("evals/out") / Path(dataset).stem
    if url:
        results, summary = _run_remote(url, api_key, dataset, limit, judge, half)
        threshold = get_settings().answer.refusal_threshold
    else:
        container, results, summary = _run_eval(dataset, limit, judge, half)
        threshold = container.settings.answer.refusal_threshold
    summary["half"] = half
    write_outputs(
        target,
        results,
        summary,
        threshold=threshold,
        title=f"Evaluation report: {dataset}" + (f" at {url}" if url else ""),
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
    from evals.judge import load_pairs, validate

    model, _ = _judge(judge)
    result = validate(model, load_pairs())
    for v in result.verdicts:
        mark = "ok " if v.correct else "BAD"
        sys.stdout.write(f"{mark} {v.id} supported={v.supported!s:5} P(yes)={v.p_yes:.3f}\n")
    sys.stdout.write(
        f"{judge}: {result.right}/{len(result.verdicts)} correct ({result.accuracy:.3f}), "
        f"{result.seconds_per_pair:.2f} s a pair\n"
    )


CALIBRATION_DATASETS = ("gold", "clapnq", "real-policy")
"""What `eval calibrate` runs by default."""


@eval_app.command()
def calibrate(
    dataset: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            help="Datasets to calibrate on (repeatable; default: gold, clapnq and real-policy; "
            "those whose files are absent are skipped)."
        ),
    ] = None,
    limit: Annotated[Optional[int], typer.Option(help="Cases per dataset.")] = None,  # noqa: UP045
    write: Annotated[
        bool,
        typer.Option(help="Store the threshold in .env (ASSISTANT_ANSWER__REFUSAL_THRESHOLD)."),
    ] = False,
) -> None:
    """Choose the blend rule's refusal threshold (`ASSISTANT_ANSWER__SCORER=blend`) that
    maximises balanced accuracy on a dev split; the learned rule is fitted by `scorer train`."""
    from evals.calibrate import Rule, calibrate, write_env
    from evals.errors import DatasetUnavailable

    results = {}
    for name in dataset or list(CALIBRATION_DATASETS):
        try:
            container, cases = _load(name, limit, scorer="blend")
        except DatasetUnavailable as exc:
            console.print(f"[yellow]skipped {name}:[/yellow] {exc}")
            continue
        results[name] = _evaluate(name, container, cases)[1]
    if not results:
        console.print("[red]no dataset to calibrate on[/red]")
        raise typer.Exit(2)
    answer = offline_container().settings.answer
    chosen = calibrate(results, Rule(answer.coverage_gap_weight, answer.unknown_term_penalty))
    rule, threshold = chosen.rule, chosen.threshold
    table = Table(
        title=f"Refusal: threshold {threshold:.4f}, coverage-gap weight {rule.gap_weight}, "
        f"unknown-term penalty {rule.unknown_penalty}"
    )
    for column in ("dataset", "split", "cases", "refusal accuracy", "answer rate", "balanced"):
        table.add_column(column)
    for name in results:
        for label, op in (("dev", chosen.dev[name]), ("test", chosen.test[name])):
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
        write_env(env, chosen.env())
        console.print(f"written to {env.resolve()}")


@eval_app.command("multilingual")
def multilingual_command(
    half: Annotated[
        Selection, typer.Option(help="The dev or the test half of the slice.")
    ] = "test",
    out: Annotated[Path, typer.Option(help="Where the JSON report goes.")] = Path(
        "evals/out/multilingual/report.json"
    ),
) -> None:
    """The multilingual slice: per language, fact hit and refusal accuracy beside those of the
    same cases asked in English, on the same store in the same run."""
    from evals.errors import DatasetUnavailable
    from evals.multilingual import evaluate

    try:
        report = evaluate(offline_container(), half, progress=console.print)
    except DatasetUnavailable as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    table = Table(title=f"Multilingual slice, {half} half")
    for column in ("language", "cases", "fact hit", "refusal acc.", "English fact hit", "ratio"):
        table.add_column(column)
    for code, row in report["languages"].items():
        own, english = row["own"], row["english"]
        table.add_row(
            code,
            str(own["cases"]),
            str(own["fact_hit"]),
            str(own["refusal_accuracy"]),
            str(english["fact_hit"]),
            str(row["fact_hit_ratio"]),
        )
    console.print(table)
    over = report["over_other_languages"]
    if over:
        table = Table(title=f"English questions over documents in other languages, {half} half")
        for column in ("document language", "document", "cases", "fact hit", "refusal acc."):
            table.add_column(column)
        for code, row in over.items():
            table.add_row(
                code,
                row["document"],
                str(row["cases"]),
                str(row["fact_hit"]),
                str(row["refusal_accuracy"]),
            )
        console.print(table)
    if report["skipped"]:
        console.print(f"skipped (documents absent): {', '.join(report['skipped'])}")
    console.print(f"written to {out}")
