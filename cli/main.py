"""`cluster-assistant`: every package's commands under one Typer app.

ingest            ingest.cli        index files into the store
ask, llm serve    assistant.cli     answer a question; serve a packaged LLM
eval ...          evals.cli         score quality, validate the judge, calibrate refusal
serve             api.cli           the HTTP API
serve-cluster     cli.cluster       Chroma server, Redis and several API workers
keys ...          api.keys_cli      create, list and revoke API keys
reader ...        training.reader.cli  label pairs with the teacher, train the distilled reader
scorer ...        training.cli      fit the answer scorer; leave one collection out (`eval loco`)
bench             evals.bench.cli   ingest, query and service speed → docs/benchmarks.md
"""

from __future__ import annotations

import typer

from api import cli as api_cli
from api import keys_cli
from assistant import cli as assistant_cli
from cli import cluster as cluster_cli
from evals import cli as evals_cli
from evals.bench import cli as bench_cli
from ingest import cli as ingest_cli
from training import cli as training_cli
from training.reader import cli as reader_cli

app = typer.Typer(
    help="Cluster Policy Assistant: grounded answers over cluster-policy documents.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(ingest_cli.app)
app.add_typer(assistant_cli.app)
app.add_typer(evals_cli.eval_app, name="eval")
app.add_typer(api_cli.app)
app.add_typer(cluster_cli.app)
app.add_typer(keys_cli.keys_app, name="keys")
app.add_typer(reader_cli.reader_app, name="reader")
app.add_typer(bench_cli.bench_app, name="bench")
app.add_typer(training_cli.scorer_app, name="scorer")
evals_cli.eval_app.command("loco")(training_cli.loco_command)
