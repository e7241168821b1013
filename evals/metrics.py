"""Deterministic answer-quality metrics (no model involved)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

_TOKEN = re.compile(r"\w+(?:[.,]\d+)*%?", re.UNICODE)
_CITATION = re.compile(r"\s*\[\d+\]")
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "and",
        "or",
        "to",
        "in",
        "on",
        "for",
        "by",
        "with",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "it",
        "its",
        "this",
        "that",
        "as",
        "at",
        "from",
        "which",
        "who",
        "what",
        "when",
        "where",
        "how",
    ]
)


def dedupe(ranked: Sequence[str]) -> list[str]:
    """First occurrence of each id, in rank order."""
    seen: set[str] = set()
    return [x for x in ranked if not (x in seen or seen.add(x))]  # type: ignore[func-returns-value]


def recall_at_k(ranked: Sequence[str], gold: Sequence[str], k: int) -> float:
    """Share of gold ids among the first k distinct ranked ids."""
    if not gold:
        return 0.0
    top = set(dedupe(ranked)[:k])
    return len(top & set(gold)) / len(set(gold))


def reciprocal_rank(ranked: Sequence[str], gold: Sequence[str]) -> float:
    """1 / rank of the first gold id (0 when none is retrieved)."""
    for rank, item in enumerate(dedupe(ranked), start=1):
        if item in gold:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], gold: Sequence[str], k: int = 10) -> float:
    """Binary-relevance nDCG over the first k distinct ranked ids."""
    if not gold:
        return 0.0
    gains = [1.0 if item in gold else 0.0 for item in dedupe(ranked)[:k]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(set(gold)), k)))
    return dcg / ideal if ideal else 0.0


def fact_hit_rate(answer: str, required: Sequence[Sequence[str]]) -> float:
    """Share of required facts present (any alternative, case-insensitive) in the answer."""
    if not required:
        return 1.0
    text = _CITATION.sub("", answer).casefold()
    hits = sum(1 for group in required if any(alt.casefold() in text for alt in group))
    return hits / len(required)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens without citation markers and stop words."""
    return [t for t in _TOKEN.findall(_CITATION.sub("", text).casefold()) if t not in _STOP]


def token_f1(answer: str, reference: str) -> float:
    """SQuAD-style token F1 between an answer and a reference."""
    a, r = tokens(answer), tokens(reference)
    if not a or not r:
        return 0.0
    common = sum((Counter(a) & Counter(r)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(a), common / len(r)
    return 2 * precision * recall / (precision + recall)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def sentence_recall(answer: str, gold_sentences: Sequence[str], coverage: float = 0.8) -> float:
    """Share of gold sentences whose tokens are (at least `coverage`) present in the answer."""
    if not gold_sentences:
        return 0.0
    answer_tokens = set(tokens(answer))
    found = 0
    for sentence in gold_sentences:
        words = set(tokens(sentence))
        if words and len(words & answer_tokens) / len(words) >= coverage:
            found += 1
    return found / len(gold_sentences)


def citation_on_gold_page(
    citations: Sequence[Mapping[str, Any]], gold_doc_ids: Sequence[str], gold_pages: Sequence[int]
) -> float:
    """Share of citations on a gold document at one of the gold PDF pages (1-based, as
    `Citation.page`); 0 for no citations.

    The gold pages are not tied to one gold document (a case over two documents lists the pages
    of both), so a citation counts when its document is gold and its page is any gold page.
    """
    if not citations:
        return 0.0
    docs, pages = set(gold_doc_ids), set(gold_pages)
    hits = sum(1 for c in citations if c.get("doc_id") in docs and c.get("page") in pages)
    return hits / len(citations)


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """Probability that a positive scores above a negative (ties count half); 0 when either
    side is empty."""
    if not positives or not negatives:
        return 0.0
    pos = np.asarray(positives, dtype=np.float64)[:, None]
    neg = np.asarray(negatives, dtype=np.float64)[None, :]
    return float(((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (pos.size * neg.size))
