"""The arithmetic of `make bench`: percentiles, whether a load step was sustained, the table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

# A step is sustained when every message was answered, replies came at least this share of the
# offered rate while the load ran, and p99 stayed within the bound.
SUSTAINED_SHARE = 0.95
SUSTAINED_P99_MS = 1000.0


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (share 0..1) of values; NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True)
class Step:
    """One load step: offered rate, what was sent and answered, and the latencies."""

    rate: float
    seconds: float
    sent: int
    answered: int
    rejected: int
    replies_in_window: int
    latencies_ms: tuple[float, ...]
    generator_cpu: float = 0.0
    cpu_ms_per_message: dict[str, float] = field(default_factory=dict)

    @property
    def achieved(self) -> float:
        """Replies per second while the load ran."""
        return self.replies_in_window / self.seconds if self.seconds > 0 else 0.0

    def p(self, share: float) -> float:
        """A latency percentile in milliseconds."""
        return percentile(self.latencies_ms, share)


def sustained(step: Step) -> bool:
    """Everything answered, replies kept up with the offered rate, p99 within the bound."""
    return (
        step.sent > 0
        and step.rejected == 0
        and step.answered == step.sent
        and step.achieved >= SUSTAINED_SHARE * step.rate
        and step.p(0.99) <= SUSTAINED_P99_MS
    )


def highest_sustained(steps: Sequence[Step]) -> float:
    """The highest offered rate of the sustained steps below the first that was not; 0 if none."""
    best = 0.0
    for step in sorted(steps, key=lambda s: s.rate):
        if not sustained(step):
            break
        best = step.rate
    return best


@dataclass(frozen=True)
class Row:
    """One figure of the suite's table, with its target when it has one."""

    figure: str
    value: float
    unit: str
    target: float | None = None
    higher_is_better: bool = True

    def ratio(self) -> float | None:
        """value/target when higher is better, target/value when lower is: >= 1 passes."""
        if self.target is None or math.isnan(self.value):
            return None
        if self.higher_is_better:
            return self.value / self.target if self.target else None
        return self.target / self.value if self.value > 0 else math.inf

    def verdict(self) -> str:
        """`pass`, `FAIL`, or empty without a target."""
        ratio = self.ratio()
        if self.target is None:
            return ""
        if ratio is None:
            return "FAIL"
        return "pass" if ratio >= 1.0 else "FAIL"


def _number(value: float, unit: str) -> str:
    if math.isnan(value):
        return "n/a"
    if abs(value) >= 100 or unit in ("msg/s", "req/s", ""):
        text = f"{value:,.0f}"
    else:
        text = f"{value:.2f}" if unit == "x" else f"{value:.1f}"
    return f"{text} {unit}".strip()


def _target(row: Row) -> str:
    if row.target is None:
        return ""
    sign = ">=" if row.higher_is_better else "<="
    return f"{sign} {_number(row.target, row.unit)}"


def format_table(rows: Sequence[Row]) -> str:
    """A Markdown table (pastable into the README): figure, value, target, ratio, verdict."""
    lines = ["| figure | measured | target | ratio | |", "|---|---:|---:|---:|---|"]
    for row in rows:
        ratio = row.ratio()
        shown = "" if ratio is None else ("inf" if math.isinf(ratio) else f"{ratio:.2f}")
        lines.append(
            f"| {row.figure} | {_number(row.value, row.unit)} | {_target(row)} | {shown} "
            f"| {row.verdict()} |"
        )
    return "\n".join(lines)
