"""Citation verification: each answer sentence is checked against the passages it cites.

A citation is kept only when its passage supports the sentence: the sentence is a verbatim unit
of the passage (every extractive sentence is, by construction), or its embedding is close enough
to the passage's closest sentence (`VerificationSettings.min_support`, cosine). Numbers that point
at no retrieved passage are dropped. A sentence left without a supporting citation is re-attributed
to another retrieved passage that supports it, if any; otherwise it is unsupported and is dropped
(or kept and flagged, see `VerificationSettings.unsupported`). In generative mode a sentence the
similarity check rejects can get a second opinion from a judge model (`VerificationSettings.judge`):
the cited passage supports it when the judge says so and the passage holds its figures and names
(short list items and figures lifted from a passage are far from its sentences in embedding space
though they are its own words). With `judge="final"` the judge decides every sentence that is not
verbatim, but is asked only about sentences close to a passage sentence or lifted from it word for
word: a sentence that is neither fails without a call. Surviving citations are renumbered
1, 2, … in order of first use, and each citation's snippet is the sentence of its passage that
best supports the answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from assistant.answer.crosslingual import CrossLingual, crossing
from assistant.answer.followup import POSSESSIVE_ENDING
from assistant.answer.units import UnitVectorLookup, unit_matrix
from assistant.embedder import Embedder
from assistant.errors import LLMUnavailableError
from assistant.settings import VerificationSettings
from assistant.text import (
    LIST_MARKER,
    MARKERS,
    TextUnit,
    before_stop,
    chunk_units,
    cite,
    cited_numbers,
    sentences,
    snippet,
)
from assistant.types import Citation, ScoredChunk

UNVERIFIED_MARK = "(unverified)"
log = logging.getLogger(__name__)


class SupportJudge(Protocol):
    """A second opinion on support: P(the passages support the claim)."""

    def p_yes(self, passages: Sequence[str], claim: str) -> float:
        """Probability that `passages` support `claim` (raises `LLMUnavailableError`)."""


@dataclass
class Claim:
    """One sentence (or list item) of an answer and the passage numbers it cites."""

    text: str
    cited: list[int]
    is_item: bool
    line: int
    verified: list[int] = field(default_factory=list)
    vector: np.ndarray | None = None
    """The claim's embedding, computed only when it is not a verbatim passage unit."""


@dataclass(frozen=True)
class Verified:
    """An answer after verification."""

    answer: str
    citations: list[Citation]
    support: float
    """Share of the answer's sentences with at least one verified citation (0-1)."""
    flagged: list[str]
    """Sentences no retrieved passage supports (dropped, or kept and marked unverified)."""
    dropped_citations: int
    """Citations removed because their passage does not support their sentence."""


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


