"""Imports flow one way: api → ingest → assistant; evals → both; assistant imports none of them."""

import ast
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT

pytestmark = pytest.mark.unit

FORBIDDEN = {
    "assistant": {"api", "ingest", "evals", "fastapi", "starlette", "uvicorn"},
    "ingest": {"api", "evals", "fastapi"},
    "evals": {"api"},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_import_direction(package: str) -> None:
    for path in (PROJECT_ROOT / package).rglob("*.py"):
        bad = imported_roots(path) & FORBIDDEN[package]
        assert not bad, f"{path.relative_to(PROJECT_ROOT)} imports {bad}"


def test_chroma_default_embedding_function_is_never_used() -> None:
    for package in ("assistant", "ingest", "api", "evals"):
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            text = path.read_text()
            assert "DefaultEmbeddingFunction" not in text
            if "get_or_create_collection(" in text:
                assert "embedding_function=None" in text
