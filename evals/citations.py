"""ALCE-style citation quality, judged by an entailment judge.

- Citation recall: the share of answer sentences entailed by the union of the passages they cite
  (a sentence citing nothing counts as unsupported).
- Citation precision: the share of citations that are needed: a citation is precise when its
  passage alone supports the sentence, or when the sentence is supported by all its citations but
  no longer without this one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from assistant.text import sentences

_MARKERS = re.compile(r"(?:\s*\[\d+\])+")
_NUMBER = re.compile(r"\[(\d+)\]")


class Judge(Protocol):
    """What the metrics need from a judge."""

    def supports(self, passages: list[str], claim: str) -> bool:
        """Whether `passages` together entail `claim`."""
        ...


@dataclass(frozen=True)
class CitedSentence:
    """An answer sentence and the citation numbers it carries."""

    text: str
    cites: tuple[int, ...]


def cited_sentences(answer: str) -> list[CitedSentence]:
    """Split an answer into sentences with their `[n]` citations (list items are sentences)."""
    out: list[CitedSentence] = []
    for raw in answer.split("\n"):
        line = re.sub(r"^\s*-\s+", "", raw).strip()
        for sentence in sentences(line):
            cites = tuple(int(n) for n in _NUMBER.findall(sentence))
            text = " ".join(_MARKERS.sub("", sentence).split())
            if text:
                out.append(CitedSentence(text, cites))
    return out


def score_citations(
    answer: str, passages: Mapping[int, str], judge: Judge
) -> tuple[float, float, int]:
    """(citation recall, citation precision, judge calls) for one answer."""
    sentences = cited_sentences(answer)
    if not sentences:
        return 0.0, 0.0, 0
    calls = 0
    supported = 0
    precise = 0
    total_cites = 0
    for sentence in sentences:
        cited = [n for n in sentence.cites if n in passages]
        total_cites += len(sentence.cites)
        if not cited:
            continue
        calls += 1
        whole = judge.supports([passages[n] for n in cited], sentence.text)
        supported += whole
        for n in cited:
            if len(cited) == 1:
                precise += whole
                continue
            calls += 1
            if judge.supports([passages[n]], sentence.text):
                precise += 1
                continue
            others = [passages[m] for m in cited if m != n]
            calls += 1
            if whole and not judge.supports(others, sentence.text):
                precise += 1
    recall = supported / len(sentences)
    precision = precise / total_cites if total_cites else 0.0
    return recall, precision, calls
