"""What every handler needs, and the unit of work that stores events with the change."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from parley_kit.db import Pool, PoolConnection, unit_of_work
from parley_tenants.adapters import events as outbox_events
from parley_tenants.adapters.crypto import TokenCipher
from parley_tenants.adapters.facebook import FacebookPlatform
from parley_tenants.domain.events import Event
from parley_tenants.domain.model import Page, SellerSettings
from parley_tenants.domain.oauth_state import encode_connect_link


def utcnow() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


class ProfileSetter(Protocol):
    """Sets a Page's Messenger profile up (delivery's SetUpPageProfile)."""

    async def set_up(self, page: Page, settings: SellerSettings) -> None: ...


@dataclass
class Deps:
    """The handlers' dependencies, built once by bootstrap."""

    pool: Pool
    cipher: TokenCipher
    facebook: FacebookPlatform
    public_url: str
    state_key: bytes
    state_ttl: timedelta = timedelta(minutes=10)
    link_ttl: timedelta = timedelta(days=14)
    clock: Callable[[], datetime] = utcnow
    subject_prefix: str = outbox_events.SUBJECT_PREFIX
    # Called after a transaction that stored events commits (wakes the outbox relay).
    on_events: Callable[[], None] = lambda: None
    # Delivery's Page set-up; None leaves every Page's profile pending.
    profiles: ProfileSetter | None = None
    # Called after Pages were connected (wakes the profile set-up).
    on_connected: Callable[[], None] = lambda: None

    @property
    def redirect_uri(self) -> str:
        """Where Facebook sends the seller back: the gateway's OAuth callback."""
        return f"{self.public_url}/oauth/callback"

    def connect_link(self, seller_id: str) -> tuple[str, datetime]:
        """A signed link that starts onboarding for the seller until it expires, and when."""
        expires = (self.clock() + self.link_ttl).replace(microsecond=0)
        token = encode_connect_link(seller_id, expires, self.state_key)
        return f"{self.public_url}/connect/{token}", expires

    def reconnect_url(self, seller_id: str) -> str:
        """The connect link, for events and messages that tell a seller to reconnect."""
        return self.connect_link(seller_id)[0]


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
