"""The messaging window and tags (MESSENGER.md): who may be messaged, how, and until when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from parley_delivery.domain.model import Author, PolicyRule, Window

BOT_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
PRIVATE_REPLY_WINDOW = timedelta(days=7)

RESPONSE = "RESPONSE"
MESSAGE_TAG = "MESSAGE_TAG"
HUMAN_AGENT = "HUMAN_AGENT"
# The only live tag that suits Parley; the others were retired on 2026-04-27 (error 100).
LIVE_TAGS = frozenset({HUMAN_AGENT})
RETIRED_TAGS = frozenset({"ACCOUNT_UPDATE", "POST_PURCHASE_UPDATE", "CONFIRMED_EVENT_UPDATE"})


class WindowState(StrEnum):
    """Where a buyer stands."""

    OPEN = "open"
    HUMAN_AGENT_ONLY = "human_agent_only"
    CLOSED = "closed"


@dataclass(frozen=True)
class WindowStatus:
    """The window of one buyer at one moment."""

    state: WindowState
    last_action_at: datetime | None
    bot_closes_at: datetime | None
    human_closes_at: datetime | None


@dataclass(frozen=True)
class Permit:
    """A send may go out now, as this messaging type with this tag."""

    messaging_type: str
    tag: str = ""


@dataclass(frozen=True)
class Refusal:
    """A send may not go out: the rule, and what it was measured from."""

    rule: PolicyRule
    detail: str
    measured_from: datetime | None = None


def window_status(last_action_at: datetime | None, now: datetime) -> WindowStatus:
    """Open inside 24 hours, human-agent-only up to 7 days, closed after (or with no action)."""
    if last_action_at is None:
        return WindowStatus(WindowState.CLOSED, None, None, None)
    bot_closes = last_action_at + BOT_WINDOW
    human_closes = last_action_at + HUMAN_AGENT_WINDOW
    if now <= bot_closes:
        state = WindowState.OPEN
    elif now <= human_closes:
        state = WindowState.HUMAN_AGENT_ONLY
    else:
        state = WindowState.CLOSED
    return WindowStatus(state, last_action_at, bot_closes, human_closes)


def permit(author: Author, window: Window, now: datetime) -> Permit | Refusal:
    """How a message to a buyer may go out now, or why it may not.

    Bot replies: RESPONSE inside 24 hours, never a tag. Human replies: no tag inside 24 hours,
    HUMAN_AGENT from 24 hours to 7 days, never after. A Page Meta blocked sends nothing.
    """
    last = window.last_action_at
    if window.page_blocked:
        return Refusal(PolicyRule.PAGE_BLOCKED, "Meta blocked the Page from messaging", last)
    state = window_status(last, now).state
    if state is WindowState.OPEN:
        return Permit(RESPONSE)
    if author is Author.HUMAN and state is WindowState.HUMAN_AGENT_ONLY:
        return Permit(MESSAGE_TAG, HUMAN_AGENT)
    if author is Author.HUMAN:
        return Refusal(
            PolicyRule.HUMAN_WINDOW_CLOSED, _since(last, now, "7 days (HUMAN_AGENT)"), last
        )
    return Refusal(PolicyRule.BOT_WINDOW_CLOSED, _since(last, now, "24 hours"), last)


def permit_private_reply(window: Window, now: datetime) -> Permit | Refusal:
    """One private reply per comment, within 7 days of it (no messaging type needed)."""
    if window.page_blocked:
        return Refusal(PolicyRule.PAGE_BLOCKED, "Meta blocked the Page from messaging")
    if window.comment_answered:
        return Refusal(
            PolicyRule.COMMENT_ALREADY_ANSWERED, "the comment was already answered privately"
        )
    created = window.comment_at
    if created is None or now - created > PRIVATE_REPLY_WINDOW:
        return Refusal(PolicyRule.COMMENT_TOO_OLD, _since(created, now, "7 days"), created)
    return Permit("")


def tag_is_live(tag: str) -> bool:
    """Whether a tag may be sent at all (empty means no tag)."""
    return tag == "" or (tag in LIVE_TAGS and tag not in RETIRED_TAGS)


def _since(last: datetime | None, now: datetime, limit: str) -> str:
    if last is None:
        return "the buyer never wrote to the Page"
    hours = (now - last).total_seconds() / 3600
    return f"the buyer's last action was {hours:.1f} hours ago, more than {limit}"
