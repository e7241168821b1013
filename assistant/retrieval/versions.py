"""One version of each document per answer.

Replacing a changed document writes its new chunks, then deletes the old ones: for that moment
both are searchable, and an answer could cite a figure from the old text beside one from the
new. Every chunk carries the content hash of the file version it was written from
(`Chunk.version`); a retrieval keeps, for each document, only the chunks of the version its
best-ranked chunk belongs to. So an answer reads one version of a document: the old one until
the new chunks outrank it, the new one from then on.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.types import ScoredChunk


def one_version(hits: Sequence[ScoredChunk]) -> list[ScoredChunk]:
    """`hits` (best first) without the chunks of a document's other versions, ranks renumbered
    when any was dropped."""
    chosen: dict[str, str] = {}
    kept = []
    for hit in hits:
        version = chosen.setdefault(hit.chunk.doc_id, hit.chunk.version)
        if hit.chunk.version == version:
            kept.append(hit)
    if len(kept) == len(hits):
        return list(hits)
    return [ScoredChunk(h.chunk, h.score, rank) for rank, h in enumerate(kept)]
