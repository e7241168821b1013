"""A Hypothesis state machine over the store: files are added, changed, emptied, renamed, copied
(a second file with the same document id), swapped and deleted in a tmp corpus; ingest runs
complete, rebuild or are killed at a random write; the admin deletes documents (and is killed
too). After every step the store must hold what a plain model of the files says it holds.

The model: for each document id, the winning file (the first path among the readable files with
that id) and the chunk ids the chunker makes of it; losers are "duplicate" manifest entries; files
without text are "failed" ones. The store is compared with it collection by collection (chunks,
unit, reader and multilingual vectors: no orphan, none missing), and so are the manifest, a BM25
index and a document catalogue kept open across the steps on a second handle of the store, as the
API process keeps them while ingest processes come and go (or are killed). After a kill the
checks wait for the next complete ingest, which must repair whatever the kill left.

A kill is a `SimulatedCrash` raised before the n-th write of a run (an embedding, a Chroma upsert,
delete or metadata change, a collection dropped by a rebuild): the state a `kill -9` at that
point leaves on disk. The models are the session's, each distinct text embedded once.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from assistant.embedder import SentenceTransformerEmbedder
from assistant.multilingual import E5Embedder
from assistant.retrieval.lexical import LexicalIndex
from assistant.settings import Settings
from assistant.storage.documents import DocumentCatalog
from assistant.storage.store import ChunkStore
from assistant.text import chunk_units
from ingest.chunker import StructuredChunker
from ingest.library import Library
from ingest.loaders import load_document, parse_limits
from ingest.manifest import Manifest, file_sha256
from ingest.pipeline import Ingestor, Status, display_path
from tests.conftest import MemoEmbedder, make_settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

T = TypeVar("T")

MARKER = "quillwort"
"""A word in every document's title, so in every chunk's indexed text: a BM25 search for it
finds every chunk the index holds."""

SENTENCES = (
    "Clusters are groups of firms, research bodies and suppliers located close to each other.",
    "A cluster organisation helps its members find partners and funding for joint projects.",
    "Regional governments often support clusters to strengthen innovation in small companies.",
    "The alliance brings together national cluster associations from across Europe.",
    "Members exchange good practice on internationalisation and skills development.",
    "Cluster managers organise matchmaking events where companies meet research partners.",
    "Public funding for clusters is usually tied to measurable goals and regular reporting.",
    "Digital and green transitions are priorities for many cluster strategies today.",
)


class SimulatedCrash(BaseException):
    """The process dies here (a BaseException, so no handler in the pipeline catches it)."""


class Fuse:
    """Counts writes and blows before the one after `left` more (never when unarmed); with
    `only`, counts only the writes of that label (``<collection>.<operation>``, ``embed``)."""

    def __init__(self) -> None:
        self.left: int | None = None
        self.only: str | None = None

    def arm(self, writes: int | None, only: str | None = None) -> None:
        self.left, self.only = writes, only

    def tick(self, label: str) -> None:
        if self.left is None or self.only not in (None, label):
            return
        if self.left == 0:
            self.arm(None)
            raise SimulatedCrash(f"kill -9 before {label}")
        self.left -= 1


class FusedCollection:
    """A Chroma collection whose writes each tick the fuse first."""

    WRITES = frozenset({"add", "upsert", "update", "delete", "modify"})

    def __init__(self, inner: Any, fuse: Fuse) -> None:
        self._inner = inner
        self._fuse = fuse

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name not in self.WRITES:
            return attr

        def write(*args: Any, **kwargs: Any) -> Any:
            self._fuse.tick(f"{self._inner.name}.{name}")
            return attr(*args, **kwargs)

        return write


class FusedClient:
    """A Chroma client handing out fused collections; dropping a collection ticks the fuse."""

    def __init__(self, inner: Any, fuse: Fuse) -> None:
        self._inner = inner
        self._fuse = fuse

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def get_or_create_collection(self, *args: Any, **kwargs: Any) -> FusedCollection:
        return FusedCollection(self._inner.get_or_create_collection(*args, **kwargs), self._fuse)

    def delete_collection(self, name: str) -> None:
        self._fuse.tick(f"{name}.drop")
        self._inner.delete_collection(name)


class CrashingStore(ChunkStore):
    """The ingest process's handle of the store, every write behind the fuse."""

    def __init__(self, settings: Settings, fuse: Fuse) -> None:
        super().__init__(settings)
        self._fuse = fuse

    def _make_client(self) -> Any:
        return FusedClient(super()._make_client(), self._fuse)


