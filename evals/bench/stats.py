"""Latency summaries: count, mean and the percentiles the report shows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

PERCENTILES = (50, 95, 99)


def summarize(samples_ms: Sequence[float]) -> dict[str, float | int]:
    """`{"n", "mean", "p50", "p95", "p99", "max"}` in milliseconds (linear interpolation)."""
    if not samples_ms:
        return {"n": 0}
    values = np.asarray(samples_ms, dtype=np.float64)
    summary: dict[str, float | int] = {
        "n": int(values.size),
        "mean": round(float(values.mean()), 2),
    }
    for p in PERCENTILES:
        summary[f"p{p}"] = round(float(np.percentile(values, p)), 2)
    summary["max"] = round(float(values.max()), 2)
    return summary


def median(values: Sequence[float]) -> float:
    """The median (0.0 for no values)."""
    return float(np.median(np.asarray(values, dtype=np.float64))) if values else 0.0
