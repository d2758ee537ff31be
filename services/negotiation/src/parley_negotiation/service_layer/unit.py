"""What every handler needs: the pool, tenants, the phraser, the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from parley_kit.db import Pool
from parley_negotiation.adapters.tenants import ListingContext, PageInfo
from parley_negotiation.phrasing.draft import Phraser

# The Page Inbox app: its echoes are a person answering; passing a thread to it hands over.
PAGE_INBOX_APP_ID = "263902037430900"
# Prefix of the metadata negotiation puts on its replies, so their echoes are recognised.
METADATA_PREFIX = "parley:"


def utcnow() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


class Tenants(Protocol):
    """What negotiation reads from tenants."""

    async def page(self, page_id: str) -> PageInfo | None: ...

    async def kill_switch(self) -> bool: ...

    async def listing(self, listing_id: str) -> ListingContext | None: ...

    async def listing_by_ref(self, page_id: str, ref: str) -> ListingContext | None: ...

    async def page_listings(self, page_id: str, seller_id: str) -> list[ListingContext]: ...


@dataclass
class Deps:
    """The handlers' dependencies, built once by bootstrap."""

    pool: Pool
    tenants: Tenants
    phraser: Phraser
    replies_prefix: str = "parley.replies"
    # Where negotiation's own events go: `<prefix>.<page id>.<kind>`.
    events_prefix: str = "parley.negotiation"
    clock: Callable[[], datetime] = utcnow
    # Called after a transaction that stored reply commands commits (wakes the outbox relay).
    on_outbox: Callable[[], None] = lambda: None
    # Whether replies go through a language model (it then sees recent transcript lines).
    phrasing_enabled: bool = False
    history_lines: int = 8
