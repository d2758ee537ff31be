"""The additive figures analytics keeps per scope and hour, and the scopes themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from parley_analytics.domain.histogram import bin_of

# Counters kept per scope and hour (columns of `hourly`), all additive.
COUNTERS = (
    "conversations_started",
    "conversations_converted",
    "human_takeovers",
    "messages_received",
    "offers_received",
    "deals_agreed",
    "priced_deals",
    "zoned_deals",
    "escrow_offered",
    "scam_flags",
    "replies_sent",
    "policy_blocks",
    "send_failures",
)
# Sums of ratios, for the averages over deals (priced_deals and zoned_deals count them).
SUMS = ("price_to_asking_sum", "price_in_zone_sum")


class ScopeKind(StrEnum):
    """Whose figures: the whole platform, a seller, a Page or a listing."""

    PLATFORM = "platform"
    SELLER = "seller"
    PAGE = "page"
    LISTING = "listing"


Scope = tuple[ScopeKind, str]
PLATFORM: Scope = (ScopeKind.PLATFORM, "")


class Family(StrEnum):
    """Counters broken down by class."""

    SEND_FAILURE = "send_failure"
    POLICY_RULE = "policy_rule"
    SCAM = "scam"


class Latency(StrEnum):
    """Durations kept as histograms."""

    FIRST_RESPONSE = "first_response"
    REPLY_TIME = "reply_time"


@dataclass
class Delta:
    """Additive figures: counters, sums, counts by class and histogram bins."""

    counts: dict[str, int] = field(default_factory=dict)
    sums: dict[str, float] = field(default_factory=dict)
    classes: dict[tuple[str, str], int] = field(default_factory=dict)
    bins: dict[tuple[str, int], int] = field(default_factory=dict)

    def count(self, name: str, n: int = 1) -> Delta:
        """Add to a counter."""
        if name not in COUNTERS:
            raise KeyError(f"no counter {name!r}")
        self.counts[name] = self.counts.get(name, 0) + n
        return self

    def add(self, name: str, value: float) -> Delta:
        """Add to a sum."""
        if name not in SUMS:
            raise KeyError(f"no sum {name!r}")
        self.sums[name] = self.sums.get(name, 0.0) + value
        return self

    def classify(self, family: Family, name: str, n: int = 1) -> Delta:
        """Add to the count of one class of a family."""
        key = (family.value, name)
        self.classes[key] = self.classes.get(key, 0) + n
        return self

    def observe(self, latency: Latency, ms: float) -> Delta:
        """One duration, in milliseconds."""
        key = (latency.value, bin_of(ms))
        self.bins[key] = self.bins.get(key, 0) + 1
        return self

    def merge(self, other: Delta) -> None:
        """Add another delta to this one."""
        for name, n in other.counts.items():
            self.counts[name] = self.counts.get(name, 0) + n
        for name, value in other.sums.items():
            self.sums[name] = self.sums.get(name, 0.0) + value
        for key, n in other.classes.items():
            self.classes[key] = self.classes.get(key, 0) + n
        for bin_key, n in other.bins.items():
            self.bins[bin_key] = self.bins.get(bin_key, 0) + n

    @property
    def empty(self) -> bool:
        """Nothing to add."""
        return not (self.counts or self.sums or self.classes or self.bins)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form (for deferred contributions)."""
        return {
            "counts": self.counts,
            "sums": self.sums,
            "classes": [[family, name, n] for (family, name), n in self.classes.items()],
            "bins": [[metric, k, n] for (metric, k), n in self.bins.items()],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Delta:
        """The inverse of to_json."""
        return cls(
            counts={str(k): int(v) for k, v in data.get("counts", {}).items()},
            sums={str(k): float(v) for k, v in data.get("sums", {}).items()},
            classes={(str(f), str(c)): int(n) for f, c, n in data.get("classes", [])},
            bins={(str(m), int(k)): int(n) for m, k, n in data.get("bins", [])},
        )