# Figures and names a paraphrase must not change: numbers (with their unit signs) and capitalised
# words that do not open the sentence.
_FIGURE = re.compile(r"\d[\d,.]*\d|\d")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]*[a-z0-9][\w’'-]*")
_COMMON = {"Don't", "Don’t", "Do", "The", "This", "It", "They", "In", "EU"}


def grounded_terms(claim: str) -> set[str]:
    """The figures and names in `claim` that its source must contain, lower-cased."""
    figures = {f.replace(",", "").rstrip(".") for f in _FIGURE.findall(claim)}
    names = {
        POSSESSIVE_ENDING.sub("", n).lower()
        for n in _NAME.findall(claim.strip())
        if n not in _COMMON
    }
    return figures | names


def terms_in(terms: set[str], passage: str) -> bool:
    """Whether every figure and name of a claim occurs in `passage`."""
    text = passage.lower().replace(",", "")
    return all(term in text for term in terms)


# The end of a cited claim: its markers and any closing punctuation.
_CLAIM_END = re.compile(r"(?:\s*\[\d{1,3}(?:\s*[,;]\s*\d{1,3})*\])+[.!?:;…]*(?=\s|$)")


def _pieces(body: str) -> list[str]:
    """A line cut after each group of citation markers, then into sentences."""
    out: list[str] = []
    start = 0
    for match in _CLAIM_END.finditer(body):
        out.extend(sentences(body[start : match.end()]))
        start = match.end()
    if body[start:].strip():
        out.extend(sentences(body[start:]))
    return out


def parse_claims(answer: str) -> list[Claim]:
    """Split an answer into claims: list items whole, prose into sentences, markers lifted out."""
    claims: list[Claim] = []
    for number, raw in enumerate(answer.split("\n")):
        line = raw.strip()
        if not line:
            continue
        is_item = bool(LIST_MARKER.match(line))
        body = LIST_MARKER.sub("", line, count=1)
        for part in [body] if is_item else _pieces(body):
            numbers = cited_numbers(part)
            text = MARKERS.sub("", part).strip()
            if not any(ch.isalnum() for ch in text):
                if claims and numbers:  # a marker split off after the full stop
                    claims[-1].cited += [n for n in numbers if n not in claims[-1].cited]
                continue
            claims.append(Claim(text, numbers, is_item, number))
    return claims


class CitationVerifier:
    """Checks, repairs and renumbers the citations of an answer."""

    def __init__(
        self,
        embedder: Embedder,
        settings: VerificationSettings,
        unit_vectors: UnitVectorLookup | None = None,
        judge: SupportJudge | None = None,
        crosslingual: CrossLingual | None = None,
    ) -> None:
        self._embedder = embedder
        self._settings = settings
        self._lookup = unit_vectors
        self._judge = judge
        self._crosslingual = crosslingual

    def warm_up(self) -> None:
        """Load the embedding model now."""
        self._embedder.warm_up()

    def _vectors(
        self, passages: Mapping[int, ScoredChunk], units: Mapping[int, list[TextUnit]]
    ) -> dict[int, np.ndarray]:
        """Each passage's unit vectors (stored at ingest, or embedded now), in one lookup."""
        keys = [(passages[n].chunk.id, u.index, u.text) for n in units for u in units[n]]
        if not keys:
            return {}
        matrix = unit_matrix(self._embedder, self._lookup, keys)
        out: dict[int, np.ndarray] = {}
        start = 0
        for n, passage_units in units.items():
            if passage_units:
                out[n] = matrix[start : start + len(passage_units)]
                start += len(passage_units)
        return out

    def _crossing(
        self,
        pending: list[Claim],
        passages: Mapping[int, ScoredChunk],
        units: Mapping[int, list[TextUnit]],
        language: str,
    ) -> dict[int, np.ndarray]:
        """For each passage the answer's language and its own are not both English: the pending
        claims × its units, from the multilingual model on the English model's cosine scale
        (an English model's cosine between a French sentence and its English source says
        little). Empty without the multilingual model."""
        if self._crosslingual is None or not pending:
            return {}
        flags = crossing(language, list(passages.values()))
        crossed = [n for n, c in zip(passages, flags, strict=True) if c and units.get(n)]
        if not crossed:
            return {}
        keys = [(passages[n].chunk.id, u.index, u.text) for n in crossed for u in units[n]]
        matrix = self._crosslingual.similarities([c.text for c in pending], keys)
        out: dict[int, np.ndarray] = {}
        start = 0
        for n in crossed:
            out[n] = matrix[:, start : start + len(units[n])]
            start += len(units[n])
        return out

    def verify(
        self,
        answer: str,
        passages: Mapping[int, ScoredChunk],
        generated: bool,
        language: str = "en",
    ) -> Verified:
        """Verify `answer` (written in `language`), whose `[n]` markers number the chunks in
        `passages`."""
        claims = parse_claims(answer)
        units = {n: chunk_units(hit.chunk.text) for n, hit in passages.items()}
        verbatim = {n: {_norm(u.text): u.text for u in found} for n, found in units.items()}
        pending = [c for c in claims if not any(_norm(c.text) in v for v in verbatim.values())]
        # Vectors are needed only for claims that are not verbatim units (never, for extractive
        # answers): only then are the passages' unit vectors looked up and the claims embedded.
        matrices = self._vectors(passages, units) if pending else {}
        if pending:
            for claim, vector in zip(
                pending, self._embedder.embed([c.text for c in pending]), strict=True
            ):
                claim.vector = vector
        across = self._crossing(pending, passages, units, language)
        row = {id(c): i for i, c in enumerate(pending)}
        best_unit: dict[int, tuple[float, str]] = {}
        dropped = 0

        def support(claim: Claim, n: int) -> tuple[float, str]:
            quoted = verbatim[n].get(_norm(claim.text))
            if quoted is not None:
                return 1.0, quoted
            if claim.vector is None or n not in matrices:
                return 0.0, ""
            if not terms_in(grounded_terms(claim.text), passages[n].chunk.text):
                return 0.0, ""  # a figure or name the passage does not contain
            sims = across[n][row[id(claim)]] if n in across else matrices[n] @ claim.vector
            i = int(np.argmax(sims))
            return float(sims[i]), units[n][i].text

        judged = generated and self._judge is not None
        final = judged and self._settings.judge == "final"
        for claim in claims:
            scored = {n: support(claim, n) for n in claim.cited if n in passages}
            dropped += len(claim.cited) - len(scored)
            judgement = None
            if final and claim.vector is not None:
                # The judge decides about sentences close to a passage sentence and about spans
                # lifted from the passage; a sentence that is neither is not asked (and fails).
                asked = [n for n, v in scored.items() if self._askable(claim, passages[n], v)]
                judgement = self._second_opinion(claim, asked, passages)
                if judgement == []:
                    others = {n: support(claim, n) for n in passages if n not in scored}
                    best = _best(
                        {n: v for n, v in others.items() if self._askable(claim, passages[n], v)}
                    )
                    if best is not None:
                        judgement = self._second_opinion(claim, [best], passages)
                        scored[best] = others[best]
            if judgement is not None:
                ok = judgement
                dropped += len([n for n in scored if n not in ok])
            else:  # the similarity check (also when the judge could not be reached)
                ok = [n for n, (s, _) in scored.items() if s >= self._settings.min_support]
                dropped += len(scored) - len(ok)
                if not ok:  # repair: another retrieved passage that supports the sentence
                    others = {n: support(claim, n) for n in passages if n not in scored}
                    best = _best(
                        {n: v for n, v in others.items() if v[0] >= self._settings.min_support}
                    )
                    if best is not None:
                        ok, scored = [best], {**scored, best: others[best]}
                if not ok and judged and not final and claim.vector is not None:  # rescue
                    ok = self._second_opinion(claim, list(scored), passages) or []
            for n in ok:  # the snippet: the passage's sentence closest to the claim
                scored[n] = _closest(claim, matrices.get(n), units[n], scored.get(n))
            claim.verified = ok
            for n in ok:
                if scored[n][0] > best_unit.get(n, (-1.0, ""))[0]:
                    best_unit[n] = scored[n]
        return self._render(claims, passages, best_unit, dropped, generated)

    def _askable(self, claim: Claim, hit: ScoredChunk, scored: tuple[float, str]) -> bool:
        """Whether the final judge is asked about `claim` against `hit`: the claim is close to
        one of its sentences, or a run of its words."""
        return scored[0] >= self._settings.min_support or _is_span(claim.text, hit.chunk.text)

    def _second_opinion(
        self, claim: Claim, candidates: list[int], passages: Mapping[int, ScoredChunk]
    ) -> list[int] | None:
        """Those of `candidates` the judge says support `claim` (each must hold the claim's
        figures and names); None when the judge cannot be reached."""
        assert self._judge is not None
        terms = grounded_terms(claim.text)
        kept = []
        for n in candidates:
            text = passages[n].chunk.text
            if not terms_in(terms, text):
                continue
            try:
                p_yes = self._judge.p_yes([text], claim.text)
            except LLMUnavailableError as exc:
                log.warning("no judgement on a generated sentence: %s", exc)
                return None
            if p_yes >= self._settings.judge_threshold:
                kept.append(n)
        return kept

    def _render(
        self,
        claims: list[Claim],
        passages: Mapping[int, ScoredChunk],
        best_unit: dict[int, tuple[float, str]],
        dropped: int,
        generated: bool,
    ) -> Verified:
        renumber: dict[int, int] = {}
        for claim in claims:
            for n in claim.verified:
                renumber.setdefault(n, len(renumber) + 1)
        lines: dict[int, list[str]] = {}
        items: dict[int, bool] = {}
        flagged: list[str] = []
        for claim in claims:
            if claim.verified:
                text = cite(claim.text, [renumber[n] for n in claim.verified])
            else:
                flagged.append(claim.text)
                if not generated or self._settings.unsupported == "drop":
                    continue
                text = before_stop(claim.text, UNVERIFIED_MARK)
            lines.setdefault(claim.line, []).append(text)
            items[claim.line] = claim.is_item
        rendered = [
            ("- " if items[line] else "") + " ".join(parts) for line, parts in lines.items()
        ]
        citations = []
        for n, new in sorted(renumber.items(), key=lambda kv: kv[1]):
            hit = passages[n]
            best = best_unit[n][1]
            # On the page of the passage's unit the claim is closest to.
            line = next((u.line for u in chunk_units(hit.chunk.text) if u.text == best), None)
            citations.append(Citation.of(hit, new, snippet(best or hit.chunk.text), line=line))
        supported = sum(1 for c in claims if c.verified)
        return Verified(
            answer="\n".join(rendered),
            citations=citations,
            support=round(supported / len(claims), 4) if claims else 0.0,
            flagged=flagged,
            dropped_citations=dropped,
        )


def _best(scored: dict[int, tuple[float, str]]) -> int | None:
    """The passage of `scored` (number → support score and unit) that supports a claim best."""
    return max(scored, key=lambda n: scored[n][0], default=None)


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _is_span(claim: str, passage: str) -> bool:
    """Whether `claim` is a run of the passage's own words ("193 977", "Wetsus", a list item)."""
    words = _words(claim)
    return bool(words) and f" {words} " in f" {_words(passage)} "


def _closest(
    claim: Claim,
    matrix: np.ndarray | None,
    units: list[TextUnit],
    scored: tuple[float, str] | None,
) -> tuple[float, str]:
    """The passage unit closest to `claim`, with its similarity (for the citation's snippet)."""
    if scored is not None and scored[1]:
        return scored
    if matrix is None or claim.vector is None or not units:
        return 0.0, ""
    sims = matrix @ claim.vector
    i = int(np.argmax(sims))
    return float(sims[i]), units[i].text
