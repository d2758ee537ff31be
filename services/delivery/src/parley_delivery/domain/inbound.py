"""What delivery learns from inbound events, reduced to facts it can apply in any order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class BuyerAction:
    """The buyer did something that opens the window; `turn` if it asks for an answer (a
    message or a button tap), which supersedes replies still waiting to answer older ones."""

    page_id: str
    psid: str
    at: datetime
    turn: bool


@dataclass(frozen=True)
class Echo:
    """Meta echoed one of our own sends: it went out."""

    idempotency_key: str
    part: int
    message_id: str
    at: datetime


@dataclass(frozen=True)
class Receipt:
    """Messages to a buyer were delivered or read: those listed, and all sent before the
    watermark."""

    page_id: str
    psid: str
    read: bool
    watermark: datetime
    message_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Comment:
    """A comment on a Page post (a private reply may answer it within 7 days)."""

    comment_id: str
    page_id: str
    from_id: str
    created_at: datetime


@dataclass(frozen=True)
class PolicyChange:
    """Meta blocked or unblocked the Page (or warned it: `blocked` unchanged then)."""

    page_id: str
    blocked: bool
    reason: str
    at: datetime


Fact = BuyerAction | Echo | Receipt | Comment | PolicyChange


@dataclass(frozen=True)
class WindowUpdate:
    """The latest action and turn of one buyer within a batch."""

    page_id: str
    psid: str
    last_action_at: datetime
    last_message_at: datetime | None


def window_updates(actions: list[BuyerAction]) -> list[WindowUpdate]:
    """One update per buyer: the latest action and the latest turn (one row per statement)."""
    latest: dict[tuple[str, str], WindowUpdate] = {}
    for action in actions:
        key = (action.page_id, action.psid)
        seen = latest.get(key)
        last_action = action.at if seen is None else max(seen.last_action_at, action.at)
        last_turn = None if seen is None else seen.last_message_at
        if action.turn and (last_turn is None or action.at > last_turn):
            last_turn = action.at
        latest[key] = WindowUpdate(action.page_id, action.psid, last_action, last_turn)
    return list(latest.values())
