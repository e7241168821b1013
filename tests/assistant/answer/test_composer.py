"""The composer with a deterministic stand-in embedder (unit) — real-model cases live in
test_assistant.py."""

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest

from assistant.answer.answerability import ThresholdAnswerability
from assistant.answer.composer import ExtractiveComposer
from assistant.answer.reader import pair_text
from assistant.answer.scoring import BlendModel, UnitReader
from assistant.settings import AnswerSettings
from assistant.text import cite
from assistant.types import Answer, Chunk, ScoredChunk

pytestmark = pytest.mark.unit

VOCAB = ["wage", "alliance", "portugal", "services", "weather", "joke", "budget"]


class KeywordEmbedder:
    """Bag-of-keywords vectors: similarity = shared keywords."""

    name = "keywords"

    def warm_up(self) -> None: ...

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows = []
        for text in texts:
            v = np.array([1.0 if w in text.lower() else 0.0 for w in VOCAB] + [0.3])
            rows.append(v / np.linalg.norm(v))
        return np.array(rows, dtype=np.float32)


def hit(text: str, score: float, rank: int, cid: str = "c") -> ScoredChunk:
    chunk = Chunk(
        id=f"{cid}{rank}",
        text=text,
        doc_id=f"doc{rank}",
        title=f"Doc {rank}",
        doc_type="facts_and_figures",
        source="Panorama 2019",
        source_path="x.md",
        position=0,
        section="Wages",
    )
    return ScoredChunk(chunk, score, rank)


class Composed:
    """Read (the blend scorer) → decide (the threshold rule) → compose, as the pipeline runs
    them, over a stand-in embedder."""

    def __init__(
        self,
        embedder: KeywordEmbedder,
        settings: AnswerSettings,
        lookup: object = None,
        terms: object = None,
        reader: object = None,
    ) -> None:
        used = reader if settings.reader_weight > 0 else None
        self.reader = UnitReader(
            embedder,
            BlendModel(settings.reader_weight),
            lookup,
            terms,
            used,
        )
        self.decider = ThresholdAnswerability(settings)
        self.composer = ExtractiveComposer(settings, terms)

    def compose(self, question: str, vector: np.ndarray, hits: list[ScoredChunk]) -> Answer:
        reading = self.reader.read(question, vector, hits)
        return self.composer.compose(question, reading, self.decider.decide(reading))


def composer() -> tuple[Composed, KeywordEmbedder]:
    emb = KeywordEmbedder()
    return Composed(emb, AnswerSettings(refusal_threshold=0.5)), emb


def test_answer_cites_the_passage_each_sentence_comes_from() -> None:
    comp, emb = composer()
    hits = [
        hit("The average wage is 13.5% higher. Unrelated filler here.", 0.9, 0),
        hit("The alliance has a wage study too.", 0.7, 1),
    ]
    answer = comp.compose("What about the wage?", emb.embed(["wage"])[0], hits)
    assert not answer.refused
    assert "The average wage is 13.5% higher [1]." in answer.answer
    assert "Unrelated filler" not in answer.answer
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for c in answer.citations:
        assert f"[{c.n}]" in answer.answer


def test_weak_evidence_is_refused_without_citations() -> None:
    comp, emb = composer()
    hits = [hit("The average wage is 13.5% higher.", 0.2, 0)]
    answer = comp.compose("Tell me a joke", emb.embed(["joke"])[0], hits)
    assert answer.refused and answer.citations == []
    assert "do not answer" in answer.answer and "Wages" in answer.answer


def test_no_passages_is_a_refusal() -> None:
    comp, emb = composer()
    assert comp.compose("anything", emb.embed(["x"])[0], []).refused


def test_list_question_gets_the_list() -> None:
    comp, emb = composer()
    items = "\n".join(f"- services item {i}" for i in range(5))
    answer = comp.compose(
        "Which services are offered?",
        emb.embed(["services"])[0],
        [hit(f"The services are:\n{items}", 0.9, 0)],
    )
    assert answer.answer.count("\n- ") == 4 and answer.answer.startswith("- services item 0")


def test_a_sentence_read_in_two_passages_is_quoted_once() -> None:
    from assistant.answer.composer import _without_repeats
    from assistant.answer.reading import Unit

    first, second = hit("Clusters raise wages.", 0.9, 0), hit("Clusters raise wages.", 0.8, 1)
    units = [
        Unit("Clusters raise wages.", first, 0, False),
        Unit("Clusters  raise wages.", second, 0, False),
        Unit("Wages rise.", second, 1, False),
        Unit("Wages rise. Jobs grow.", second, 2, False),
    ]
    assert _without_repeats(units, [0, 1, 2, 3]) == [0, 3]


