"""`cluster-assistant`: every package's commands under one Typer app.

ingest            ingest.cli        index files into the store
ask, llm serve    assistant.cli     answer a question; serve a packaged LLM
eval ...          evals.cli         score quality, validate the judge, calibrate refusal
serve             api.cli           the HTTP API
"""

from __future__ import annotations

import typer

from api import cli as api_cli
from assistant import cli as assistant_cli
from evals import cli as evals_cli
from ingest import cli as ingest_cli

app = typer.Typer(
    help="Cluster Policy Assistant: grounded answers over cluster-policy documents.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(ingest_cli.app)
app.add_typer(assistant_cli.app)
app.add_typer(evals_cli.eval_app, name="eval")
app.add_typer(api_cli.app)
