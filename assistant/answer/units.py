"""Vectors of answer units (sentences, list items, table rows): stored at ingest, else embedded."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from assistant.embedder import Embedder

UnitVectorLookup = Callable[[Sequence[str]], dict[tuple[str, int], np.ndarray]]
"""Stored unit vectors of the given chunk ids, keyed by (chunk id, unit index)."""


def unit_matrix(
    embedder: Embedder,
    lookup: UnitVectorLookup | None,
    units: Sequence[tuple[str, int, str]],
) -> np.ndarray:
    """One row per (chunk id, unit index, text): the stored vector, or the text embedded now."""
    stored = lookup(sorted({chunk_id for chunk_id, _, _ in units})) if lookup else {}
    missing = [i for i, (cid, index, _) in enumerate(units) if (cid, index) not in stored]
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
