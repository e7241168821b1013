"""The features of a candidate answer unit, as the learned scorer sees them.

Each feature is a measurement, not a vocabulary: similarities, the store's own IDF-weighted term
coverage, where the unit sits, what kind of unit it is, and whether it holds the kind of value
the question asks for. Most come twice, raw and *relative to the best candidate of the same
question* (`…_gap`): score scales differ between collections (a cosine of 0.55 is strong in one
and weak in another), and a relative feature transfers where an absolute one does not.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from assistant.answer.answer_types import asked_types, carries, compared_sides, mentions
from assistant.answer.reading import Unit

UNIT_FEATURES: tuple[str, ...] = (
    "cosine",
    "cosine_gap",
    "cosine_z",
    "reader",
    "reader_gap",
    "passage",
    "passage_gap",
    "passage_rank",
    "terms",
    "terms_gap",
    "terms_context",
    "terms_heading",
    "defines",
    "asks_value",
    "gives_value",
    "is_item",
    "is_list",
    "is_row",
    "is_advice",
    "plural_question",
    "plural_x_list",
    "plural_x_whole",
    "list_items",
    "several_x_item",
    "yes_no_question",
    "advice_x_yes_no",
    "side_mentions",
    "words",
    "position",
)
"""The columns of `unit_features`, in order (the scorer's model names the ones it uses)."""
LEXICAL_FEATURES: tuple[str, ...] = (
    "terms",
    "terms_gap",
    "terms_context",
    "terms_heading",
    "defines",
    "side_mentions",
)
"""Features that compare the question's words with the unit's: they mean nothing when the two
are in different languages, so units scored across languages use a model without them."""
CROSSLINGUAL_FEATURES: tuple[str, ...] = tuple(
    f for f in UNIT_FEATURES if f not in LEXICAL_FEATURES
)

# A plural content word ("clusters", "priorities"): the question may want several things. A
# word form, not a list of question phrasings; "-ss", "-us", "-is" endings are no plural.
PLURAL = re.compile(r"\b[a-z][\w-]*[a-z](?<![sui])s\b")
_VALUE_KINDS = ("number", "date", "name", "email", "url", "ordinal")
_PLURAL_VERB = re.compile(r"\b(?:are|were)\b", re.IGNORECASE)
# A question answered by yes or no opens with an auxiliary verb: a closed grammatical class.
_YES_NO = re.compile(
    r"^\s*(?:is|are|was|were|do|does|did|can|could|should|would|will|has|have|had|may|must|"
    r"shall)\b",
    re.IGNORECASE,
)
# A defining sentence: a subject of a few words, then a copula or a verb of meaning ("X is …",
# "X, or Y, refers to …"): closed-class verbs, not a vocabulary of any collection.
_DEFINING = re.compile(
    r"^(?P<subject>(?:\S+\s+){0,7}?)(?:is|are|was|were|means|mean|refers to|refer to|"
    r"stands for|denotes|describes|is defined as|are defined as)\b",
    re.IGNORECASE,
)
DEFINING_SUBJECT_SHARE = 0.5
"""A unit defines what is asked when its subject holds this share of the question's terms."""


class TermIndex(Protocol):
    """What reading needs from the lexical index: weighted question terms, a text's terms."""

    def question_terms(self, question: str) -> dict[str, float]: ...

    def terms_of(self, text: str) -> set[str]: ...

    def terms_of_each(self, texts: Sequence[str]) -> list[set[str]]: ...

    def matches(self, term: str, present: set[str]) -> bool: ...

    def covered(self, weights: dict[str, float], present: set[str]) -> float: ...


def plural_question(question: str) -> bool:
    """Whether the question holds a plural content word."""
    return bool(PLURAL.search(question.lower()))


def several_wanted(question: str) -> bool:
    """Whether a question may want several things: a plural noun, or a plural verb ("What are
    …"): grammatical number, not a list of phrasings."""
    return plural_question(question) or bool(_PLURAL_VERB.search(question))


def yes_no(question: str) -> bool:
    """Whether the question opens with an auxiliary verb ("Should …", "Is …", "Does …")."""
    return bool(_YES_NO.match(question))


def english_grammar(question: str, language: str) -> str:
    """The question as the shape patterns read it: itself when written in English, nothing
    otherwise. The patterns are English grammar (auxiliaries, plural endings, "how many"): in
    German "Was ist …?" opens a question for a definition, not a yes/no one."""
    return question if language == "en" else ""


def unit_features(
    question: str,
    units: Sequence[Unit],
    cosines: np.ndarray,
    reader: np.ndarray | None,
    terms: TermIndex | None,
    weights: dict[str, float],
    language: str = "en",
) -> np.ndarray:
    """One row of `UNIT_FEATURES` per unit (`language`: the question's; its shape features
    are read in English only)."""
    n = len(units)
    if n == 0:
        return np.zeros((0, len(UNIT_FEATURES)), dtype=np.float32)
    cos = cosines.astype(np.float64)
    read = reader.astype(np.float64) if reader is not None else np.zeros(n)
    passage = np.array([u.hit.score for u in units], dtype=np.float64)
    spread = float(cos.std()) or 1.0
    if terms is not None and weights:
        own = terms.terms_of_each([u.text for u in units])
        chunks = {u.hit.chunk.id: u.hit.chunk for u in units}
        heads = {
            cid: terms.terms_of(f"{chunk.title} {chunk.section or ''}")
            for cid, chunk in chunks.items()
        }
        covered = np.array([terms.covered(weights, t) for t in own])
        heading = np.array([terms.covered(weights, heads[u.hit.chunk.id]) for u in units])
        context = np.array(
            [
                terms.covered(weights, t | heads[u.hit.chunk.id])
                for t, u in zip(own, units, strict=True)
            ]
        )
    else:
        covered = heading = context = np.zeros(n)
    defines = _defines(units, terms, weights)
    shaped = english_grammar(question, language)
    kinds = [k for k in asked_types(shaped) if k in _VALUE_KINDS]
    plural = 1.0 if plural_question(shaped) else 0.0
    several = 1.0 if several_wanted(shaped) else 0.0
    polar = 1.0 if yes_no(shaped) else 0.0
    sides = compared_sides(shaped)
    rows = np.zeros((n, len(UNIT_FEATURES)), dtype=np.float64)
    for i, unit in enumerate(units):
        listish = 1.0 if unit.is_list or unit.is_item else 0.0
        rows[i] = (
            cos[i],
            cos[i] - cos.max(),
            (cos[i] - cos.mean()) / spread,
            read[i],
            read[i] - read.max(),
            passage[i],
            passage[i] - passage.max(),
            math.log1p(unit.hit.rank),
            covered[i],
            covered[i] - covered.max(),
            context[i],
            heading[i],
            defines[i],
            1.0 if kinds else 0.0,
            1.0 if any(carries(k, unit.text, question) for k in kinds) else 0.0,
            1.0 if unit.is_item else 0.0,
            1.0 if unit.is_list else 0.0,
            1.0 if unit.is_row else 0.0,
            1.0 if unit.advice else 0.0,
            plural,
            plural * listish,
            plural * (1.0 if unit.is_list else 0.0),
            math.log1p(len(unit.items)),
            several * (1.0 if unit.is_item else 0.0),
            polar,
            polar * (1.0 if unit.advice else 0.0),
            (sum(mentions(side, unit.text) for side in sides) / len(sides)) if sides else 0.0,
            math.log1p(len(unit.text.split())),
            math.log1p(unit.index),
        )
    return rows.astype(np.float32)


def _defines(
    units: Sequence[Unit], terms: TermIndex | None, weights: dict[str, float]
) -> np.ndarray:
    """1 for a unit that opens by defining what the question is about: its subject (the words
    before "is", "means", "refers to" …) holds `DEFINING_SUBJECT_SHARE` of the question's
    weighted terms."""
    out = np.zeros(len(units))
    if terms is None or not weights:
        return out
    subjects = {
        i: m.group("subject") for i, u in enumerate(units) if (m := _DEFINING.match(u.text))
    }
    if not subjects:
        return out
    present = terms.terms_of_each([subjects[i] for i in subjects])
    top = max(weights.values())
    # The subject must hold the question's rarest term, not only common ones.
    for (i, _), held in zip(subjects.items(), present, strict=True):
        share = terms.covered(weights, held)
        rare = any(w >= top and terms.matches(t, held) for t, w in weights.items())
        out[i] = 1.0 if share >= DEFINING_SUBJECT_SHARE or rare else 0.0
    return out