class FusedEmbedder(MemoEmbedder):
    """The session's model, each distinct text embedded once per test, each call a tick."""

    def __init__(self, inner: SentenceTransformerEmbedder, fuse: Fuse) -> None:
        super().__init__(inner)
        self._fuse = fuse

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self._fuse.tick("embed")
        return super().embed(texts)


@dataclass(frozen=True)
class Doc:
    """One file's content as the model sees it."""

    doc_id: str
    body: tuple[str, ...]
    details: tuple[str, ...]

    def markdown(self) -> str:
        title = f"{MARKER.capitalize()} note {self.doc_id}"
        head = (
            f"---\nid: {self.doc_id}\ntitle: {title}\ndoc_type: policy_guide\n"
            f'source: "Store model test"\nyear: 2024\nlanguage: en\n---\n\n'
        )
        if not self.body:
            return head
        text = f"# {title}\n\n{' '.join(self.body)}\n"
        if self.details:
            text += f"\n## Details\n\n{' '.join(self.details)}\n"
        return head + text


@dataclass(frozen=True)
class Expected:
    """What the store must hold after an ingest of some files."""

    chunks: dict[str, list[str]]
    """Per readable file key: the chunk ids its entry lists (none for a duplicate)."""
    doc_ids: dict[str, str]
    """Per readable file key: its document id."""
    units: frozenset[str]
    """Every unit id (``<chunk id>#<index>``) of the stored chunks."""
    winners: dict[str, str]
    """Per document id with text: the key of the file indexed for it."""
    shas: dict[str, str]
    """Per readable file key: its content hash."""
    failed: frozenset[str]
    """Keys of the files without text."""

    def without(self, doc_id: str) -> Expected:
        """What is left once the admin deleted `doc_id` (its files stay on disk)."""
        gone = {key for key, d in self.doc_ids.items() if d == doc_id}
        gone_chunks = {cid for key in gone for cid in self.chunks[key]}
        return Expected(
            {k: ids for k, ids in self.chunks.items() if k not in gone},
            {k: d for k, d in self.doc_ids.items() if k not in gone},
            frozenset(u for u in self.units if u.rpartition("#")[0] not in gone_chunks),
            {d: k for d, k in self.winners.items() if d != doc_id},
            {k: sha for k, sha in self.shas.items() if k not in gone},
            self.failed,
        )


@dataclass
class Models:
    embedder: FusedEmbedder
    reader: FusedEmbedder
    multilingual: E5Embedder
    fuse: Fuse
    root: Path


sentences = st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=3, unique=True).map(tuple)
details = st.lists(st.sampled_from(SENTENCES), max_size=2, unique=True).map(tuple)
kill_at = st.none() | st.integers(min_value=0, max_value=40)
"""Before which write the process dies (None: it does not)."""


