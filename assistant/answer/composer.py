"""The offline, extractive answer composer: the compose stage.

It answers only with units taken from the read passages, so every sentence is supported by the
passage it cites. Reading (`assistant.answer.scoring`) has scored every unit; the decision
(`assistant.answer.answerability`) has said whether to answer. The composer quotes the best
units, chosen with maximal marginal relevance to avoid repeating one another, put back in
reading order, or declines as decided.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cache

import numpy as np

from assistant.answer.answer_types import (
    asked_types,
    carries,
    compared_sides,
    mentions,
)
from assistant.answer.answerability import Decision
from assistant.answer.features import (
    PLURAL,
    TermIndex,
    english_grammar,
    several_wanted,
    yes_no,
)
from assistant.answer.followup import POSSESSIVE_ENDING, named
from assistant.answer.reading import Reading, Unit
from assistant.messages import message
from assistant.settings import AnswerSettings
from assistant.text import LIST_UNIT_MIN_ITEMS, cite, snippet
from assistant.types import Answer, Citation, NearestSection, ScoredChunk

REFUSAL = message("refusal")
# "Which of the …", "which among …": the question restricts a list to the items that match.
_RESTRICTED = re.compile(r"^\s*(?:what|which)\s+(?:ones\s+)?(?:of|among)\b", re.IGNORECASE)
_NAME = re.compile(r"(?<=\w )[A-ZÀ-Þ][\w-]+")
_ABSENT = ("number", "date", "name", "email", "url")
"""Kinds of asked value whose absence makes an answer partial (worded by `value.<kind>`)."""
LIST_MARGIN = 0.12  # a list's passage may score this much below the best passage
_WORD = re.compile(r"[\w’'-]+")
RESTRICTION_SHARE = 0.5  # a question term held by at most this share of a list's items narrows it


def _runs(items: list[int], units: list[Unit]) -> list[list[int]]:
    """Consecutive list items of one passage, grouped into runs (one list each)."""
    runs: list[list[int]] = []
    for i in items:
        if runs and units[i].index == units[runs[-1][-1]].index + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _pairs(units: list[Unit]) -> dict[int, int]:
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
    """Builds a cited answer out of the read units, or declines as the decision says.

    What is quoted follows the reader's scores: the best unit leads. When it is a whole list
    (a lead-in with its items), the answer is the list's items, or those the question restricts
    it to; when it is half of a Do/Don't pair, the pair; otherwise the best units chosen with
    maximal marginal relevance, plus a unit for each kind of value asked and each compared side.
    """

    def __init__(self, settings: AnswerSettings, terms: TermIndex | None = None) -> None:
        self._settings = settings
        self._terms = terms

    def warm_up(self) -> None:
        """Nothing to load: reading did the model work."""

    def compose(self, question: str, reading: Reading, decision: Decision) -> Answer:
        """An answer whose sentences all come from the read passages, each with its citation."""
        units = reading.units
        if not units or not decision.answerable:
            return refusal(reading.hits, decision.evidence, reading.language)
        scores = reading.scores
        weights = reading.weights if self._terms is not None else {}
        # The question's shape (yes/no, plural, value asked) is read in English grammar only.
        question = english_grammar(question, reading.written)
        # Whether a unit is about the question, judged once per unit for every use below.
        about = (
            cache(lambda i: reading.crosses(i) or self._about(units[i], weights))
            if weights
            else None
        )
        order = reading.order
        member = self._membership(units, scores, order, question, reading.language)
        if member is not None:
            chosen, note = member
            answer = self._render(units, chosen, decision.evidence)
            return replace(answer, note=note, coverage="partial") if note else answer
        parts = [part_scores for _, part_scores in reading.parts]
        chosen = self._select(
            units, reading.vectors, scores, order, question, weights, about, parts
        )
        answer = self._render(units, chosen, decision.evidence)
        absent = self._absent_values(units, order, question, about)
        if absent:
            lang = reading.language
            joiner = f" {message('value.or', lang)} "
            what = joiner.join(message(f"value.{kind}", lang) for kind in absent)
            note = message("absent_value", lang, what=what)
            answer = replace(answer, note=note, coverage="partial")
        return answer

    def _absent_values(
        self,
        units: list[Unit],
        order: list[int],
        question: str,
        about: Callable[[int], bool] | None,
    ) -> list[str]:
        """The kinds of value the question asks for (a figure, a date, a name) that no candidate
        sentence gives *about the question*: a sentence counts only when it, with its passage's
        title and heading, holds `value_coverage` of the question's weighted terms; for a
        comparison, every side needs a sentence naming it that holds one."""
        kinds = [k for k in asked_types(question) if k in _ABSENT]
        if not kinds or about is None or self._settings.value_coverage <= 0:
            return []
        pool = order[: max(self._settings.value_candidates, 1)]
        sides = compared_sides(question)
        absent = []
        for kind in kinds:
            bearing = [i for i in pool if carries(kind, units[i].text, question)]
            if sides:  # a comparison: each side's value, from a sentence naming that side
                given = all(any(mentions(s, units[i].text) for i in bearing) for s in sides)
            else:
                given = any(about(i) for i in bearing)
            if not given:
                absent.append(kind)
        return absent

    def _about(self, unit: Unit, weights: dict[str, float]) -> bool:
        """Whether `unit` (with its passage's title and heading) holds enough question terms."""
        assert self._terms is not None
        chunk = unit.hit.chunk
        present = self._terms.terms_of(f"{chunk.title} {chunk.section or ''} {unit.text}")
        return self._terms.covered(weights, present) >= self._settings.value_coverage

    def _select(
        self,
        units: list[Unit],
        vectors: np.ndarray,
        scores: np.ndarray,
        order: list[int],
        question: str,
        weights: dict[str, float],
        about: Callable[[int], bool] | None,
        parts: Sequence[np.ndarray] = (),
    ) -> list[int]:
        best = order[0]
        floor = float(scores[best]) * self._settings.relative_cutoff
        pairs = _pairs(units)
        # A Do/Don't pair scoring close to the best unit answers, both halves, as written.
        close = next((i for i in order if i in pairs and scores[i] >= floor), None)
        if close is not None:
            return sorted((close, pairs[close]))
        sides = compared_sides(question)
        kinds = asked_types(question)
        # A list answers a question that may want several things (a plural) and asks for no
        # count, no date and no comparison (a count or a time is one value, however plural the
        # things it is of: "When can stakeholders propose new priorities?"): the list (a run of
        # items, or a lead-in with its items) scoring close to the best unit, or the best unit
        # when it enumerates after a colon.
        if several_wanted(question) and not sides and not {"number", "date"} & set(kinds):
            listed = self._close_list(units, scores, order, floor)
            if listed is not None:
                return self._restricted(units, listed, question, weights) or listed
            lead = units[best]
            if lead.is_list and not lead.items:
                return [best]  # a sentence that enumerates after a colon
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
        chosen = self._with_both_sides(units, chosen, order, question, kinds, sides, added)
        return self._with_parts(units, chosen, parts, added)

    def _with_parts(
        self, units: list[Unit], chosen: list[int], parts: Sequence[np.ndarray], added: set[int]
    ) -> list[int]:
        """For a question coordinating several ("Who published it, and in which series?"),
        `chosen` plus each part's best unit when no chosen unit is it, from a document the
        answer already quotes: the parts ask about one subject."""
        keep = set(added)
        quoted = {units[i].hit.chunk.doc_id for i in chosen}
        for scores in parts:
            best = int(np.argmax(scores))
            if best not in chosen and units[best].hit.chunk.doc_id in quoted:
                chosen = self._include(chosen, best, keep)
            keep.add(best)
        return chosen

    def _membership(
        self,
        units: list[Unit],
        scores: np.ndarray,
        order: list[int],
        question: str,
        language: str = "en",
    ) -> tuple[list[int], str] | None:
        """A yes/no question about whether something belongs to a list ("Is Estonia represented
        in the Alliance?", "Does Portugal Clusters belong to …?"), answered against the
        best-scoring list close to the best passage: the items naming it, or, when none does
        and its passage never names it, the whole list after a fixed note saying it is not in
        it. The item is what the question names that the list's title, heading and lead-in do
        not. Only when the best-scored unit is an entry of that list's document (or the list
        itself): when a statement outscores every entry ("Aviation Valley is located in
        south-eastern Poland" for "Is Aviation Valley in Spain?"), the list is not what the
        question is about. Any other question naming something the best list leaves out
        ("Which association represents Estonia …?") gets the same note and the list, when no
        entry and no read passage names it; when one does, it is answered as usual. None
        otherwise, and for comparisons."""
        if compared_sides(question):
            return None
        polar = yes_no(question)
        # A lone capitalised word opening the question ("Roughly how many …", "Within …") is
        # no evidence of a name; a yes/no question opens with its auxiliary anyway.
        opening = next(iter(question.split()), "")
        names = [n for n in named(question) if polar or n != opening.rstrip(",:;")]
        listed = self._close_list(units, scores, order, 0.0) if names else None
        if not listed:
            return None
        chunk = units[listed[0]].hit.chunk
        best = units[order[0]]
        listed_best = best.is_item or best.is_row or best.is_list
        if not listed_best or best.hit.chunk.doc_id != chunk.doc_id:
            return None  # the best evidence is a statement, not the list: it answers
        lead = " ".join(
            u.text
            for u in units
            if u.hit.chunk.id == chunk.id and not (u.is_item or u.is_row or u.is_list)
        )
        frame = self._words(f"{chunk.title} {chunk.section or ''} {lead}")
        items = [n for n in names if not self._words(n) <= frame]
        if not items:
            return None
        item = POSSESSIVE_ENDING.sub("", items[0])  # "Estonia's" names Estonia
        wanted = self._words(item)
        # Every entry of the list's document among the candidates: a long list spans passages.
        entries = [
            i
            for i, u in enumerate(units)
            if (u.is_item or u.is_row) and u.hit.chunk.doc_id == chunk.doc_id
        ]
        naming = [i for i in entries if self._holds(wanted, self._words(units[i].text))]
        if naming:
            return (naming, "") if polar else None
        passages = {u.hit.chunk.id: u.hit.chunk.text for u in units}
        if self._holds(wanted, self._words(" ".join(passages.values()))):
            return None  # named elsewhere in the passages: not a plain absence
        return listed, message("not_member", language, item=item)

    def _words(self, text: str) -> set[str]:
        """The terms of `text` (stemmed when a term index is given, else lower-case words)."""
        if self._terms is not None:
            return self._terms.terms_of(text)
        return {w.lower() for w in _WORD.findall(text)}

    def _holds(self, wanted: set[str], present: set[str]) -> bool:
        """Whether every one of `wanted` is in `present` (by root, with a term index)."""
        if not wanted:
            return False
        if self._terms is not None:
            return all(self._terms.matches(t, present) for t in wanted)
        return wanted <= present

    def _close_list(
        self, units: list[Unit], scores: np.ndarray, order: list[int], floor: float
    ) -> list[int] | None:
        """The items of the best-scoring list that scores at least `floor`, in a passage close
        to the best one: a run of three or more consecutive items, or the items of a list unit
        (a lead-in with its items), scored by its best unit. None without one."""
        top = max(u.hit.score for u in units)
        lists: list[tuple[float, list[int]]] = []
        by_chunk: dict[str, list[int]] = {}
        for i, unit in enumerate(units):
            if unit.hit.score < top - LIST_MARGIN:
                continue
            if unit.is_item or unit.is_row:
                by_chunk.setdefault(unit.hit.chunk.id, []).append(i)
            elif unit.is_list and unit.items:
                members = [
                    j
                    for j, u in enumerate(units)
                    if u.is_item and u.hit.chunk.id == unit.hit.chunk.id and u.index in unit.items
                ]
                if len(members) >= LIST_UNIT_MIN_ITEMS:
                    lists.append((max(float(scores[j]) for j in [i, *members]), members))
        for items in by_chunk.values():
            for run in _runs(items, units):
                if len(run) >= 3:
                    lists.append((max(float(scores[j]) for j in run), run))
        lists = [entry for entry in lists if entry[0] >= floor]
        if not lists:
            return None
        return max(lists, key=lambda entry: entry[0])[1]

    def _restricted(
        self, units: list[Unit], run: list[int], question: str, weights: dict[str, float]
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
            if u.hit.chunk.id == chunk.id
            and not u.is_item
            and not u.is_row
            and not (u.is_list and u.items)
        )
        shared = self._terms.terms_of(f"{chunk.title} {lead}")
        # The question's plurals name what is listed ("events and trainings"), not a restriction.
        shared |= self._terms.terms_of(" ".join(PLURAL.findall(question)))
        narrow = {t: w for t, w in weights.items() if not self._terms.matches(t, shared)}
        if not narrow:
            return []
        pool = [
            i
            for i, u in enumerate(units)
            if (u.is_item or u.is_row) and u.hit.chunk.doc_id == chunk.doc_id
        ]
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
        units: list[Unit],
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
        units: list[Unit],
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

    def _render(self, units: list[Unit], chosen: list[int], evidence: float) -> Answer:
        ordered = sorted(chosen, key=lambda i: (units[i].hit.rank, units[i].index))
        ordered = _without_repeats(units, ordered)[: self._settings.list_items]
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


def _without_repeats(units: list[Unit], ordered: list[int]) -> list[int]:
    """`ordered` less the units that repeat a chosen one's words (the same sentence read in two
    overlapping passages, or a sentence inside a chosen whole list): each is quoted once."""
    texts = {i: " ".join(units[i].text.split()).casefold() for i in ordered}
    kept: list[int] = []
    for i in ordered:
        text = texts[i]
        if any(texts[j] == text for j in kept):
            continue
        if any(text != texts[j] and text in texts[j] for j in ordered):
            continue
        kept.append(i)
    return kept


def refusal(hits: Sequence[ScoredChunk], evidence: float, language: str = "en") -> Answer:
    """A refusal that names the nearest sections the user may want to read (in `language`)."""
    sections = nearest_sections(list(hits))
    text = message("refusal", language)
    if sections:
        text += " " + message("nearest_sections", language, sections="; ".join(sections))
    nearest: dict[tuple[str, str | None], NearestSection] = {}
    for hit in hits:
        key = (hit.chunk.doc_id, hit.chunk.section)
        nearest.setdefault(key, NearestSection(hit.chunk.doc_id, hit.chunk.title, key[1]))
        if len(nearest) == len(sections):
            break
    return Answer(
        answer=text,
        citations=[],
        refused=True,
        evidence_score=round(evidence, 4),
        coverage="none",
        nearest=list(nearest.values()),
    )
