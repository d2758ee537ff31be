"""What delivery tells the others (analytics first), as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from parley_delivery.domain.model import Outcome, PolicyRule, Reply, ThreadMove


@dataclass(frozen=True)
class ReplySent:
    """Every part of a reply went out."""

    reply: Reply
    message_ids: tuple[str, ...]
    messaging_type: str
    tag: str
    attempts: int
    sent_at: datetime


@dataclass(frozen=True)
class ReplyRefused:
    """A policy event: Meta's rules forbid the reply; it was not sent."""

    reply: Reply
    rule: PolicyRule
    detail: str
    measured_from: datetime | None


@dataclass(frozen=True)
class ReplyDropped:
    """The reply was not (completely) sent, for a reason other than policy."""

    reply: Reply
    outcome: Outcome
    detail: str
    attempts: int
    message_ids: tuple[str, ...] = ()
    graph_code: int | None = None
    graph_subcode: int | None = None


@dataclass(frozen=True)
class ThreadMoved:
    """A thread was passed to another app or taken back."""

    page_id: str
    recipient_id: str
    move: ThreadMove
    owner_app_id: str
    reason: str
    conversation_id: str = ""
    idempotency_key: str = ""


@dataclass(frozen=True)
class TokenRejected:
    """The Send API refused the Page's token (190); tenants was told."""

    page_id: str
    reason: str


@dataclass(frozen=True)
class ProfileApplied:
    """A Page's Messenger profile was set."""

    page_id: str
    fields: tuple[str, ...]
    locales: tuple[str, ...]


Event = ReplySent | ReplyRefused | ReplyDropped | ThreadMoved | TokenRejected | ProfileApplied
