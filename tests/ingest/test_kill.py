"""A real `kill -9` of an ingest process at chosen points, then a re-run: the store must be the
one an uninterrupted ingest builds (chunks, unit, reader and multilingual vectors, manifest).

The child is a real process over a real Chroma store; it sends itself SIGKILL at the chosen
point (the test patches the child's own functions, so the product carries no test hook). The
state machine in `test_store_model.py` tries every write with simulated crashes; this test
checks that the OS-level kill at the interesting points leaves nothing a re-run cannot repair.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import PROJECT_ROOT
from ingest.manifest import Manifest
from tests.conftest import CORPUS, SMALL_CORPUS, Stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHILD = """
import os, signal, sys
from pathlib import Path

data, corpus, point, nth = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
os.environ["HF_HUB_OFFLINE"] = "1"
from assistant.container import Container
from assistant.settings import Settings
import ingest.manifest
import ingest.pipeline

settings = Settings(_env_file=None, data_dir=Path(data), ingest={"corpus_paths": [Path(corpus)]})
container = Container(settings)
ingestor = ingest.pipeline.Ingestor.for_container(container)
store = container.store
calls = {"n": 0}


def killing(real):
    def call(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)
    return call


if point == "parsing":  # while reading a file, before any of it is written
    ingest.pipeline.load_document = killing(ingest.pipeline.load_document)
elif point == "write":  # any Chroma write: for each file, its unit then reader vectors,
    # its multilingual chunks then units, then its chunks
    from chromadb.api.models.Collection import Collection
    Collection.upsert = killing(Collection.upsert)
elif point == "manifest":  # the manifest's temporary file written, not yet renamed
    real_replace = os.replace
    def replace(src, dst):
        if str(dst).endswith("manifest.json"):
            return killing(real_replace)(src, dst)
        return real_replace(src, dst)
    ingest.manifest.os.replace = replace
elif point == "delete":  # a changed file's new chunks in, its old ones not yet deleted
    store.delete_ids = killing(store.delete_ids)
ingestor.run()
print("finished without being killed")
"""


def snapshot(stack: Stack) -> dict[str, Any]:
    """What the store holds, comparable between two stores of the same files."""
    store = stack.store

    def ids(collection: Any) -> list[str]:
        return sorted(collection.get(include=[])["ids"])

    manifest = Manifest.load(stack.settings.manifest_path)
    return {
        "chunks": ids(store.collection),
        "units": ids(store.units),
        "reader": ids(store.reader_units),
        "multilingual": ids(store.multilingual),
        "multilingual_units": ids(store.multilingual_units),
        "manifest": {
            Path(k).name: (e.sha256, sorted(e.chunk_ids), e.status)
            for k, e in manifest.files.items()
        },
        "writing": manifest.writing,
    }


def corpus(root: Path) -> Path:
    folder = root / "corpus"
    folder.mkdir(parents=True)
    for name in SMALL_CORPUS:
        shutil.copy(CORPUS / name, folder)
    return folder


def kill_at(stack: Stack, point: str, nth: int) -> None:
    """Run ingest in a child process that SIGKILLs itself at the `nth` call of `point`."""
    child = subprocess.run(
        [
            sys.executable, "-c", CHILD, str(stack.settings.data_dir), str(stack.corpus),
            point, str(nth),
        ],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert child.returncode == -signal.SIGKILL, (child.returncode, child.stdout, child.stderr)


def change(folder: Path) -> None:
    path = folder / "what-are-clusters.md"
    path.write_text(path.read_text("utf-8") + "\nClusters also run joint training days.\n")


@pytest.fixture(scope="module")
def reference(
    tmp_path_factory: pytest.TempPathFactory, embedder: Any, reader_embedder: Any
) -> dict[str, dict[str, Any]]:
    """Uninterrupted stores: the files as they are, and with one file changed."""
    out = {}
    for label in ("first", "changed"):
        root = tmp_path_factory.mktemp(f"reference-{label}")
        stack = Stack(root / "data", embedder, corpus(root), reader_embedder)
        if label == "changed":
            assert stack.ingestor.run().failures == []
            change(stack.corpus)
        assert stack.ingestor.run().failures == []
        out[label] = snapshot(stack)
    return out


@pytest.mark.parametrize(
    ("point", "nth"),
    [("parsing", 2), *(("write", n) for n in (2, 3, 4, 5)), ("manifest", 3)],
)
def test_a_killed_first_ingest_reruns_to_the_uninterrupted_store(
    tmp_path: Path,
    embedder: Any,
    reader_embedder: Any,
    reference: dict[str, dict[str, Any]],
    point: str,
    nth: int,
) -> None:
    stack = Stack(tmp_path / "data", embedder, corpus(tmp_path), reader_embedder)
    kill_at(stack, point, nth)
    report = stack.ingestor.run()
    assert report.failures == []
    assert snapshot(stack) == reference["first"]


def test_a_kill_while_replacing_a_changed_file_reruns_to_the_uninterrupted_store(
    tmp_path: Path, embedder: Any, reader_embedder: Any, reference: dict[str, dict[str, Any]]
) -> None:
    stack = Stack(tmp_path / "data", embedder, corpus(tmp_path), reader_embedder)
    assert stack.ingestor.run().failures == []
    change(stack.corpus)
    kill_at(stack, "delete", 1)
    assert stack.ingestor.run().failures == []
    assert snapshot(stack) == reference["changed"]
    assert json.loads(stack.settings.manifest_path.read_text())["writing"] is False