class StoreMachine(RuleBasedStateMachine):
    """Files on disk, ingest processes that may die at any write, and the store they make."""

    models: Models  # bound by the test

    def __init__(self) -> None:
        super().__init__()
        self.models.fuse.arm(None)
        self.root = Path(self.models.root) / f"run{len(list(self.models.root.iterdir()))}"
        self.corpus = self.root / "corpus"
        self.corpus.mkdir(parents=True)
        self.settings = make_settings(self.root / "data", self.corpus)
        self.next_name = 0
        self.next_id = 0
        self.disk: dict[str, Doc] = {}
        self.ingested: dict[str, Doc] = {}
        """The files as the store reflects them (at the last complete ingest, less deletes)."""
        self.chunker = StructuredChunker(
            self.models.embedder.count_tokens,
            chunk_size=self.settings.chunking.chunk_size,
            chunk_overlap=self.settings.chunking.chunk_overlap,
        )
        self.expected = self._model()
        self.crashed = False
        self._start_writer()
        # The API process's side: one handle of the store with its caches, open throughout.
        self.reading = ChunkStore(self.settings)
        self.catalog = DocumentCatalog(self.reading)
        self.lexical = LexicalIndex(self.reading, self.root / "data" / "lexical")

    def _start_writer(self) -> None:
        """A fresh writing process: its own store handle, its writes behind the fuse."""
        store = CrashingStore(self.settings, self.models.fuse)
        self.ingestor = Ingestor(
            self.settings,
            self.models.embedder,
            store,
            self.models.reader,
            self.models.multilingual,
        )
        self.library = Library(self.settings, store, self.ingestor)

    def _write(self, name: str, doc: Doc) -> None:
        (self.corpus / name).write_text(doc.markdown(), encoding="utf-8")
        self.disk[name] = doc

    def _fresh_name(self) -> str:
        self.next_name += 1
        return f"doc{self.next_name:02d}.md"

    def _fresh_id(self) -> str:
        self.next_id += 1
        return f"note-{self.next_id}"

    def _pick(self, data: st.DataObject) -> str:
        return data.draw(st.sampled_from(sorted(self.disk)))

    @initialize(
        files=st.lists(st.tuples(sentences, details), min_size=1, max_size=3),
        rebuild=st.booleans(),
    )
    def populate(self, files: list[tuple[tuple[str, ...], tuple[str, ...]]], rebuild: bool) -> None:
        """A few files, ingested: every example starts from a store with content."""
        for body, more in files:
            self.create(body, more)
        self.run_ingest(rebuild)

    # Changes on disk.

    @rule(body=sentences, more=details)
    def add(self, body: tuple[str, ...], more: tuple[str, ...]) -> None:
        self.create(body, more)

    def create(self, body: tuple[str, ...], more: tuple[str, ...]) -> str:
        """A new file with a new document id; its name."""
        name = self._fresh_name()
        self._write(name, Doc(self._fresh_id(), body, more))
        return name

    @precondition(lambda self: self.disk)
    @rule(data=st.data(), body=sentences, more=details, new_id=st.booleans())
    def change(
        self, data: st.DataObject, body: tuple[str, ...], more: tuple[str, ...], new_id: bool
    ) -> None:
        name = self._pick(data)
        doc_id = self._fresh_id() if new_id else self.disk[name].doc_id
        self._write(name, Doc(doc_id, body, more))

    @precondition(lambda self: self.disk)
    @rule(data=st.data())
    def empty(self, data: st.DataObject) -> None:
        """Front matter left, no text: the file fails."""
        name = self._pick(data)
        self._write(name, Doc(self.disk[name].doc_id, (), ()))

    @precondition(lambda self: self.disk)
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        self.remove(self._pick(data))

    def remove(self, name: str) -> None:
        (self.corpus / name).unlink()
        del self.disk[name]

    @precondition(lambda self: self.disk)
    @rule(data=st.data())
    def rename(self, data: st.DataObject) -> None:
        name, target = self._pick(data), self._fresh_name()
        (self.corpus / name).rename(self.corpus / target)
        self.disk[target] = self.disk.pop(name)

    @precondition(lambda self: self.disk)
    @rule(data=st.data())
    def copy(self, data: st.DataObject) -> None:
        """A second file with the same document id: one of the two is a duplicate."""
        name, target = self._pick(data), self._fresh_name()
        shutil.copy(self.corpus / name, self.corpus / target)
        self.disk[target] = self.disk[name]

    @precondition(lambda self: len(self.disk) >= 2)
    @rule(data=st.data())
    def swap(self, data: st.DataObject) -> None:
        """Two files exchange their contents: each one's chunk ids were the other's."""
        first, second = data.draw(
            st.lists(st.sampled_from(sorted(self.disk)), min_size=2, max_size=2, unique=True)
        )
        one, other = self.disk[first], self.disk[second]
        self._write(first, other)
        self._write(second, one)

    # Writers: ingest runs and the admin's delete, each one a process that may be killed.

    @rule(rebuild=st.booleans())
    def ingest(self, rebuild: bool) -> None:
        self.run_ingest(rebuild)

    @rule(rebuild=st.booleans(), writes=st.integers(min_value=0, max_value=40))
    def killed_ingest(self, rebuild: bool, writes: int) -> None:
        """An ingest run killed before its `writes`-th write (complete when it has fewer)."""
        self.models.fuse.arm(writes)
        self.run_ingest(rebuild)

    def run_ingest(self, rebuild: bool = False) -> None:
        """An ingest run, killed where the fuse is armed to blow."""
        nothing_new = not self.crashed and self.disk == self.ingested
        report = self.survive(lambda: self.ingestor.run(rebuild=rebuild))
        if report is None:
            return
        self.crashed = False
        self.ingested = dict(self.disk)
        self.expected = self._model()
        assert sorted(o.path for o in report.failures) == sorted(self.expected.failed)
        if nothing_new and not rebuild:
            assert report.chunks_embedded == 0, report.outcomes
            assert report.count(Status.INDEXED) == 0

    @precondition(lambda self: self.disk)
    @rule(data=st.data(), writes=kill_at)
    def admin_delete(self, data: st.DataObject, writes: int | None) -> None:
        """The admin deletes a document (its corpus file stays, to come back at the next
        ingest)."""
        doc_id = self.disk[self._pick(data)].doc_id
        self.models.fuse.arm(writes)
        deleted = self.survive(lambda: self.library.delete(doc_id))
        if deleted is None or self.crashed:
            return
        assert deleted == (doc_id in self.expected.winners)
        self.expected = self.expected.without(doc_id)
        self.ingested = {n: d for n, d in self.ingested.items() if d.doc_id != doc_id}

    def survive(self, write: Callable[[], T]) -> T | None:
        """`write`'s result, or None when the process was killed (a new one then takes over)."""
        try:
            return write()
        except SimulatedCrash:
            self.crashed = True
            self._start_writer()
            return None
        finally:
            self.models.fuse.arm(None)

    def _model(self) -> Expected:
        """What an ingest of the files now on disk must leave in the store."""
        keys = {name: display_path(self.corpus / name) for name in self.disk}
        failed = {keys[n] for n, doc in self.disk.items() if not doc.body}
        readable = sorted((keys[n], n) for n, doc in self.disk.items() if doc.body)
        winners: dict[str, str] = {}
        for key, name in readable:
            winners.setdefault(self.disk[name].doc_id, key)
        chunks: dict[str, list[str]] = {}
        units: set[str] = set()
        for key, name in readable:
            if winners[self.disk[name].doc_id] != key:
                chunks[key] = []
                continue
            document = load_document(self.corpus / name, *parse_limits(self.settings))
            made = self.chunker.chunk(document, key)
            chunks[key] = [c.id for c in made]
            units |= {f"{c.id}#{u.index}" for c in made for u in chunk_units(c.text)}
        return Expected(
            chunks,
            {key: self.disk[name].doc_id for key, name in readable},
            frozenset(units),
            winners,
            {key: file_sha256(self.corpus / name) for key, name in readable},
            frozenset(failed),
        )

    # What must hold whenever no writer was killed since the last complete ingest.

    def check(self) -> None:
        """Every invariant, now."""
        self.manifest_lists_the_files()
        self.chunks_are_the_winners()
        self.vectors_belong_to_stored_chunks()
        self.bm25_index_holds_the_stored_chunks()
        self.catalogue_lists_the_documents()

    @staticmethod
    def _rows(collection: Any) -> dict[str, dict[str, Any]]:
        got = collection.get(include=["metadatas"])
        return {str(i): dict(m or {}) for i, m in zip(got["ids"], got["metadatas"], strict=True)}

    @invariant()
    def manifest_lists_the_files(self) -> None:
        if self.crashed:
            return
        manifest = Manifest.load(self.settings.manifest_path)
        expected = self.expected
        assert not manifest.writing
        assert set(manifest.files) == set(expected.chunks)
        assert set(manifest.failed) == set(expected.failed)
        for key, entry in manifest.files.items():
            assert entry.sha256 == expected.shas[key], key
            assert entry.doc_id == expected.doc_ids[key], key
            assert entry.chunk_ids == expected.chunks[key], key
            winner = expected.winners[entry.doc_id]
            if winner == key:
                assert (entry.status, entry.duplicate_of) == ("indexed", None), key
            else:
                assert (entry.status, entry.duplicate_of) == ("duplicate", winner), key

    @invariant()
    def chunks_are_the_winners(self) -> None:
        if self.crashed:
            return
        expected = self.expected
        rows = self._rows(self.reading.collection)
        wanted = {cid: key for key, ids in expected.chunks.items() for cid in ids}
        assert set(rows) == set(wanted)
        for cid, meta in rows.items():
            assert meta["source_path"] == wanted[cid], cid
            assert meta["doc_id"] == expected.doc_ids[wanted[cid]], cid

    @invariant()
    def vectors_belong_to_stored_chunks(self) -> None:
        if self.crashed:
            return
        expected = self.expected
        chunk_ids = {cid for ids in expected.chunks.values() for cid in ids}
        assert set(self._rows(self.reading.multilingual)) == chunk_ids, "multilingual chunks"
        for name, collection in (
            ("units", self.reading.units),
            ("reader", self.reading.reader_units),
            ("multilingual units", self.reading.multilingual_units),
        ):
            rows = self._rows(collection)
            assert set(rows) == expected.units, name
            assert {m["chunk_id"] for m in rows.values()} <= chunk_ids, name

    @invariant()
    def bm25_index_holds_the_stored_chunks(self) -> None:
        if self.crashed:
            return
        wanted = {cid for ids in self.expected.chunks.values() for cid in ids}
        hits = self.lexical.search(MARKER, k=10_000)
        assert {h.chunk_id for h in hits} == wanted

    @invariant()
    def catalogue_lists_the_documents(self) -> None:
        if self.crashed:
            return
        infos = self.catalog.by_id()
        assert set(infos) == set(self.expected.winners)
        for doc_id, key in self.expected.winners.items():
            assert infos[doc_id].file == Path(key).name, doc_id
            assert infos[doc_id].chunks == len(self.expected.chunks[key]), doc_id


