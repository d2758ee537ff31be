"""Token buckets for the Send API's per-Page rate, and backoff with jitter.

The bucket is kept as a reservation: every call takes a token at once, possibly driving the
balance below zero, and waits until the debt is repaid at the bucket's rate. Several delivery
instances share one bucket per Page in PostgreSQL (adapters/ratelimit_repo.py runs the same
arithmetic in one statement).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# Meta: 300 Send API calls per second per Page; above about 40 messages a second the Page
# Inbox stalls (MESSENGER.md), so Parley stays well under both by default.
META_PAGE_RATE = 300.0


@dataclass(frozen=True)
class Bucket:
    """`rate` tokens a second, at most `burst` saved up."""

    rate: float
    burst: float

    def __post_init__(self) -> None:
        if not 0 < self.rate < META_PAGE_RATE:
            raise ValueError(f"rate must be above 0 and under Meta's {META_PAGE_RATE:.0f}/s")
        if self.burst < 1:
            raise ValueError("burst must be at least 1")

    def take(self, tokens: float | None, elapsed_s: float) -> tuple[float, float]:
        """(the balance after taking one token, seconds to wait before using it).

        `tokens` is the stored balance (None: a fresh bucket, full), `elapsed_s` the time
        since it was stored.
        """
        balance = self.burst if tokens is None else tokens + max(0.0, elapsed_s) * self.rate
        balance = min(self.burst, balance) - 1.0
        return balance, max(0.0, -balance / self.rate)

    def penalty(self, backoff_s: float) -> float:
        """The balance that makes every caller wait `backoff_s` (after a 613 from Meta)."""
        return -max(0.0, backoff_s) * self.rate


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: attempt n waits up to base * 2**n, at most cap."""

    base_s: float = 0.2
    cap_s: float = 30.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait before retry number `attempt` (1 for the first retry)."""
        ceiling = min(self.cap_s, self.base_s * 2.0 ** min(max(attempt, 1), 30))
        return rng.uniform(ceiling / 2, ceiling)
