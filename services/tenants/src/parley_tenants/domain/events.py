"""What the tenants service tells the others, as plain values."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageConnected:
    """A seller connected (or re-connected) a Page."""

    seller_id: str
    page_id: str
    page_name: str
    reconnected: bool


@dataclass(frozen=True)
class PageNeedsReconnect:
    """A Page's token stopped working; the bot is paused on it."""

    seller_id: str
    page_id: str
    reason: str
    reconnect_url: str


@dataclass(frozen=True)
class PagePaused:
    """The bot stopped answering on a Page."""

    seller_id: str
    page_id: str
    reason: str


@dataclass(frozen=True)
class PageResumed:
    """The bot answers on a Page again."""

    seller_id: str
    page_id: str


@dataclass(frozen=True)
class UserDataDeletionRequested:
    """A Facebook user asked for their data to be deleted."""

    facebook_user_id: str
    confirmation_code: str
    seller_ids: tuple[str, ...]
    page_ids: tuple[str, ...]


@dataclass(frozen=True)
class RulesChanged:
    """A seller's settings (listing_id "") or one of their listings changed."""

    seller_id: str
    listing_id: str
    change: str


Event = (
    PageConnected
    | PageNeedsReconnect
    | PagePaused
    | PageResumed
    | UserDataDeletionRequested
    | RulesChanged
)
