"""What every handler needs, and the unit of work that stores events with the change."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from parley_delivery.adapters import events as outbox_events
from parley_delivery.adapters.messenger import MessengerPlatform
from parley_delivery.adapters.metrics import DeliveryMetrics
from parley_delivery.adapters.recorder import PartRecorder
from parley_delivery.domain.events import Event
from parley_delivery.domain.pacing import Pacing
from parley_delivery.domain.ratelimit import Backoff, Bucket
from parley_delivery.domain.splitting import TEXT_LIMIT
from parley_delivery.service_layer.waiters import Waiters
from parley_kit.db import Pool, PoolConnection, unit_of_work
from parley_kit.secrets import Secret


def utcnow() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


class TokenSource(Protocol):
    """Page tokens (adapters.tenants.PageTokens)."""

    async def token(self, page_id: str) -> Secret:
        """The Page's token, or PageUnavailable / TenantsUnreachable."""

    def forget(self, page_id: str) -> None:
        """Drop a cached token."""

    async def report_invalid(self, page_id: str, reason: str) -> None:
        """Tell tenants the Page's token is dead."""


@dataclass(frozen=True)
class Policy:
    """Delivery's knobs (settings.py reads them)."""

    pacing: Pacing = field(default_factory=Pacing)
    bucket: Bucket = field(default_factory=lambda: Bucket(rate=40.0, burst=20.0))
    backoff: Backoff = field(default_factory=Backoff)
    rate_backoff: Backoff = field(default_factory=lambda: Backoff(base_s=1.0, cap_s=60.0))
    text_limit: int = TEXT_LIMIT
    give_up_after: timedelta = timedelta(minutes=30)
    echo_wait_s: float = 10.0
    hold_s: float = 30.0
    lease_s: float = 30.0
    lag_grace_s: float = 10.0
    attempt_budget_s: float = 60.0
    profile_calls: int = 10
    profile_window_s: float = 600.0


@dataclass
class Deps:
    """The handlers' dependencies, built once by bootstrap."""

    pool: Pool
    messenger: MessengerPlatform
    tokens: TokenSource
    recorder: PartRecorder
    policy: Policy = field(default_factory=Policy)
    clock: Callable[[], datetime] = utcnow
    rng: random.Random = field(default_factory=random.Random)
    waiters: Waiters = field(default_factory=Waiters)
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    subject_prefix: str = outbox_events.SUBJECT_PREFIX
    # Called after a transaction that stored events commits (wakes the outbox relay).
    on_events: Callable[[], None] = lambda: None
    metrics: DeliveryMetrics = field(default_factory=DeliveryMetrics)


@dataclass
class Work:
    """One transaction: its connection, its time, and the events it will store."""

    conn: PoolConnection
    now: datetime
    events: list[Event] = field(default_factory=list)

    def emit(self, event: Event) -> None:
        """Store this event with the change (in the outbox, same transaction)."""
        self.events.append(event)


@asynccontextmanager
async def unit(deps: Deps) -> AsyncIterator[Work]:
    """A transaction: the block's changes and its events commit together, or not at all."""
    async with unit_of_work(deps.pool) as conn:
        work = Work(conn, deps.clock())
        yield work
        for event in work.events:
            await outbox_events.record(conn, event, work.now, deps.subject_prefix)
    if work.events:
        deps.on_events()
