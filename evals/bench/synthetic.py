"""Chunks beyond the real text: real sentences from different passages, recombined.

Real text runs out at a few thousand chunks. A synthetic chunk is a run of real prose sentences,
each from a different, randomly chosen pool chunk, as long as a real chunk drawn at random. Its
units are those sentences, with their real vectors (stored by the ingest); the chunk's own vector
is the normalised mean of them, so 100,000 chunks cost no embedding. Its title and section are
those of its first sentence's passage, so titles take part in BM25 as they do for real chunks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from assistant.text import TextUnit, chunk_units
from assistant.types import Chunk
from evals.bench.pool import Pool

CHUNKS_PER_DOCUMENT = 20
MIN_WORDS = 6
SOURCE_NAME = "Benchmark (recombined real sentences)"


@dataclass(frozen=True)
class Sentence:
    """A real prose unit with its stored vector and where it comes from."""

    text: str
    vector: np.ndarray
    chunk: Chunk


@dataclass(frozen=True)
class Synthetic:
    """One recombined chunk: its vector, its units and each unit's vector (None: embed it)."""

    chunk: Chunk
    vector: np.ndarray
    units: list[TextUnit]
    unit_vectors: list[np.ndarray | None]


def prose_sentences(pool: Pool) -> list[list[Sentence]]:
    """Per pool chunk (with any), its full prose sentences (no list items, headings or lead-ins)."""
    grouped: list[list[Sentence]] = []
    for item in pool.chunks.values():
        if item.chunk.navigation:
            continue
        found = [
            Sentence(unit.text, vector, item.chunk)
            for unit, vector in item.units
            if not unit.is_item
            and len(unit.text.split()) >= MIN_WORDS
            and unit.text.rstrip().endswith((".", "!", "?"))
        ]
        if found:
            grouped.append(found)
    return grouped


def generate(pool: Pool, count: int, seed: int, start: int = 0) -> Iterator[Synthetic]:
    """`count` recombined chunks, numbered from `start`; the same seed gives the same chunks."""
    groups = prose_sentences(pool)
    if not groups:
        raise ValueError("the text pool holds no prose sentences to recombine")
    lengths = [len(item.chunk.text.split()) for item in pool.chunks.values()]
    known = {s.text: s.vector for group in groups for s in group}
    rng = np.random.default_rng(seed)
    for n in range(start, start + count):
        target = max(MIN_WORDS * 2, int(rng.choice(lengths)))
        picked: list[Sentence] = []
        words = 0
        while words < target and len(picked) < 24:
            group = groups[int(rng.integers(len(groups)))]
            sentence = group[int(rng.integers(len(group)))]
            picked.append(sentence)
            words += len(sentence.text.split())
        text = " ".join(s.text for s in picked)
        mean = np.mean([s.vector for s in picked], axis=0)
        vector = (mean / (float(np.linalg.norm(mean)) or 1.0)).astype(np.float32)
        doc = n // CHUNKS_PER_DOCUMENT
        first = picked[0].chunk
        chunk = Chunk(
            id=f"bench-synthetic-{doc:05d}:{n:06d}",
            text=text,
            doc_id=f"bench-synthetic-{doc:05d}",
            title=first.title,
            doc_type="other",
            source=SOURCE_NAME,
            source_path=f"bench/synthetic/{doc:05d}",
            position=n % CHUNKS_PER_DOCUMENT,
            language=first.language,
            section=first.section,
        )
        units = chunk_units(text)
        yield Synthetic(chunk, vector, units, [known.get(u.text) for u in units])
