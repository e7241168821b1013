"""`cluster-assistant ingest`: index files into the store and print a report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from assistant.cli import console, offline_container, progress_bar
from assistant.errors import AssistantError

app = typer.Typer()


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

    container = offline_container()
    for path in paths or []:
        if not path.exists():
            console.print(f"[red]no such file or folder:[/red] {path}")
            raise typer.Exit(2)
    ingestor = Ingestor.for_container(container)
    with progress_bar() as progress:
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