def test_citation_goes_before_final_punctuation() -> None:
    assert cite("A sentence.", 2) == "A sentence [2]."
    assert cite("No stop", 1) == "No stop [1]"


def test_advice_question_gets_the_whole_pair_from_the_best_passage() -> None:
    comp, emb = composer()
    pair_a = "Don't: fund every alliance budget.\nDo instead: fund strategic wage work."
    pair_b = "Don't: support single firms.\nDo instead: support groups of firms."
    answer = comp.compose(
        "Should the alliance fund everything?",
        emb.embed(["alliance budget"])[0],
        [hit(pair_a, 0.9, 0), hit(pair_b, 0.85, 1)],
    )
    assert answer.answer == (
        "Don't: fund every alliance budget [1]. Do instead: fund strategic wage work [1]."
    )
    assert len(answer.citations) == 1


def test_stored_unit_vectors_are_used_instead_of_embedding() -> None:
    emb = KeywordEmbedder()
    calls: list[list[str]] = []
    chunk_text = "The average wage is 13.5% higher. The alliance has members."
    stored = {("c0", 0): emb.embed(["wage"])[0], ("c0", 1): emb.embed(["alliance"])[0]}

    def lookup(ids: Sequence[str]) -> dict[tuple[str, int], np.ndarray]:
        calls.append(list(ids))
        return stored

    class CountingEmbedder(KeywordEmbedder):
        embedded: list[str] = []  # noqa: RUF012

        def embed(self, texts: Sequence[str]) -> np.ndarray:
            self.embedded.extend(texts)
            return super().embed(texts)

    counting = CountingEmbedder()
    comp = Composed(counting, AnswerSettings(refusal_threshold=0.5), lookup)
    answer = comp.compose("wage?", emb.embed(["wage"])[0], [hit(chunk_text, 0.9, 0)])
    assert "13.5%" in answer.answer and calls == [["c0"]]
    assert counting.embedded == []  # nothing embedded at answer time


def test_the_kind_of_value_asked_for_is_in_the_answer() -> None:
    comp, emb = composer()
    hits = [
        hit(
            "The alliance wage survey is run by a team. The alliance wage survey is popular. "
            "The alliance wage survey has many readers. The alliance wage survey is long. "
            "The alliance wage survey is read widely. "
            "The wage survey is published by the Alliance Office in Lisbon.",
            0.9,
            0,
        )
    ]
    answer = comp.compose(
        "Where is the alliance wage survey published?", emb.embed(["wage alliance"])[0], hits
    )
    assert "Lisbon" in answer.answer
    assert answer.answer.count("[1]") == 4  # the sentence with the place replaced the weakest


def test_a_comparison_gets_a_sentence_for_each_side() -> None:
    comp, emb = composer()
    hits = [
        hit("Some wage reports mention the budget. Wage reports appear often.", 0.9, 0),
        hit("There were 8 wage reports. There were 6 budget reports.", 0.7, 1),
    ]
    answer = comp.compose(
        "Were there more wage reports or budget reports?", emb.embed(["wage budget"])[0], hits
    )
    assert "There were 8 wage reports" in answer.answer
    assert "There were 6 budget reports" in answer.answer


def test_how_many_gets_the_count_not_the_list() -> None:
    comp, emb = composer()
    items = "\n".join(f"- services item {i}" for i in range(5))
    hits = [hit(f"The portal lists 5 services.\nThe services are:\n{items}", 0.9, 0)]
    answer = comp.compose("How many services are offered?", emb.embed(["services"])[0], hits)
    assert "lists 5 services" in answer.answer and "\n- " not in answer.answer


def test_where_and_when_keeps_both_values_in_a_full_answer() -> None:
    comp, emb = composer()
    filler = " ".join(f"The alliance wage survey point {w} is noted." for w in "abcdef")
    hits = [
        hit(
            f"{filler} The wage survey appears on 3 March 2025. "
            "The wage survey is printed by the Alliance Office in Lisbon.",
            0.9,
            0,
        )
    ]
    answer = comp.compose(
        "Where and when is the alliance wage survey published?",
        emb.embed(["wage alliance"])[0],
        hits,
    )
    assert "3 March 2025" in answer.answer and "Lisbon" in answer.answer
    assert answer.answer.count("[1]") == 4


