"""Latency histograms: bins, merging, and nearest-rank percentiles within the bins' resolution."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley_analytics.domain.histogram import (
    BIN_COUNT,
    RESOLUTION,
    bin_of,
    bin_range,
    histogram,
    percentile,
    representative,
)


def exact(values: list[float], percent: int) -> float:
    """The nearest-rank percentile, by hand."""
    ordered = sorted(values)
    return ordered[math.ceil(percent * len(ordered) / 100) - 1]


def test_each_value_falls_in_its_bin() -> None:
    for ms in (0, 0.5, 1, 1.5, 2, 999, 1000, 1024, 60_000, 3_600_000, 10**9):
        low, high = bin_range(bin_of(ms))
        assert low <= ms < high


def test_very_long_and_negative_durations_go_to_the_end_bins() -> None:
    assert bin_of(-5) == 0
    assert bin_of(10**12) == BIN_COUNT - 1


def test_the_nearest_rank_median_of_an_even_count_is_the_lower_middle() -> None:
    counts = histogram([1000, 2000, 3000, 4000])
    assert percentile(counts, 50) == representative(bin_of(2000))
    assert percentile(counts, 100) == representative(bin_of(4000))


def test_no_value_has_no_percentile() -> None:
    assert percentile({}, 50) is None
    with pytest.raises(ValueError):
        percentile({1: 1}, 0)


def test_merged_histograms_answer_as_one_over_all_values() -> None:
    first, second = [1200.0, 5000.0, 800.0], [30_000.0, 2500.0]
    merged = histogram(first)
    for k, n in histogram(second).items():
        merged[k] = merged.get(k, 0) + n
    assert merged == histogram(first + second)
    assert percentile(merged, 50) == representative(bin_of(2500))


@given(
    st.lists(st.floats(min_value=1, max_value=10**8, allow_nan=False), min_size=1, max_size=200),
    st.sampled_from([50, 90, 95, 99]),
)
def test_a_percentile_is_within_the_resolution_of_the_exact_one(
    values: list[float], percent: int
) -> None:
    estimate = percentile(histogram(values), percent)
    assert estimate is not None
    truth = exact(values, percent)
    assert abs(estimate - truth) <= truth * RESOLUTION + 1e-9
