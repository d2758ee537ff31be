"""Reports: a range widened to whole buckets, the figures of each bucket and of the whole range,
and the rates, averages and percentiles computed from the additive figures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from parley_analytics.domain.histogram import percentile
from parley_analytics.domain.model import Delta, Family, Latency


class Width(StrEnum):
    """A report's buckets: none (the total only), UTC hours or UTC days."""

    TOTAL = "total"
    HOUR = "hour"
    DAY = "day"


STEP = {
    Width.TOTAL: timedelta(hours=1),
    Width.HOUR: timedelta(hours=1),
    Width.DAY: timedelta(days=1),
}
MAX_BUCKETS = {Width.TOTAL: 1100 * 24, Width.HOUR: 93 * 24, Width.DAY: 1100}


class RangeError(ValueError):
    """The range asked for cannot be reported."""


def widen(start: datetime, end: datetime, width: Width) -> tuple[datetime, datetime]:
    """[start, end) grown to whole buckets; RangeError when empty or too long."""
    if start.tzinfo is None or end.tzinfo is None:
        raise RangeError("start and end need a time zone")
    if end <= start:
        raise RangeError("end must be after start")
    step = STEP[width]
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    try:
        low = epoch + ((start - epoch) // step) * step
        high = epoch + -((epoch - end) // step) * step
    except OverflowError:  # widened past datetime.max (the last day of 9999)
        raise RangeError("the range must end before the year 9999 does") from None
    if (high - low) // step > MAX_BUCKETS[width]:
        raise RangeError(f"at most {MAX_BUCKETS[width]} buckets of one {width.value}")
    return low, high


def bucket_starts(start: datetime, end: datetime, width: Width) -> list[datetime]:
    """The start of each bucket of a widened range (none for the total only)."""
    if width is Width.TOTAL:
        return []
    step = STEP[width]
    return [start + i * step for i in range((end - start) // step)]


@dataclass(frozen=True)
class Figures:
    """The figures of one bucket (or of a whole range when bucket_start is None)."""

    bucket_start: datetime | None
    sums: Delta = field(default_factory=Delta)

    def n(self, name: str) -> int:
        """A counter."""
        return self.sums.counts.get(name, 0)

    def ratio(self, numerator: str, denominator: str) -> float:
        """numerator / denominator, 0 when the denominator is 0."""
        below = self.n(denominator)
        return self.n(numerator) / below if below else 0.0

    def average(self, total: str, count: str) -> float:
        """A sum over its count, 0 when there is none."""
        below = self.n(count)
        return self.sums.sums.get(total, 0.0) / below if below else 0.0

    @property
    def conversion_rate(self) -> float:
        """Conversations that reached a deal per conversation started (cohort)."""
        return self.ratio("conversations_converted", "conversations_started")

    @property
    def takeover_rate(self) -> float:
        """Conversations that went to a human per conversation started (cohort)."""
        return self.ratio("human_takeovers", "conversations_started")

    @property
    def average_price_to_asking(self) -> float:
        """Mean of price / asking over deals."""
        return self.average("price_to_asking_sum", "priced_deals")

    @property
    def average_price_in_zone(self) -> float:
        """Mean of (price - floor) / (asking - floor) over deals with asking above floor."""
        return self.average("price_in_zone_sum", "zoned_deals")

    def percentile(self, latency: Latency, percent: int) -> float | None:
        """A latency percentile in milliseconds, None without any value."""
        return percentile(self.bins(latency), percent)

    def bins(self, latency: Latency) -> dict[int, int]:
        """The histogram of one latency."""
        return {k: n for (metric, k), n in self.sums.bins.items() if metric == latency.value}

    def observed(self, latency: Latency) -> int:
        """How many values a latency's percentiles are taken over."""
        return sum(self.bins(latency).values())

    def classes(self, family: Family) -> dict[str, int]:
        """Counts by class of one family."""
        return {name: n for (kind, name), n in self.sums.classes.items() if kind == family.value}


@dataclass(frozen=True)
class Report:
    """A widened range, its total and its buckets (oldest first, empty ones included)."""

    start: datetime
    end: datetime
    total: Figures
    buckets: list[Figures]


def build_report(
    start: datetime, end: datetime, width: Width, found: Mapping[datetime, Delta]
) -> Report:
    """The report of a widened range from the figures found per bucket start."""
    total = Delta()
    for sums in found.values():
        total.merge(sums)
    buckets = [Figures(at, found.get(at, Delta())) for at in bucket_starts(start, end, width)]
    return Report(start, end, Figures(None, total), buckets)