class WordTerms:
    """A term index over plain lower-case words (IDF 1 each)."""

    def question_terms(self, question: str) -> dict[str, float]:
        stop = {"which", "of", "the", "work", "on", "what", "are", "how", "many", "does", "have"}
        return {w: 1.0 for w in _words(question) if w not in stop}

    def terms_of(self, text: str) -> set[str]:
        return _words(text)

    def terms_of_each(self, texts: Sequence[str]) -> list[set[str]]:
        return [_words(t) for t in texts]

    def matches(self, term: str, present: set[str]) -> bool:
        return term in present

    def covered(self, weights: dict[str, float], present: set[str]) -> float:
        return sum(w for t, w in weights.items() if t in present) / (sum(weights.values()) or 1)


def _words(text: str) -> set[str]:
    return {w.strip("?.,").lower() for w in text.split() if w.strip("?.,")}


def test_which_of_the_list_returns_only_the_matching_items() -> None:
    emb = KeywordEmbedder()
    comp = Composed(emb, AnswerSettings(refusal_threshold=0.1), None, WordTerms())
    text = (
        "Our services are:\n- wage advice\n- budget water checks\n- alliance water talks\n- jokes"
    )
    hits = [hit(text, 0.9, 0)]
    answer = comp.compose("Which of the services work on water?", emb.embed(["services"])[0], hits)
    assert answer.answer.splitlines() == ["- budget water checks [1]", "- alliance water talks [1]"]


def test_a_passage_with_two_lists_answers_with_the_one_asked_about() -> None:
    emb = KeywordEmbedder()
    comp = Composed(emb, AnswerSettings(refusal_threshold=0.1), None, WordTerms())
    text = (
        "Jokes:\n- joke one\n- joke two\n- joke three\n"
        "Services offered:\n- wage services\n- budget services\n- alliance services"
    )
    answer = comp.compose(
        "What services are there?", emb.embed(["services"])[0], [hit(text, 0.9, 0)]
    )
    assert "joke" not in answer.answer and answer.answer.count("services [1]") == 3


def test_a_figure_absent_from_every_sentence_about_the_question_is_said_first() -> None:
    emb = KeywordEmbedder()
    comp = Composed(emb, AnswerSettings(refusal_threshold=0.1), None, WordTerms())
    hits = [hit("The alliance budget is decided yearly. Weather costs 5 euros.", 0.9, 0)]
    answer = comp.compose("How big is the alliance budget?", emb.embed(["budget"])[0], hits)
    assert answer.coverage == "partial" and answer.note.startswith("The documents do not give")
    given = [hit("The alliance budget is 5 million euros.", 0.9, 0)]
    answer = comp.compose("How big is the alliance budget?", emb.embed(["budget"])[0], given)
    assert answer.coverage == "full" and answer.note == ""


def test_a_comparison_gives_each_side_its_value_from_a_sentence_naming_that_side() -> None:
    """Neither sentence holds the question's terms (each names one side), yet together they
    give the dates compared: the answer is full, not 'the documents do not give the date'."""
    emb = KeywordEmbedder()
    comp = Composed(emb, AnswerSettings(refusal_threshold=0.1), None, WordTerms())
    hits = [
        hit("The Alliance summit was held on 3 May 2021.", 0.9, 0),
        hit("The budget summit was held on 9 June 2023.", 0.8, 1),
    ]
    question = "Which came first, the Alliance summit or the budget summit?"
    answer = comp.compose(question, emb.embed(["alliance budget"])[0], hits)
    assert "2021" in answer.answer and "2023" in answer.answer
    assert answer.coverage == "full" and answer.note == ""
    one = comp.compose(question, emb.embed(["alliance budget"])[0], hits[:1])
    assert one.coverage == "partial" and one.note.startswith("The documents do not give")


def test_navigation_passages_are_never_quoted() -> None:
    emb = KeywordEmbedder()
    comp = Composed(emb, AnswerSettings(refusal_threshold=0.1))
    toc = hit("Contents. Wage study 3. Alliance 5.", 0.95, 0)
    toc = ScoredChunk(replace(toc.chunk, navigation=True), toc.score, toc.rank)
    answer = comp.compose("wage?", emb.embed(["wage"])[0], [toc, hit("The wage is high.", 0.8, 1)])
    assert "Contents" not in answer.answer and "The wage is high" in answer.answer


