"""The engine's commands (`ask`, `llm serve`) and what every package's commands share: the console,
the progress bar and the offline container.

Each package with commands exposes a Typer app next to its code (`ingest.cli`, `evals.cli`,
`api.cli`, this one); the `cli` package mounts them into `cluster-assistant`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from assistant.container import Container
from assistant.embedder import enforce_offline
from assistant.errors import AssistantError

console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
app = typer.Typer()


def offline_container() -> Container:
    """The container, with model downloads blocked unless `embedding.allow_download` is set."""
    built = Container()
    if not built.settings.embedding.allow_download:
        enforce_offline()
    return built


def progress_bar() -> Progress:
    """A transient progress bar on stderr."""
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in plain language.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    doc_type: Annotated[
        Optional[str],  # noqa: UP045 - typer needs Optional here
        typer.Option(help="Only documents of this type."),
    ] = None,
    top_k: Annotated[Optional[int], typer.Option(help="Passages to retrieve.")] = None,  # noqa: UP045
    explain: Annotated[
        bool,
        typer.Option(
            help="Also print the explain trace: passages, scored units, the decision and the "
            "stage that decided."
        ),
    ] = False,
) -> None:
    """Answer a question from the indexed documents."""
    built = offline_container()
    filters = {"doc_type": doc_type} if doc_type else None
    try:
        answer = built.assistant.answer(question, filters=filters, top_k=top_k, explain=explain)
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
            page = f"page {c.page_label or c.page}" if c.page else None
            where = ", ".join(part for part in (c.section, page) if part)
            sys.stdout.write(f"[{c.n}] {c.title}{' — ' + where if where else ''} ({c.source})\n")
    if answer.explain is not None:
        sys.stdout.write("\nExplain:\n" + json.dumps(answer.explain, ensure_ascii=False, indent=2))
        sys.stdout.write("\n")


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

    from assistant.errors import ModelUnavailable
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
