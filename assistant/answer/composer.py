"""The offline, extractive answer composer.

It answers only with sentences taken from the retrieved passages, so every sentence is supported
by the passage it cites. Sentences (and list items, and table rows) are scored by their similarity
to the question blended with their passage's score, chosen with maximal marginal relevance to avoid
repeating one another, and put back in reading order. When the best evidence is too weak the
composer declines instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Protocol

import numpy as np

from assistant.answer.answer_types import (
    asked_types,
    carries,
    compared_sides,
    mentions,
)
from assistant.answer.reader import Reader
from assistant.answer.units import UnitVectorLookup, unit_matrix
from assistant.embedder import Embedder
from assistant.settings import AnswerSettings
from assistant.text import DO, DONT, LIST_UNIT_MIN_ITEMS, chunk_units, cite, snippet
from assistant.types import Answer, Citation, ScoredChunk

REFUSAL = "The documents I have do not answer this question."
SENTENCE_WEIGHT = 0.65
# A question that asks for several things: "what are …", "list …", "which of the …"
# (`_RESTRICTED`), or "which/what" followed within three words by a plural ("Which clusters …",
# "What key priorities …"); a word in -s that an article follows is a verb ("Which body manages
# the …"), not a plural.
_LIST_QUESTION = re.compile(
    r"^\s*(?:what|which|who|where|when) (?:are|were)\b|^\s*(?:list|enumerate|name all|name the)\b"
    r"|^\s*(?:[a-z]+\s+)?(?:what|which)\s+(?:[\w-]+\s+){0,2}?"
    r"(?!(?:does|has|was|is|this|its|us|as)\b)[a-z][\w-]*[a-z](?<![sui])s\b"
    r"(?!\s+(?:the|a|an|its|their|this|that|these|those|his|her|our)\b)",
    re.IGNORECASE,
)
# "Which of the …", "which among …": the question restricts a list to the items that match.
_RESTRICTED = re.compile(r"^\s*(?:what|which)\s+(?:ones\s+)?(?:of|among)\b", re.IGNORECASE)
_NAME = re.compile(r"(?<=\w )[A-ZÀ-Þ][\w-]+")
_PLURAL = re.compile(r"\b[a-z][\w-]*[a-z](?<![sui])s\b")
_ABSENT = {
    "number": "the figure",
    "date": "the date",
    "name": "the name",
    "email": "the email address",
    "url": "the web address",
}
_LABEL = re.compile(r"^\W*(?:don[’']?t|do not|do(?: instead)?)\s*:", re.IGNORECASE)
# "Should a region …?", "Is it good policy to …?": a question a Do/Don't pair answers.
_ADVICE_QUESTION = re.compile(
    r"^\s*(should|shall|must|can|could|may|is it|is a|is an|are|do|does|what should|how should)\b",
    re.IGNORECASE,
)
UNKNOWN_TERMS_COUNTED = 2  # at most this many unknown question terms lower the evidence
LIST_MARGIN = 0.12  # a list passage may score this much below the best passage
RESTRICTION_SHARE = 0.5  # a question term held by at most this share of a list's items narrows it


class TermIndex(Protocol):
    """What the composer needs from the lexical index: weighted question terms, a text's terms."""

    def question_terms(self, question: str) -> dict[str, float]: ...

    def terms_of(self, text: str) -> set[str]: ...

    def terms_of_each(self, texts: Sequence[str]) -> list[set[str]]: ...

    def matches(self, term: str, present: set[str]) -> bool: ...

    def covered(self, weights: dict[str, float], present: set[str]) -> float: ...


@dataclass(frozen=True)
class _Unit:
    text: str
    hit: ScoredChunk
    index: int
    is_item: bool
    line: int = 0
    is_list: bool = False
    items: tuple[int, ...] = ()

    @property
    def advice(self) -> str | None:
        """Which half of a Do/Don't pair this unit is ("dont" or "do"), if any.

        A list item opening with "Don't"/"Do" is one; so is any unit with a labelled opening
        ("Don't:", "Do instead:"), as PDF text loses list bullets.
        """
        labelled = _LABEL.match(self.text)
        if labelled:
            return "dont" if DONT.match(labelled.group(0)) else "do"
        if not self.is_item:
            return None
        if DONT.match(self.text):
            return "dont"
        return "do" if DO.match(self.text) else None


