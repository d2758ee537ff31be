"""The emulated platform's records: apps, users, Pages, buyers, tokens, threads, comments."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, fields
from typing import Any

PAGE_INBOX_APP_ID = "263902037430900"
# Every webhook field the emulator can deliver; seeded Pages subscribe to all of them.
WEBHOOK_FIELDS = (
    "messages",
    "message_echoes",
    "messaging_postbacks",
    "messaging_referrals",
    "message_deliveries",
    "message_reads",
    "message_reactions",
    "message_edits",
    "messaging_handovers",
    "standby",
    "messaging_policy_enforcement",
    "messaging_optins",
    "feed",
)


@dataclass(slots=True)
class App:
    """A Meta app: what Parley is registered as."""

    id: str
    secret: str
    name: str = "App"
    verify_token: str = ""
    callback_url: str | None = None
    require_proof: bool = False

    def to_json(self) -> dict[str, Any]:
        """The app as the operator API and state file show it."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(slots=True)
class User:
    """A Facebook user (a seller) and the Pages they manage."""

    id: str
    name: str
    page_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The user as the operator API and state file show it."""
        return {"id": self.id, "name": self.name, "pages": list(self.page_ids)}


@dataclass(slots=True)
class Page:
    """A Facebook Page: its tokens per app, app subscriptions and Messenger profile."""

    id: str
    name: str
    app_id: str | None = None
    tokens: dict[str, str] = field(default_factory=dict)
    subscriptions: dict[str, list[str]] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)
    send_rate: int | None = None

    @property
    def access_token(self) -> str | None:
        """The current Page token for the primary app."""
        return self.tokens.get(self.app_id) if self.app_id else None


@dataclass(slots=True)
class Buyer:
    """A person who messages a Page, known to it by a Page-scoped id (PSID)."""

    psid: str
    page_id: str
    first_name: str = "Buyer"
    last_name: str = ""
    profile_pic: str = ""
    locale: str = "en_US"
    timezone: int = 0
    has_profile: bool = True

    def to_json(self) -> dict[str, Any]:
        """The buyer as the operator API and state file show it."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def name(self) -> str:
        """First and last name, as comments show it."""
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(slots=True)
class Token:
    """An access token: a Page token (never expires) or a user token (expires)."""

    value: str
    kind: str
    app_id: str
    page_id: str | None = None
    user_id: str | None = None
    scopes: list[str] = field(default_factory=list)
    issued_at: int = 0
    expires_at: int = 0
    valid: bool = True

    def to_json(self) -> dict[str, Any]:
        """The token as the state file keeps it."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(slots=True)
class Item:
    """One entry of a thread's timeline: in (buyer), out (Page) or control (routing)."""

    seq: int
    direction: str
    kind: str
    time: int
    mid: str | None = None
    text: str | None = None
    title: str | None = None
    payload: Any = None
    quick_replies: Any = None
    messaging_type: str | None = None
    tag: str | None = None
    sender_action: str | None = None
    app_id: str | None = None
    target_app_id: str | None = None
    metadata: str | None = None
    comment_id: str | None = None
    ref: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The item without its empty fields."""
        out: dict[str, Any] = {}
        for name in ITEM_FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


ITEM_FIELDS = tuple(f.name for f in fields(Item))


@dataclass(slots=True)
class Thread:
    """The conversation between a Page and one buyer, and who controls it."""

    page_id: str
    psid: str
    owner_app_id: str | None = None
    items: list[Item] = field(default_factory=list)
    last_action_ms: int | None = None
    delivered_watermark: int = 0
    read_watermark: int = 0
    undelivered: list[str] = field(default_factory=list)
    delivery_scheduled: bool = False
    read_scheduled: bool = False
    changed: asyncio.Event | None = None

    def append(self, item: Item) -> Item:
        """Add an item with the next sequence number and wake long-pollers."""
        item.seq = len(self.items) + 1
        self.items.append(item)
        if self.changed is not None:
            self.changed.set()
            self.changed = None
        return item

    def last_out(self, predicate: str | None = None) -> Item | None:
        """The newest outgoing message (optionally one carrying `predicate` set)."""
        for item in reversed(self.items):
            if item.direction != "out" or item.mid is None:
                continue
            if predicate is None or getattr(item, predicate) is not None:
                return item
        return None


@dataclass(slots=True)
class Comment:
    """A comment a buyer left on a Page post; it may get one private reply."""

    id: str
    page_id: str
    post_id: str
    parent_id: str
    psid: str
    message: str
    created_ms: int
    replied: bool = False

    def to_json(self) -> dict[str, Any]:
        """The comment as the state file keeps it."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(slots=True)
class AuthCode:
    """A one-use OAuth code from the login dialog."""

    code: str
    app_id: str
    user_id: str
    redirect_uri: str
    scopes: list[str]
    expires_ms: int
