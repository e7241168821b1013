"""`cluster-assistant ingest`: index files into the store and print a report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.table import Table

from assistant.cli import console, offline_container, progress_bar
from assistant.errors import AssistantError

if TYPE_CHECKING:
    from ingest.pipeline import IngestReport

app = typer.Typer()


@app.command()
def ingest(
    paths: Annotated[
        Optional[list[Path]],  # noqa: UP045 - typer needs Optional here
        typer.Argument(help="Files or folders (default: the starter corpus)."),
    ] = None,
    rebuild: Annotated[bool, typer.Option(help="Drop the store and index everything.")] = False,
    strict: Annotated[bool, typer.Option(help="Exit non-zero if any file fails.")] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print one JSON object per file, then one with the summary (JSON Lines on "
            "stdout, no progress bar); exit codes as without it.",
        ),
    ] = False,
) -> None:
    """Index documents into the store; unchanged files are skipped."""
    from ingest.pipeline import Ingestor

    container = offline_container()
    for path in paths or []:
        if not path.exists():
            _fail(f"no such file or folder: {path}", as_json)
            raise typer.Exit(2)
    ingestor = Ingestor.for_container(container)
    try:
        if as_json:
            report = ingestor.run(paths or None, rebuild=rebuild)
        else:
            with progress_bar() as progress:
                task = progress.add_task("embedding chunks", total=None)

                def on_progress(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total or None)

                report = ingestor.run(paths or None, rebuild=rebuild, progress=on_progress)
    except AssistantError as exc:
        _fail(f"ingest failed: {exc}", as_json)
        raise typer.Exit(1) from exc
    if as_json:
        for line in json_lines(report, container.store.count()):
            typer.echo(line)
        raise typer.Exit(report.exit_code(strict=strict))
    _print_table(report, container.store.count())
    raise typer.Exit(report.exit_code(strict=strict))


def _fail(message: str, as_json: bool) -> None:
    """An error before or instead of a report: a JSON object on stdout with `--json`."""
    if as_json:
        typer.echo(json.dumps({"error": message}))
    else:
        console.print(f"[red]{message}[/red]")


def json_lines(report: IngestReport, in_store: int) -> list[str]:
    """The report as JSON Lines: one object per file, then `{"summary": …}`."""
    from ingest.pipeline import Status

    lines = [
        json.dumps(
            {
                "file": o.path,
                "status": o.status.value,
                "doc_id": o.doc_id,
                "chunks": o.chunks,
                "seconds": round(o.seconds, 3),
                "reason": o.reason,
            },
            ensure_ascii=False,
        )
        for o in report.outcomes
    ]
    counts = {status.value: report.count(status) for status in Status}
    summary = {
        **counts,
        "chunks_embedded": report.chunks_embedded,
        "chunks_in_store": in_store,
        "seconds": round(report.seconds, 3),
    }
    lines.append(json.dumps({"summary": summary}))
    return lines


def _print_table(report: IngestReport, in_store: int) -> None:
    from ingest.pipeline import Status

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
        f"{in_store} in the store; {report.seconds:.1f} s"
    )


@app.command("structure")
def structure(
    paths: Annotated[list[Path], typer.Argument(help="PDF, Markdown or text files, or folders.")],
) -> None:
    """Show what the loaders find in documents, without indexing them: per file its title (and
    the metadata title it replaced), tables placed as rows, layout frames rejected, lists and
    tables joined across page breaks, and list items by marker."""
    from assistant.text import LIST_MARKER
    from ingest.errors import LoadError
    from ingest.loaders import load_document
    from ingest.pipeline import discover

    table = Table(title="Document structure", show_lines=False)
    for column in (
        "file",
        "title",
        "metadata title",
        "tables",
        "frames",
        "joined across pages",
        "items",
    ):
        table.add_column(column, overflow="fold")
    for path in discover(paths):
        try:
            doc = load_document(path)
        except LoadError as exc:
            table.add_row(path.name, f"[red]{exc}[/red]", "", "", "", "", "")
            continue
        markers: dict[str, int] = {}
        for section in doc.sections:
            for line in section.text.split("\n"):
                found = LIST_MARKER.match(line)
                if found:
                    key = found.group(0).strip()
                    key = "1." if key[:1].isdigit() else key
                    markers[key] = markers.get(key, 0) + 1
        found_tables = doc.structure.get("tables", 0)
        unplaced = doc.structure.get("tables_unplaced", 0)
        table.add_row(
            path.name,
            doc.title,
            doc.replaced_title or "",
            f"{found_tables}" + (f" (+{unplaced} not placed)" if unplaced else ""),
            str(doc.structure.get("tables_rejected", 0)),
            str(doc.structure.get("joined_across_pages", 0)),
            ", ".join(f"{k} {v}" for k, v in sorted(markers.items(), key=lambda kv: -kv[1])),
        )
    console.print(table)
