"""Sellers, Pages, settings, listings and deletion requests: plain values, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class SellerStatus(StrEnum):
    """Whether the bot works for a seller."""

    ACTIVE = "active"
    PAUSED = "paused"
    DELETED = "deleted"


class PageStatus(StrEnum):
    """Whether the bot answers on a Page."""

    ACTIVE = "active"
    PAUSED = "paused"
    NEEDS_RECONNECT = "needs_reconnect"


class ReplyPace(StrEnum):
    """How fast replies go out."""

    HUMAN = "human"
    INSTANT = "instant"


class ListingStatus(StrEnum):
    """Whether an item is still for sale."""

    AVAILABLE = "available"
    SOLD = "sold"


class DeletionStatus(StrEnum):
    """Progress of a data deletion request."""

    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


@dataclass(frozen=True)
class Seller:
    """A business or person selling through Parley."""

    seller_id: str
    name: str
    email: str
    status: SellerStatus
    facebook_user_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class Page:
    """A connected Facebook Page (its token lives apart, encrypted)."""

    page_id: str
    seller_id: str
    name: str
    status: PageStatus
    status_reason: str
    profile_setup_pending: bool
    webhooks_subscribed: bool
    connected_at: datetime
    updated_at: datetime
    token_checked_at: datetime | None
    version: int


@dataclass(frozen=True)
class ViewingSlot:
    """A weekly window for viewings: ISO weekday and local "HH:MM" times."""

    weekday: int
    start: str
    end: str


@dataclass(frozen=True)
class SellerSettings:
    """The seller's rules for the bot."""

    seller_id: str
    languages: tuple[str, ...] = ("en",)
    tone: str = "balanced"
    reply_pace: ReplyPace = ReplyPace.HUMAN
    escrow_enabled: bool = False
    human_takeover_enabled: bool = True
    viewing_availability: tuple[ViewingSlot, ...] = ()
    takeover_keywords: tuple[str, ...] = ()
    max_concessions: int = 3
    currency: str = "USD"
    time_zone: str = "UTC"
    version: int = 0


@dataclass(frozen=True)
class Vehicle:
    """Facts of a vehicle for sale."""

    year: int | None = None
    make: str = ""
    model: str = ""
    trim: str = ""
    mileage: int | None = None
    mileage_unit: str = "km"
    condition: str = ""
    features: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleOverrides:
    """Changes to the seller's settings for one listing; None keeps the seller's value."""

    tone: str | None = None
    max_concessions: int | None = None
    reply_pace: ReplyPace | None = None
    escrow_enabled: bool | None = None
    human_takeover_enabled: bool | None = None
    languages: tuple[str, ...] = ()
    extra_takeover_keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Listing:
    """An item for sale with its prices (minor units) and rules."""

    listing_id: str
    seller_id: str
    page_id: str | None
    title: str
    currency: str
    asking_minor: int
    floor_minor: int
    ref: str
    description: str = ""
    auto_accept_minor: int | None = None
    max_concessions: int | None = None
    status: ListingStatus = ListingStatus.AVAILABLE
    vehicle: Vehicle = field(default_factory=Vehicle)
    location: str = ""
    photo_urls: tuple[str, ...] = ()
    attributes: dict[str, str] = field(default_factory=dict)
    overrides: RuleOverrides = field(default_factory=RuleOverrides)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 0


@dataclass(frozen=True)
class ListingRules:
    """The rules in force for one listing: settings, overrides and prices together."""

    listing_id: str
    seller_id: str
    currency: str
    asking_minor: int
    floor_minor: int
    auto_accept_minor: int | None
    max_concessions: int
    tone: str
    languages: tuple[str, ...]
    reply_pace: ReplyPace
    escrow_enabled: bool
    human_takeover_enabled: bool
    takeover_keywords: tuple[str, ...]
    viewing_availability: tuple[ViewingSlot, ...]
    time_zone: str
    available: bool


@dataclass(frozen=True)
class DeletionRequest:
    """A Facebook user's request to delete their data."""

    confirmation_code: str
    status: DeletionStatus
    progress: tuple[str, ...]
    requested_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class KillSwitch:
    """The platform-wide stop."""

    engaged: bool
    reason: str
    changed_at: datetime | None


@dataclass(frozen=True)
class ConnectedPage:
    """A Page as Facebook lists it for a user, with its token (held only in memory)."""

    page_id: str
    name: str
    token: str

    def __repr__(self) -> str:
        return f"ConnectedPage(page_id={self.page_id!r}, name={self.name!r}, token='***')"