class FigureReader:
    """A stand-in reader: only a unit giving a percentage answers."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.keys: list[tuple[str, int]] = []

    def warm_up(self) -> None: ...

    @staticmethod
    def shown(title: str, section: str | None, text: str) -> str:
        return pair_text(title, section, text)

    def scores(
        self,
        question: str,
        candidates: Sequence[str],
        keys: Sequence[tuple[str, int]] | None = None,
    ) -> np.ndarray:
        self.seen = list(candidates)
        self.keys = list(keys or [])
        return np.array([1.0 if "%" in c else 0.0 for c in candidates], dtype=np.float32)


def test_the_reader_decides_which_sentence_answers_when_it_is_weighted() -> None:
    emb = KeywordEmbedder()
    reader = FigureReader()
    settings = AnswerSettings(refusal_threshold=0.3, max_sentences=1, reader_weight=0.6)
    comp = Composed(emb, settings, reader=reader)
    hits = [
        hit("The wage study covers the alliance wage. The average wage is 13.5% higher.", 0.9, 0)
    ]
    answer = comp.compose("How much higher is the wage?", emb.embed(["wage"])[0], hits)
    assert answer.answer == "The average wage is 13.5% higher [1]."
    # The reader sees each unit as it asks to (this one: with its document's title and heading).
    assert reader.seen[0].startswith("Doc 0 — Wages: ")
    assert reader.keys == [("c0", 0), ("c0", 1)]  # so that stored reader vectors can be used


def test_a_reader_with_no_weight_is_never_asked() -> None:
    emb = KeywordEmbedder()
    reader = FigureReader()
    settings = AnswerSettings(refusal_threshold=0.3, reader_weight=0.0)
    comp = Composed(emb, settings, reader=reader)
    comp.compose("wage?", emb.embed(["wage"])[0], [hit("The wage is 13.5% higher.", 0.9, 0)])
    assert reader.seen == []


def test_a_yes_no_question_about_a_list_member_gets_its_entry_or_the_note() -> None:
    emb = KeywordEmbedder()
    comp = Composed(emb, AnswerSettings(refusal_threshold=0.1), None, WordTerms())
    text = (
        "Members of the alliance:\n- Portugal wage cluster\n- Spain wage cluster\n"
        "- Italy wage cluster"
    )
    hits = [hit(text, 0.9, 0)]
    present = comp.compose("Is Spain in the alliance?", emb.embed(["alliance wage"])[0], hits)
    assert present.answer == "Spain wage cluster [1]" and present.coverage == "full"
    absent = comp.compose("Is Estonia in the alliance?", emb.embed(["alliance wage"])[0], hits)
    assert absent.coverage == "partial" and absent.note.startswith("Estonia is not among")
    assert absent.answer.count("wage cluster [1]") == 3 and absent.citations
    # Not a yes/no question: the list route, not the membership note.
    listed = comp.compose("Which members are there?", emb.embed(["alliance wage"])[0], hits)
    assert listed.note == ""
    # However the question is phrased, something the list leaves out gets the note; a
    # question that names an entry is answered as usual, and a capital that only opens the
    # question names nothing.
    which = comp.compose("Which cluster is Estonia's?", emb.embed(["alliance wage"])[0], hits)
    assert which.coverage == "partial" and which.note.startswith("Estonia is not among")
    named = comp.compose("Which cluster is Spain's?", emb.embed(["alliance wage"])[0], hits)
    assert named.note == "" and "Spain wage cluster" in named.answer
    opening = comp.compose("Roughly which members?", emb.embed(["alliance wage"])[0], hits)
    assert opening.note == ""
    # A statement that outscores every entry is the answer, not the list.
    hits = [hit("Spain hosts the alliance wage office.", 0.95, 0), hit(text, 0.9, 1)]
    stated = comp.compose("Is Estonia in the alliance?", emb.embed(["alliance wage"])[0], hits)
    assert stated.note == "" and "Spain hosts" in stated.answer


def test_each_part_of_a_coordinated_question_gets_its_best_sentence() -> None:
    comp, emb = composer()
    hits = [
        hit(
            "The wage for services in Portugal is 10 euros an hour. "
            "The weather in Portugal is mild. The budget is 5 million.",
            0.9,
            0,
        ),
        hit("Another alliance budget is 7 million.", 0.8, 1),
    ]
    question = "How high is the wage for services in Portugal, and what is the budget?"
    vector = emb.embed([question])[0]
    alone = comp.compose("How high is the wage for services in Portugal?", vector, hits)
    assert "budget" not in alone.answer  # the whole question's scores leave it out
    answer = comp.compose(question, vector, hits)
    assert "10 euros" in answer.answer and "The budget is 5 million" in answer.answer
    # Only from a document the answer quotes already: the parts ask about one subject.
    assert "Another alliance budget" not in answer.answer


def test_a_question_asking_when_is_not_answered_with_a_list() -> None:
    comp, emb = composer()
    items = "\n".join(f"- services item {i}" for i in range(5))
    text = f"New services may be proposed from 3 March 2025.\nThe services are:\n{items}"
    answer = comp.compose(
        "When can new services be proposed?", emb.embed(["services"])[0], [hit(text, 0.9, 0)]
    )
    assert "3 March 2025" in answer.answer and "\n- " not in answer.answer
