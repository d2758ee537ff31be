"""Human-like pace: a typing delay from a reply's length, with jitter, under a cap."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Pacing:
    """How long a person would take to type a reply.

    `base_s` to read and start, then `chars_per_s`; the result varies by +/- `jitter` (a share)
    and never exceeds `cap_s`. `enabled` False sends every reply at once (tests, benchmarks).
    """

    enabled: bool = True
    base_s: float = 1.0
    chars_per_s: float = 25.0
    jitter: float = 0.25
    cap_s: float = 8.0

    def __post_init__(self) -> None:
        if self.base_s < 0 or self.cap_s < 0 or self.chars_per_s <= 0:
            raise ValueError("pacing needs base_s >= 0, cap_s >= 0 and chars_per_s > 0")
        if not 0 <= self.jitter < 1:
            raise ValueError("pacing jitter is a share in [0, 1)")

    def delay(self, length: int, rng: random.Random) -> float:
        """Seconds to wait (typing) before sending a text of `length` characters."""
        if not self.enabled:
            return 0.0
        typing = self.base_s + max(0, length) / self.chars_per_s
        varied = typing * (1.0 + rng.uniform(-self.jitter, self.jitter))
        return max(0.0, min(self.cap_s, varied))

    def remaining(self, length: int, elapsed_s: float, rng: random.Random) -> float:
        """The delay less the time the reply already spent on its way (deciding, queueing)."""
        return max(0.0, self.delay(length, rng) - max(0.0, elapsed_s))
