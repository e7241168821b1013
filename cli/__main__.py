"""`python -m cli`: the same as `cluster-assistant`."""

from cli.main import app

app()
