"""`cluster-assistant serve`: the HTTP API under uvicorn, in one process or several."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from assistant.cli import console, offline_container
from assistant.settings import get_settings

app = typer.Typer()

APP_FACTORY = "api.app:create_app_from_settings"
"""What each of several uvicorn workers imports and calls to build its app."""


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Bind address.")] = None,  # noqa: UP045
    port: Annotated[Optional[int], typer.Option(help="Port.")] = None,  # noqa: UP045
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes; more than one needs a Chroma server "
            "(ASSISTANT_CHROMA__MODE=http; `serve-cluster` starts one).",
        ),
    ] = 1,
) -> None:
    """Run the HTTP API with uvicorn."""
    import uvicorn

    settings = get_settings()
    bind_host, bind_port = host or settings.api.host, port or settings.api.port
    if workers > 1:
        if settings.chroma.mode != "http":
            console.print(
                "[red]--workers > 1 needs a Chroma server:[/red] the embedded store is one "
                "process's; set ASSISTANT_CHROMA__MODE=http or use `serve-cluster`"
            )
            raise typer.Exit(2)
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            workers=workers,
            host=bind_host,
            port=bind_port,
            log_level="info",
        )
        return

    from api.app import create_app

    container = offline_container()
    container.embedder.warm_up()
    uvicorn.run(create_app(container), host=bind_host, port=bind_port, log_level="info")