def _best_run(items: list[int], units: list[_Unit], scores: np.ndarray) -> list[int]:
    """Of a passage's list items, the run of consecutive ones (one list) whose best item scores
    highest: a passage may hold two lists, and the question asks about one."""
    if not items:
        return []
    runs: list[list[int]] = []
    for i in items:
        if runs and units[i].index == units[runs[-1][-1]].index + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    lists = [run for run in runs if len(run) >= 3] or [items]
    return max(lists, key=lambda run: max(float(scores[i]) for i in run))


def _pairs(units: list[_Unit]) -> dict[int, int]:
    """Partner index of each half of a Do/Don't pair (adjacent items of one passage)."""
    partners: dict[int, int] = {}
    for i in range(len(units) - 1):
        a, b = units[i], units[i + 1]
        if a.hit.chunk.id == b.hit.chunk.id and {a.advice, b.advice} == {"dont", "do"}:
            partners[i], partners[i + 1] = i + 1, i
    return partners


def nearest_sections(hits: list[ScoredChunk], limit: int = 3) -> list[str]:
    """Readable names of the closest sections, for a refusal message."""
    names: list[str] = []
    for hit in hits:
        chunk = hit.chunk
        name = f"“{chunk.section}” in {chunk.title}" if chunk.section else chunk.title
        if name not in names:
            names.append(name)
        if len(names) == limit:
            break
    return names


