"""Per-Page rate limits: Send API calls per second, Messenger Profile calls per window."""

from __future__ import annotations

import time
from collections import deque

from parley_emulator.errors import rate_limited


class RateLimiter:
    """Fixed one-second windows for sends; a sliding window for the profile API."""

    def __init__(self) -> None:
        self._send: dict[str, list[int]] = {}
        self._profile: dict[str, deque[float]] = {}

    def check_send(self, page_id: str, per_second: int) -> None:
        """Count a send for the Page; 613 / 2534040 when over `per_second`."""
        second = int(time.monotonic())
        slot = self._send.get(page_id)
        if slot is None or slot[0] != second:
            self._send[page_id] = [second, 1]
            return
        if slot[1] >= per_second:
            raise rate_limited()
        slot[1] += 1

    def check_profile(self, page_id: str, calls: int, window_s: float) -> None:
        """Count a Messenger Profile call for the Page; 613 when over `calls` per window."""
        now = time.monotonic()
        recent = self._profile.setdefault(page_id, deque())
        while recent and now - recent[0] >= window_s:
            recent.popleft()
        if len(recent) >= calls:
            raise rate_limited(subcode=None)
        recent.append(now)

    def reset(self) -> None:
        """Forget every count."""
        self._send.clear()
        self._profile.clear()
