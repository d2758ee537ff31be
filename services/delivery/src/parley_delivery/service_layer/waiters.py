"""Replies waiting out their human pace, woken early when their buyer writes again."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict


class Waiters:
    """Per-conversation wake-ups: a newer buyer message ends a waiting reply's pause at once
    (on this instance; others find out when their pause ends)."""

    def __init__(self) -> None:
        self._events: defaultdict[tuple[str, str], set[asyncio.Event]] = defaultdict(set)

    async def wait(self, page_id: str, psid: str, timeout_s: float) -> bool:
        """Sleep up to `timeout_s`; True when woken by a newer buyer message."""
        if timeout_s <= 0:
            return False
        key = (page_id, psid)
        event = asyncio.Event()
        self._events[key].add(event)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout_s)
            return event.is_set()
        finally:
            waiting = self._events.get(key)
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    del self._events[key]

    def nudge(self, page_id: str, psid: str) -> None:
        """The buyer wrote again: wake the replies waiting in this conversation."""
        for event in self._events.get((page_id, psid), ()):
            event.set()

    def __len__(self) -> int:
        return sum(len(events) for events in self._events.values())
