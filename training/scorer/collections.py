"""The collections the scorer learns from and is judged on, each with a store of its own."""

from __future__ import annotations

from assistant.container import Container
from evals.datasets import EvalCase
from evals.errors import DatasetUnavailable
from evals.suite import load, load_gold

COLLECTIONS: tuple[str, ...] = ("gold", "real-policy", "clapnq", "pdf-stress")
"""The starter corpus, six RIS3 strategies, ClapNQ's Wikipedia passages, the stress PDFs."""


def open_collection(name: str, container: Container) -> tuple[Container, list[EvalCase]]:
    """A container over the collection's own store (ingested when needed) and all its cases."""
    if name == "gold":
        return load_gold(container)
    return load(name, container)


def available(container: Container) -> list[str]:
    """The collections whose data are present here (ClapNQ and the PDFs live outside the
    repository)."""
    names = []
    for name in COLLECTIONS:
        try:
            open_collection(name, container)
        except DatasetUnavailable:
            continue
        names.append(name)
    return names
