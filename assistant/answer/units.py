"""Vectors of answer units (sentences, list items, table rows): stored at ingest, else embedded.

Ingestion embeds every unit of every chunk (`ingest.pipeline`), so answering only looks them up.
A unit without a stored vector (a store written before units were stored, or by different
splitting rules) is embedded on the spot, which costs an encoding per question: that is logged
once per process, with the cure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np

from assistant.embedder import Embedder

log = logging.getLogger(__name__)

UnitVectorLookup = Callable[[Sequence[str]], dict[tuple[str, int], np.ndarray]]
"""Stored unit vectors of the given chunk ids, keyed by (chunk id, unit index)."""

_warned = False


def unit_matrix(
    embedder: Embedder,
    lookup: UnitVectorLookup | None,
    units: Sequence[tuple[str, int, str]],
) -> np.ndarray:
    """One row per (chunk id, unit index, text): the stored vector, or the text embedded now."""
    global _warned
    stored = lookup(sorted({chunk_id for chunk_id, _, _ in units})) if lookup else {}
    missing = [i for i, (cid, index, _) in enumerate(units) if (cid, index) not in stored]
    if missing and lookup is not None and not _warned:
        _warned = True
        log.warning(
            "%d answer units have no stored vector and are embedded at query time; "
            "re-ingest with --rebuild to store them",
            len(missing),
        )
    fresh = embedder.embed([units[i][2] for i in missing]) if missing else None
    position = {i: n for n, i in enumerate(missing)}
    rows: list[np.ndarray] = []
    for i, (chunk_id, index, _) in enumerate(units):
        if i in position:
            assert fresh is not None
            rows.append(fresh[position[i]])
        else:
            rows.append(stored[(chunk_id, index)])
    return np.vstack(rows)