@pytest.fixture
def models(
    tmp_path: Path,
    embedder: SentenceTransformerEmbedder,
    reader_embedder: SentenceTransformerEmbedder,
    multilingual: E5Embedder,
) -> Models:
    """The session's models behind one fuse, and a folder for the machines' stores."""
    fuse = Fuse()
    return Models(
        FusedEmbedder(embedder, fuse),
        FusedEmbedder(reader_embedder, fuse),
        multilingual,
        fuse,
        tmp_path,
    )


def bind(models: Models) -> type[StoreMachine]:
    return type("BoundStoreMachine", (StoreMachine,), {"models": models})


def test_the_store_follows_the_files_through_edits_and_crashes(models: Models) -> None:
    """A few examples per run (`STORE_MODEL_EXAMPLES` asks for more, e.g. 100 in 3 minutes)."""
    run_state_machine_as_test(
        bind(models),
        settings=settings(
            max_examples=int(os.environ.get("STORE_MODEL_EXAMPLES", "6")),
            stateful_step_count=20,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


def test_vectors_of_a_write_killed_before_its_chunks_go_when_the_file_goes(
    models: Models,
) -> None:
    machine = bind(models)()
    name = machine.create(SENTENCES[:2], SENTENCES[2:3])
    chunks = machine.settings.chroma.collection
    models.fuse.arm(0, only=f"{chunks}.upsert")  # every vector written, no chunk yet
    machine.run_ingest()
    assert machine.crashed and machine.reading.count() == 0
    assert machine.reading.units.count() > 0 and machine.reading.multilingual.count() > 0
    machine.remove(name)
    machine.run_ingest()
    assert not machine.crashed
    machine.check()


def test_vectors_of_a_delete_killed_between_collections_go_at_the_next_ingest(
    models: Models,
) -> None:
    machine = bind(models)()
    kept = machine.create(SENTENCES[3:4], ())
    gone = machine.create(SENTENCES[:2], SENTENCES[2:3])
    machine.run_ingest()
    machine.remove(gone)
    units = f"{machine.settings.chroma.collection}__units"
    models.fuse.arm(0, only=f"{units}.delete")  # the chunks deleted, their vectors not
    machine.run_ingest()
    assert machine.crashed
    kept_chunks = machine.expected.chunks[display_path(machine.corpus / kept)]
    assert machine.reading.count() == len(kept_chunks) < machine.reading.units.count()
    machine.run_ingest()
    machine.check()


def test_an_admin_delete_killed_between_collections_is_swept_by_the_next_ingest(
    models: Models,
) -> None:
    machine = bind(models)()
    name = machine.create(SENTENCES[:2], ())
    machine.run_ingest()
    reader = f"{machine.settings.chroma.collection}__reader"
    doc_id = machine.disk[name].doc_id
    models.fuse.arm(0, only=f"{reader}.delete")  # chunks and unit vectors deleted, not these
    assert machine.survive(lambda: machine.library.delete(doc_id)) is None
    assert machine.reading.count() == machine.reading.units.count() == 0
    assert machine.reading.reader_units.count() > 0
    machine.remove(name)
    machine.run_ingest()
    machine.check()
