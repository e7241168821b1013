"""The layering: cli → api, training → evals → ingest → assistant; no cycles inside a package.

`cli` is the only package that imports everything; `assistant` (the engine) imports none of the
others (nor FastAPI); `api` never reaches into the evaluation harness.
"""

import ast
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT

pytestmark = pytest.mark.unit

PACKAGES = ("assistant", "ingest", "api", "evals", "training", "cli")
FORBIDDEN = {
    "assistant": {"api", "ingest", "evals", "training", "cli", "fastapi", "starlette", "uvicorn"},
    "ingest": {"api", "evals", "training", "cli", "fastapi", "starlette"},
    "api": {"evals", "training", "cli"},
    "evals": {"api", "training", "cli", "fastapi", "starlette"},
    # Training fits the shipped models from the evaluation datasets; the service never sees it.
    "training": {"api", "cli", "fastapi", "starlette"},
    "cli": set(),
}


def imported_modules(path: Path) -> set[str]:
    """Every absolute module a file imports, at any depth (lazy imports inside functions too)."""
    tree = ast.parse(path.read_text())
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules |= {f"{node.module}.{alias.name}" for alias in node.names}
    return modules


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_graph(package: str) -> dict[str, set[str]]:
    """Module → the modules of the same package it imports."""
    files = {module_name(p): p for p in (PROJECT_ROOT / package).rglob("*.py")}
    return {
        name: {m for m in imported_modules(path) if m in files and m != name}
        for name, path in files.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph`, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


@pytest.mark.parametrize("package", PACKAGES)
def test_import_direction(package: str) -> None:
    for path in (PROJECT_ROOT / package).rglob("*.py"):
        bad = {m.split(".")[0] for m in imported_modules(path)} & FORBIDDEN[package]
        assert not bad, f"{path.relative_to(PROJECT_ROOT)} imports {bad}"


def test_only_cli_imports_every_package() -> None:
    importers = {
        package
        for package in PACKAGES
        if {
            m.split(".")[0]
            for p in (PROJECT_ROOT / package).rglob("*.py")
            for m in imported_modules(p)
        }
        >= set(PACKAGES) - {package}
    }
    assert importers == {"cli"}


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycle_inside_a_package(package: str) -> None:
    assert find_cycle(package_graph(package)) is None


def test_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_chroma_default_embedding_function_is_never_used() -> None:
    for package in PACKAGES:
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            text = path.read_text()
            assert "DefaultEmbeddingFunction" not in text
            for call in ("get_or_create_collection(", "get_collection("):
                if call in text:
                    assert "embedding_function=None" in text
