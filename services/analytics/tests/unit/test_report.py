"""Report ranges and the figures computed from additive sums."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from parley_analytics.domain.model import Delta, Family, Latency
from parley_analytics.domain.report import Figures, RangeError, Width, build_report, widen

T = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def test_a_range_is_widened_to_whole_buckets() -> None:
    start, end = T + timedelta(minutes=20), T + timedelta(hours=2, minutes=1)
    assert widen(start, end, Width.HOUR) == (T, T + timedelta(hours=3))
    assert widen(start, end, Width.TOTAL) == (T, T + timedelta(hours=3))
    day = datetime(2026, 11, 30, tzinfo=UTC)
    assert widen(start, end, Width.DAY) == (day, day + timedelta(days=1))
    assert widen(T, T + timedelta(hours=1), Width.HOUR) == (T, T + timedelta(hours=1))


@pytest.mark.parametrize(
    ("start", "end", "width"),
    [
        (T, T, Width.HOUR),
        (T, T - timedelta(hours=1), Width.DAY),
        (T, T + timedelta(days=94), Width.HOUR),
        (T, T + timedelta(days=1101), Width.DAY),
        (T.replace(tzinfo=None), T + timedelta(hours=1), Width.HOUR),
    ],
)
def test_empty_too_long_or_naive_ranges_are_refused(
    start: datetime, end: datetime, width: Width
) -> None:
    with pytest.raises(RangeError):
        widen(start, end, width)


def test_a_range_widened_past_the_year_9999_is_refused_not_overflowed() -> None:
    last = datetime(9999, 12, 31, 23, 30, tzinfo=UTC)
    with pytest.raises(RangeError, match="9999"):
        widen(last, last + timedelta(minutes=10), Width.HOUR)
    with pytest.raises(RangeError, match="9999"):
        widen(last - timedelta(hours=2), last, Width.DAY)


def test_buckets_cover_the_range_empty_ones_included_and_add_up_to_the_total() -> None:
    found = {
        T: Delta().count("conversations_started", 2),
        T + timedelta(hours=2): Delta().count("conversations_started"),
    }
    report = build_report(T, T + timedelta(hours=3), Width.HOUR, found)
    assert [b.bucket_start for b in report.buckets] == [T + timedelta(hours=h) for h in range(3)]
    assert [b.n("conversations_started") for b in report.buckets] == [2, 0, 1]
    assert report.total.n("conversations_started") == 3
    assert build_report(T, T + timedelta(hours=3), Width.TOTAL, found).buckets == []


def test_rates_and_averages_come_from_the_sums_and_are_zero_without_a_denominator() -> None:
    sums = Delta().count("conversations_started", 4).count("conversations_converted", 3)
    sums.count("human_takeovers").count("priced_deals", 2).add("price_to_asking_sum", 1.8)
    sums.count("zoned_deals", 2).add("price_in_zone_sum", 1.3)
    figures = Figures(None, sums)
    assert figures.conversion_rate == 0.75 and figures.takeover_rate == 0.25
    assert figures.average_price_to_asking == pytest.approx(0.9)
    assert figures.average_price_in_zone == pytest.approx(0.65)
    empty = Figures(None)
    assert (empty.conversion_rate, empty.average_price_in_zone) == (0.0, 0.0)
    assert empty.percentile(Latency.REPLY_TIME, 50) is None


def test_classes_and_latencies_are_read_by_family_and_metric() -> None:
    sums = Delta().classify(Family.SEND_FAILURE, "expired", 2).classify(Family.SCAM, "overpayment")
    sums.observe(Latency.REPLY_TIME, 2000).observe(Latency.FIRST_RESPONSE, 9000)
    figures = Figures(None, sums)
    assert figures.classes(Family.SEND_FAILURE) == {"expired": 2}
    assert figures.observed(Latency.REPLY_TIME) == 1
    assert figures.percentile(Latency.FIRST_RESPONSE, 95) == pytest.approx(9000, rel=0.05)


def test_a_delta_survives_its_json_form() -> None:
    delta = Delta().count("replies_sent").add("price_in_zone_sum", 0.5)
    delta.classify(Family.POLICY_RULE, "page_blocked").observe(Latency.REPLY_TIME, 1500)
    assert Delta.from_json(delta.to_json()) == delta
    with pytest.raises(KeyError):
        Delta().count("no_such_counter")