class ExtractiveComposer:
    """Builds a cited answer out of retrieved passages, or declines.

    Unit vectors come from `unit_vectors` (stored at ingest time) when given; units it lacks are
    embedded on the spot.
    """

    def __init__(
        self,
        embedder: Embedder,
        settings: AnswerSettings,
        unit_vectors: UnitVectorLookup | None = None,
        terms: TermIndex | None = None,
        reader: Reader | None = None,
    ) -> None:
        self._embedder = embedder
        self._settings = settings
        self._lookup = unit_vectors
        self._terms = terms
        self._reader = reader if settings.reader_weight > 0 else None

    def warm_up(self) -> None:
        """Load the embedding model (and the reader, when it is used) now."""
        self._embedder.warm_up()
        if self._reader is not None:
            self._reader.warm_up()

    def _vectors(self, units: list[_Unit]) -> np.ndarray:
        keys = [(u.hit.chunk.id, u.index, u.text) for u in units]
        return unit_matrix(self._embedder, self._lookup, keys)

    def compose(
        self,
        question: str,
        question_vector: np.ndarray,
        hits: list[ScoredChunk],
        unknown_terms: Sequence[str] = (),
        coverage_gap: float = 0.0,
    ) -> Answer:
        """An answer whose sentences all come from `hits`, each followed by its citation."""
        units = self._units(hits)
        if not units:
            return refusal(hits, 0.0)
        unit_vectors = self._vectors(units)
        sentence_sims = unit_vectors @ question_vector
        chunk_scores = np.array([u.hit.score for u in units], dtype=np.float32)
        scores = SENTENCE_WEIGHT * sentence_sims + (1 - SENTENCE_WEIGHT) * chunk_scores
        if self._reader is not None:
            # The reader's score of each unit, the unit shown as that reader was trained on it.
            read = self._reader.scores(
                question,
                [self._reader.shown(u.hit.chunk.title, u.hit.chunk.section, u.text) for u in units],
                keys=[(u.hit.chunk.id, u.index) for u in units],
            )
            weight = self._settings.reader_weight
            scores = (1 - weight) * scores + weight * read
        best = int(np.argmax(scores))
        # Terms the documents never mention lower the evidence: the passages found are about
        # something near the question, not the thing asked.
        # So do question terms the best passages lack: they are on topic but do not say it.
        penalty = self._settings.unknown_term_penalty * min(
            len(unknown_terms), UNKNOWN_TERMS_COUNTED
        )
        penalty += self._settings.coverage_gap_weight * coverage_gap
        evidence = float(scores[best]) - penalty
        if evidence < self._settings.refusal_threshold:
            answer = refusal(hits, evidence)
        else:
            weights = self._terms.question_terms(question) if self._terms is not None else {}
            # Whether a unit is about the question, judged once per unit for every use below.
            about = cache(lambda i: self._about(units[i], weights)) if weights else None
            order = list(np.argsort(-scores, kind="stable"))
            chosen = self._select(units, unit_vectors, scores, order, question, weights, about)
            answer = self._render(units, chosen, evidence)
            absent = self._absent_values(units, order, question, about)
            if absent:
                what = " or ".join(_ABSENT[kind] for kind in absent)
                note = f"The documents do not give {what} asked for. What they do say:"
                answer = replace(answer, note=note, coverage="partial")
        return replace(
            answer, unknown_terms=list(unknown_terms), coverage_gap=round(coverage_gap, 4)
        )

    def _absent_values(
        self,
        units: list[_Unit],
        order: list[int],
        question: str,
        about: Callable[[int], bool] | None,
    ) -> list[str]:
        """The kinds of value the question asks for (a figure, a date, a name) that no candidate
        sentence gives *about the question*: a sentence counts only when it, with its passage's
        title and heading, holds `value_coverage` of the question's weighted terms."""
        kinds = [k for k in asked_types(question) if k in _ABSENT]
        if not kinds or about is None or self._settings.value_coverage <= 0:
            return []
        pool = order[: max(self._settings.value_candidates, 1)]
        absent = []
        for kind in kinds:
            bearing = [i for i in pool if carries(kind, units[i].text, question)]
            if not any(about(i) for i in bearing):
                absent.append(kind)
        return absent

    def _about(self, unit: _Unit, weights: dict[str, float]) -> bool:
        """Whether `unit` (with its passage's title and heading) holds enough question terms."""
        assert self._terms is not None
        chunk = unit.hit.chunk
        present = self._terms.terms_of(f"{chunk.title} {chunk.section or ''} {unit.text}")
        return self._terms.covered(weights, present) >= self._settings.value_coverage

    def _units(self, hits: list[ScoredChunk]) -> list[_Unit]:
        seen: set[str] = set()
        units: list[_Unit] = []
        for hit in hits:
            if hit.chunk.navigation:  # a table of contents lists headings; it answers nothing
                continue
            for unit in chunk_units(hit.chunk.text):
                key = unit.text.lower()
                if key not in seen:  # overlap repeats sentences across chunks
                    seen.add(key)
                    units.append(
                        _Unit(
                            unit.text,
                            hit,
                            unit.index,
                            unit.is_item,
                            unit.line,
                            unit.is_list,
                            unit.items,
                        )
                    )
        return units

    def _select(
        self,
        units: list[_Unit],
        vectors: np.ndarray,
        scores: np.ndarray,
        order: list[int],
        question: str,
        weights: dict[str, float],
        about: Callable[[int], bool] | None,
    ) -> list[int]:
        best = order[0]
        floor = float(scores[best]) * self._settings.relative_cutoff
        pairs = _pairs(units)
        top = max(u.hit.score for u in units)
        if best in pairs or _ADVICE_QUESTION.search(question):
            # Advice is answered by the matching Do/Don't pair, both halves, as written: the pair
            # of the best-retrieved passage holding one (its heading names the pair's topic).
            for i in sorted(pairs, key=lambda j: (units[j].hit.rank, units[j].index)):
                if units[i].hit.score < top - LIST_MARGIN:
                    break
                return sorted((i, pairs[i]))
        sides = compared_sides(question)
        kinds = asked_types(question)
        # "How many …?" wants a count, a comparison a sentence per side: neither wants a list.
        is_list = _LIST_QUESTION.search(question) or _RESTRICTED.search(question)
        if is_list and not sides and "number" not in kinds:
            # A list question is answered by a list: the items of the best-retrieved passage
            # that holds one (three items or more), if it ranks close to the best passage.
            items_by_chunk: dict[str, list[int]] = {}
            for i, unit in enumerate(units):
                if unit.is_item:
                    items_by_chunk.setdefault(unit.hit.chunk.id, []).append(i)
            for hit in sorted(
                {u.hit.chunk.id: u.hit for u in units}.values(), key=lambda h: h.rank
            ):
                items = items_by_chunk.get(hit.chunk.id, [])
                if hit.score < top - LIST_MARGIN:
                    break
                run = _best_run(items, units, scores)
                if len(run) >= 3:
                    return self._restricted(units, run, question, weights) or run
            # Else the list unit that scores highest: a short list under its lead-in, or a
            # sentence enumerating after a colon.
            whole = self._best_list(units, scores, top, question, weights)
            if whole is not None:
                return whole
        candidates = [i for i in order if scores[i] >= floor]
        chosen: list[int] = []
        lam = self._settings.mmr_lambda
        while candidates and len(chosen) < self._settings.max_sentences:
            if chosen:
                redundancy = (vectors[candidates] @ vectors[chosen].T).max(axis=1)
                mmr = lam * scores[candidates] - (1 - lam) * redundancy
                pick = candidates[int(np.argmax(mmr))]
            else:
                pick = candidates[0]
            chosen.append(pick)
            candidates.remove(pick)
        chosen, added = self._with_asked_values(units, chosen, order, question, kinds, about)
        return self._with_both_sides(units, chosen, order, question, kinds, sides, added)

    def _best_list(
        self,
        units: list[_Unit],
        scores: np.ndarray,
        top: float,
        question: str,
        weights: dict[str, float],
    ) -> list[int] | None:
        """The list a list question asks for, judged as a whole: of the list units (a lead-in
        with its items, or a sentence enumerating after a colon) in passages ranked close to the
        best, the one scoring highest. Answered by its items (those the question restricts it
        to, when it does), or by the enumerating sentence; None without list units."""
        lists = [i for i, u in enumerate(units) if u.is_list and u.hit.score >= top - LIST_MARGIN]
        if not lists:
            return None
        best = max(lists, key=lambda i: float(scores[i]))
        chosen = units[best]
        items = [
            i
            for i, u in enumerate(units)
            if u.is_item and u.hit.chunk.id == chosen.hit.chunk.id and u.index in chosen.items
        ]
        if len(items) >= LIST_UNIT_MIN_ITEMS:
            return self._restricted(units, items, question, weights) or items
        return [best]

    def _restricted(
        self, units: list[_Unit], run: list[int], question: str, weights: dict[str, float]
    ) -> list[int]:
        """The items that match what a list question restricts the list by ("which of the
        Finnish clusters work on water?"): question terms that the document's title and the
        list's lead-in lack, held by at most half of the items; the items holding the most of
        their weight. Items of the same document's other lists among the candidates count too (a
        long list is cut into several passages). [] when the question restricts nothing."""
        if self._terms is None:
            return []
        chunk = units[run[0]].hit.chunk
        lead = " ".join(
            u.text
            for u in units
            if u.hit.chunk.id == chunk.id and not u.is_item and not (u.is_list and u.items)
        )
        shared = self._terms.terms_of(f"{chunk.title} {lead}")
        # The question's plurals name what is listed ("events and trainings"), not a restriction.
        shared |= self._terms.terms_of(" ".join(_PLURAL.findall(question)))
        narrow = {t: w for t, w in weights.items() if not self._terms.matches(t, shared)}
        if not narrow:
            return []
        pool = [i for i, u in enumerate(units) if u.is_item and u.hit.chunk.doc_id == chunk.doc_id]
        present = self._terms.terms_of_each([units[i].text for i in pool])
        has = {t: [self._terms.matches(t, terms) for terms in present] for t in narrow}
        # A term most items share defines the list ("represented by …"); one that a few items
        # hold restricts it ("Swedish", "water").
        narrowing = [t for t, hits in has.items() if 0 < sum(hits) <= RESTRICTION_SHARE * len(pool)]
        if not _RESTRICTED.search(question):
            # Without "which of the …", only a name restricts ("… Swedish clusters"): a plain
            # word may be part of what is asked ("what does the ECCP offer?").
            names = self._terms.terms_of(" ".join(_NAME.findall(question)))
            narrowing = [t for t in narrowing if t in names]
        if not narrowing:
            return []
        # The items holding the most of the narrowing terms' weight (rare terms weigh most).
        held = [sum(narrow[t] for t in narrowing if has[t][k]) for k in range(len(pool))]
        matching = [i for k, i in enumerate(pool) if held[k] >= max(held) - 1e-9]
        return sorted(matching, key=lambda i: (units[i].hit.rank, units[i].index))

    def _with_asked_values(
        self,
        units: list[_Unit],
        chosen: list[int],
        order: list[int],
        question: str,
        kinds: list[str],
        about: Callable[[int], bool] | None,
    ) -> tuple[list[int], set[int]]:
        """`chosen` plus, for each kind of value the question asks for (a date for "when", a
        name for "where") that no chosen sentence about the question holds, the best sentence
        holding one: one about the question (`_about`) first, else any.

        The added sentence replaces the weakest choice when the answer is full; it must be among
        the `value_candidates` best-scoring sentences. Returns the choice and the units added.
        """
        is_about = about or (lambda i: True)
        added: set[int] = set()
        for kind in kinds:
            if any(carries(kind, units[i].text, question) and is_about(i) for i in chosen):
                continue
            pool = [
                i
                for i in order[: self._settings.value_candidates]
                if i not in chosen and carries(kind, units[i].text, question)
            ]
            # The value of a sentence about what is asked (the population, not any figure).
            found = next((i for i in pool if is_about(i)), None)
            if found is None and not any(carries(kind, units[i].text, question) for i in chosen):
                found = pool[0] if pool else None
            if found is not None:
                chosen = self._include(chosen, found, added)
                added.add(found)
        return chosen, added

    def _with_both_sides(
        self,
        units: list[_Unit],
        chosen: list[int],
        order: list[int],
        question: str,
        kinds: list[str],
        sides: list[frozenset[str]],
        added: set[int],
    ) -> list[int]:
        """For a comparison, `chosen` plus a sentence about each side alone, unless one is chosen
        already (with the kind of value asked for, when the question asks for one). Units in
        `added` (holding an asked-for value) are not given up to make room."""
        added = set(added)
        pool = order[: self._settings.value_candidates]

        def valued(i: int) -> bool:
            return not kinds or any(carries(k, units[i].text, question) for k in kinds)

        def about(i: int, side: frozenset[str]) -> bool:
            return mentions(side, units[i].text) and not any(
                mentions(other, units[i].text) for other in sides if other != side
            )

        for side in sides:
            if any(about(i, side) and valued(i) for i in chosen):
                continue
            candidates = [i for i in pool if i not in chosen and about(i, side)]
            candidates = [i for i in candidates if valued(i)] or candidates
            if candidates:
                chosen = self._include(chosen, candidates[0], added)
                added.add(candidates[0])
        return chosen

    def _include(self, chosen: list[int], unit: int, keep: set[int]) -> list[int]:
        """`chosen` (in order of choice, weakest last) with `unit` added; when the answer is
        full, the weakest choice not in `keep` (units added for the same reason) makes room."""
        if len(chosen) >= self._settings.max_sentences:
            weakest = next((i for i in reversed(chosen) if i not in keep), None)
            if weakest is None:
                return chosen
            chosen = [i for i in chosen if i != weakest]
        return [*chosen, unit]

    def _render(self, units: list[_Unit], chosen: list[int], evidence: float) -> Answer:
        ordered = sorted(chosen, key=lambda i: (units[i].hit.rank, units[i].index))
        ordered = ordered[: self._settings.list_items]
        numbers: dict[str, int] = {}
        citations: list[Citation] = []
        parts: list[str] = []
        for i in ordered:
            unit = units[i]
            chunk = unit.hit.chunk
            if chunk.id not in numbers:
                numbers[chunk.id] = len(numbers) + 1
                citations.append(
                    Citation.of(unit.hit, numbers[chunk.id], snippet(chunk.text), line=unit.line)
                )
            parts.append(cite(unit.text, numbers[chunk.id]))
        as_list = (
            len(ordered) > 1
            and all(units[i].is_item for i in ordered)
            and not all(units[i].advice for i in ordered)
        )
        text = "\n".join(f"- {p}" for p in parts) if as_list else " ".join(parts)
        return Answer(
            answer=text,
            citations=citations,
            refused=False,
            evidence_score=round(evidence, 4),
            support=1.0,
        )


def refusal(hits: Sequence[ScoredChunk], evidence: float) -> Answer:
    """A refusal that names the nearest sections the user may want to read."""
    sections = nearest_sections(list(hits))
    text = REFUSAL
    if sections:
        text += " The closest sections are " + "; ".join(sections) + "."
    return Answer(
        answer=text, citations=[], refused=True, evidence_score=round(evidence, 4), coverage="none"
    )
