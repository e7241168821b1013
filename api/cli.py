"""`cluster-assistant serve`: the HTTP API under uvicorn."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from assistant.cli import offline_container

app = typer.Typer()


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Bind address.")] = None,  # noqa: UP045
    port: Annotated[Optional[int], typer.Option(help="Port.")] = None,  # noqa: UP045
) -> None:
    """Run the HTTP API with uvicorn."""
    import uvicorn

    from api.app import create_app

    container = offline_container()
    container.embedder.warm_up()
    settings = container.settings
    uvicorn.run(
        create_app(container),
        host=host or settings.api.host,
        port=port or settings.api.port,
        log_level="info",
    )
