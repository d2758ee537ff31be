"""Latency histograms with fixed log-spaced bins: two histograms merge by adding their counts, so
percentiles over any range come from stored bins, never from the events themselves.

Bin 0 holds [0, 1) ms; bin k >= 1 holds [2^((k-1)/8), 2^(k/8)) ms; the last bin also holds
everything longer (from about 12 days). A percentile is the nearest-rank one: the smallest value
with at least p% of the values at or below it, reported at the geometric middle of its bin, so
within 2^(1/16) - 1 (4.43%) of the exact value (or under 1 ms in bin 0).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

BINS_PER_DOUBLING = 8
DOUBLINGS = 30  # 2^30 ms is about 12.4 days
BIN_COUNT = 1 + BINS_PER_DOUBLING * DOUBLINGS
RESOLUTION = 2 ** (1 / (2 * BINS_PER_DOUBLING)) - 1


def bin_of(ms: float) -> int:
    """The bin of a duration in milliseconds (negative durations count as 0)."""
    if ms < 1:
        return 0
    k = math.floor(BINS_PER_DOUBLING * math.log2(ms)) + 1
    return min(k, BIN_COUNT - 1)


def bin_range(k: int) -> tuple[float, float]:
    """[low, high) of a bin, in milliseconds (the last bin's high is infinite)."""
    if k == 0:
        return (0.0, 1.0)
    low = 2 ** ((k - 1) / BINS_PER_DOUBLING)
    high = math.inf if k == BIN_COUNT - 1 else 2 ** (k / BINS_PER_DOUBLING)
    return (low, high)


def representative(k: int) -> float:
    """The value reported for a bin: its geometric middle (0 for bin 0), in milliseconds."""
    if k == 0:
        return 0.0
    return float(2 ** ((k - 0.5) / BINS_PER_DOUBLING))


def histogram(values_ms: Iterable[float]) -> dict[int, int]:
    """Bin counts of some durations."""
    counts: dict[int, int] = {}
    for value in values_ms:
        k = bin_of(value)
        counts[k] = counts.get(k, 0) + 1
    return counts


def percentile(counts: Mapping[int, int], percent: int) -> float | None:
    """The nearest-rank `percent`th percentile in milliseconds; None when there is no value."""
    if not 0 < percent <= 100:
        raise ValueError("percent must be in 1..100")
    total = sum(counts.values())
    if total == 0:
        return None
    rank = -(-percent * total // 100)  # ceil without floating point
    seen = 0
    for k in sorted(counts):
        seen += counts[k]
        if seen >= rank:
            return representative(k)
    return representative(max(counts))  # not reached: the counts add up to the total
