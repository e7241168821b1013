from pathlib import Path

import pytest

from assistant.retrieval.lexical import STEMMERS, LexicalIndex, reciprocal_rank_fusion
from assistant.types import Chunk
from tests.conftest import Stack

pytestmark = pytest.mark.unit


def test_rank_fusion_weights_and_ties() -> None:
    fused = reciprocal_rank_fusion([(["a", "b", "c"], 1.0), (["c", "d"], 0.5)], k=60)
    ids = [cid for cid, _ in fused]
    assert ids[0] == "c" and set(ids) == {"a", "b", "c", "d"}  # in both lists: wins
    assert dict(fused)["c"] == pytest.approx(1 / 63 + 0.5 / 61)
    assert reciprocal_rank_fusion([(["x"], 1.0), (["y"], 1.0)]) == [("x", 1 / 61), ("y", 1 / 61)]


class _Chunks:
    """A store's two methods the index reads."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks

    def signature(self) -> object:
        return ("fixed", len(self.chunks))

    def all_chunks(self) -> list[Chunk]:
        return self.chunks


def _chunk(cid: str, text: str, language: str | None) -> Chunk:
    return Chunk(
        id=cid, text=text, doc_id=cid, title="T", doc_type="other", source="s",
        source_path=f"{cid}.md", position=0, language=language,
    )  # fmt: skip


def test_each_passage_is_analysed_in_its_own_language() -> None:
    index = LexicalIndex(
        _Chunks(  # type: ignore[arg-type]
            [
                _chunk("de", "Der Cluster wurde 2019 gegründet und vereint Unternehmen.", "de"),
                _chunk("fr", "Le pôle a été fondé en 2019 ; il réunit des entreprises.", "fr"),
                _chunk("en", "The cluster was founded in 2019 and unites companies.", "en"),
                _chunk("xx", "No language recorded: analysed as English.", None),
            ]
        )
    )
    assert index.indexes("de") and index.indexes("fr") and index.indexes("en")
    assert not index.indexes("pl")
    assert [h.chunk_id for h in index.search("Gründung der Unternehmen", 5, "de")] == ["de"]
    assert index.search("entreprise fondée", 5, "fr")[0].chunk_id == "fr"
    assert [h.chunk_id for h in index.search("founding", 5)] == ["en"]
    assert index.search("und der die", 5, "de") == []  # German stop words alone
    assert len(STEMMERS) == 18 and "mt" not in STEMMERS


@pytest.mark.integration
def test_bm25_finds_exact_names_and_knows_the_vocabulary(indexed: Stack) -> None:
    lexical = indexed.container.assistant.lexical
    hits = lexical.search("KlasterLT", 5)
    assert hits and indexed.store.get([hits[0].chunk_id])[hits[0].chunk_id].doc_id == "eca-members"
    assert lexical.unknown_terms("What is the annual budget for Estonia?") == ["budget", "estonia"]
    assert lexical.unknown_terms("Which association represents Portugal?") == []
    # Ways of asking are not terms the documents lack.
    assert lexical.unknown_terms("Does it? What kinds? Tell me, did it need to?") == []


@pytest.mark.integration
def test_coverage_gap_counts_only_content_words(indexed: Stack) -> None:
    assistant = indexed.container.assistant
    question = "What kinds of collaboration does the EU-India matchmaking promote?"
    hits = assistant.retrieve(question)
    assert assistant.lexical.coverage_gap(question, [h.chunk for h in hits[:3]]) == 0.0
    question = "What kinds of collaboration does the EU-India matchmaking fund in Estonia?"
    hits = assistant.retrieve(question)
    assert assistant.lexical.coverage_gap(question, [h.chunk for h in hits[:3]]) > 0.2


@pytest.mark.integration
def test_lexical_index_follows_ingestion(stack: Stack) -> None:
    stack.ingestor.run()
    lexical = stack.container.assistant.lexical
    assert lexical.search("zyxwv", 5) == []
    (stack.corpus / "new-note.md").write_text(
        "---\nid: new-note\ntitle: New note\ndoc_type: facts_and_figures\n---\n"
        "The zyxwv programme is a fictitious test programme.\n"
    )
    stack.ingestor.run()
    hits = lexical.search("zyxwv", 5)
    assert hits and hits[0].chunk_id.startswith("new-note:")


@pytest.mark.integration
def test_a_saved_index_is_loaded_while_the_store_is_unchanged(stack: Stack, tmp_path: Path) -> None:
    stack.ingestor.run()
    cache = tmp_path / "lexical"
    built = LexicalIndex(stack.store, cache)
    built.refresh()
    assert not built.loaded_from_cache and len(list(cache.iterdir())) == 1
    loaded = LexicalIndex(stack.store, cache)
    loaded.refresh()
    assert loaded.loaded_from_cache
    for query in ("KlasterLT", "Which association represents Portugal?", "Swedish water clusters"):
        assert loaded.search(query, 20) == built.search(query, 20)
        assert loaded.unknown_terms(query) == built.unknown_terms(query)
        assert loaded.question_terms(query) == built.question_terms(query)
    chunks = stack.store.all_chunks()[:3]
    question = "What is the annual budget of the alliance?"
    assert loaded.coverage_gap(question, chunks) == built.coverage_gap(question, chunks)

    (stack.corpus / "new-note.md").write_text(
        "---\nid: new-note\ntitle: New note\ndoc_type: facts_and_figures\n---\n"
        "The zyxwv programme is a fictitious test programme.\n"
    )
    stack.ingestor.run()  # a new store signature: rebuilt, saved, the old save dropped
    assert loaded.search("zyxwv", 5) and not loaded.loaded_from_cache
    assert len(list(cache.iterdir())) == 1


@pytest.mark.integration
def test_a_damaged_save_is_rebuilt(stack: Stack, tmp_path: Path) -> None:
    stack.ingestor.run()
    cache = tmp_path / "lexical"
    LexicalIndex(stack.store, cache).refresh()
    (saved,) = cache.iterdir()
    (saved / "terms.npz").write_bytes(b"not an archive")
    index = LexicalIndex(stack.store, cache)
    assert index.search("KlasterLT", 5) and not index.loaded_from_cache
    again = LexicalIndex(stack.store, cache)
    assert again.search("KlasterLT", 5) and again.loaded_from_cache


@pytest.mark.integration
def test_the_container_keeps_the_index_under_the_data_dir(indexed: Stack) -> None:
    lexical = indexed.container.lexical
    lexical.refresh()
    assert any((indexed.settings.data_dir / "lexical").iterdir())
