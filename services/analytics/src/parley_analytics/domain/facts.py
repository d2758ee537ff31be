"""What analytics reads of each event on the bus, whichever service published it."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any


class Source(StrEnum):
    """The stream an event came from."""

    INBOUND = "inbound"
    NEGOTIATION = "negotiation"
    DELIVERY = "delivery"
    TENANTS = "tenants"


@dataclass(frozen=True, kw_only=True)
class Fact:
    """One event: its id (idempotency), its time, and whom it concerns."""

    event_id: str
    source: Source
    kind: str
    at: datetime
    page_id: str = ""
    seller_id: str = ""
    listing_id: str = ""
    conversation_id: str = ""
    buyer_id: str = ""

    def details(self) -> dict[str, Any]:
        """The fields of the event's own kind, JSON-able, for the event log."""
        base = {f.name for f in fields(Fact)}
        return {
            f.name: _jsonable(getattr(self, f.name)) for f in fields(self) if f.name not in base
        }


def _jsonable(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True, kw_only=True)
class Noted(Fact):
    """An event kept in the log that no figure counts (receipts, echoes, profile set-up...)."""


@dataclass(frozen=True, kw_only=True)
class BuyerMessage(Fact):
    """A buyer wrote to a Page (under `messaging` or `standby`)."""

    standby: bool = False


@dataclass(frozen=True, kw_only=True)
class Turn(Fact):
    """Negotiation decided one turn (`at` is when the buyer acted)."""

    started: bool
    action: str
    offer_minor: int | None = None
    price_minor: int | None = None
    asking_minor: int = 0
    floor_minor: int = 0
    currency: str = ""
    scam_flag: str = ""
    escrow_offered: bool = False


@dataclass(frozen=True, kw_only=True)
class StateChanged(Fact):
    """Who answers a conversation changed: bot, human, paused or closed."""

    state: str
    previous_state: str = ""
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Sent(Fact):
    """A reply went out completely (`at` is when Meta accepted its last part)."""

    answered_at: datetime | None = None
    author: str = ""


@dataclass(frozen=True, kw_only=True)
class Refused(Fact):
    """Meta's policy kept a reply from being sent."""

    rule: str


@dataclass(frozen=True, kw_only=True)
class Dropped(Fact):
    """A reply was not sent for a reason other than policy."""

    outcome: str
    graph_code: int = 0


@dataclass(frozen=True, kw_only=True)
class PageOwned(Fact):
    """Tenants said which seller a Page belongs to (connected, paused, resumed...)."""


@dataclass(frozen=True, kw_only=True)
class DeletionRequested(Fact):
    """A person asked for their data to be deleted: as a seller (their sellers and Pages) and as
    a buyer (their user id). The user id is never written to the log."""

    user_id: str
    seller_ids: tuple[str, ...] = ()
    page_ids: tuple[str, ...] = ()

    def details(self) -> dict[str, Any]:
        """Only what is not personal."""
        return {"seller_ids": list(self.seller_ids), "page_ids": list(self.page_ids)}
