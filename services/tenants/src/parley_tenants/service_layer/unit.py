"""What every handler needs, and the unit of work that stores events with the change."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from parley_kit.db import Pool, PoolConnection, unit_of_work
from parley_tenants.adapters import events as outbox_events
from parley_tenants.adapters.crypto import TokenCipher
from parley_tenants.adapters.facebook import FacebookPlatform
from parley_tenants.domain.events import Event


def utcnow() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


@dataclass
class Deps:
    """The handlers' dependencies, built once by bootstrap."""

    pool: Pool
    cipher: TokenCipher
    facebook: FacebookPlatform
    public_url: str
    state_key: bytes
    state_ttl: timedelta = timedelta(minutes=10)
    clock: Callable[[], datetime] = utcnow
    subject_prefix: str = outbox_events.SUBJECT_PREFIX
    # Called after a transaction that stored events commits (wakes the outbox relay).
    on_events: Callable[[], None] = lambda: None

    @property
    def redirect_uri(self) -> str:
        """Where Facebook sends the seller back: the gateway's OAuth callback."""
        return f"{self.public_url}/oauth/callback"

    def reconnect_url(self, seller_id: str) -> str:
        """A lasting link that starts onboarding again (the gateway answers with the dialog)."""
        return f"{self.public_url}/onboarding/{seller_id}"


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
