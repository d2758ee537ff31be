"""The messaging window and tag rules (MESSENGER.md), pure: times are epoch milliseconds."""

from __future__ import annotations

from parley_emulator.errors import (
    CODE_ALREADY_REPLIED,
    CODE_CANNOT_REPLY,
    GraphError,
    outside_window,
    param_error,
)

HOUR_MS = 3_600_000
STANDARD_WINDOW_MS = 24 * HOUR_MS
HUMAN_AGENT_WINDOW_MS = 7 * 24 * HOUR_MS
PRIVATE_REPLY_WINDOW_MS = 7 * 24 * HOUR_MS
LIVE_TAGS = frozenset({"HUMAN_AGENT"})
RETIRED_TAGS = frozenset({"ACCOUNT_UPDATE", "POST_PURCHASE_UPDATE", "CONFIRMED_EVENT_UPDATE"})


def check_window(
    *, messaging_type: str | None, tag: str | None, last_action_ms: int | None, now_ms: int
) -> None:
    """Raise unless a message of this type and tag may go out now.

    RESPONSE, UPDATE and UTILITY (the emulator does not model utility templates)
    need the buyer's last action within 24 hours; MESSAGE_TAG needs a live tag:
    HUMAN_AGENT reaches 7 days. Retired or unknown tags are code 100.
    """
    limit = STANDARD_WINDOW_MS
    if messaging_type == "MESSAGE_TAG":
        limit = _tag_window(tag)
    if last_action_ms is None or now_ms - last_action_ms > limit:
        raise outside_window()


def _tag_window(tag: str | None) -> int:
    if tag is None:
        raise param_error("The parameter tag is required when messaging_type is MESSAGE_TAG")
    if tag in RETIRED_TAGS:
        raise param_error(f"Tag {tag} is no longer supported (retired 2026-04-27)")
    if tag not in LIVE_TAGS:
        raise param_error(f"param tag must be one of {sorted(LIVE_TAGS)}")
    return HUMAN_AGENT_WINDOW_MS


def check_sender_action(*, last_action_ms: int | None, now_ms: int) -> None:
    """Sender actions follow the 24-hour window like standard messages."""
    if last_action_ms is None or now_ms - last_action_ms > STANDARD_WINDOW_MS:
        raise outside_window()


def check_private_reply(*, created_ms: int, replied: bool, now_ms: int) -> None:
    """One private reply per comment, within 7 days of the comment."""
    if replied:
        raise GraphError(CODE_ALREADY_REPLIED, "(#10900) Activity already replied to")
    if now_ms - created_ms > PRIVATE_REPLY_WINDOW_MS:
        raise GraphError(
            CODE_CANNOT_REPLY,
            "(#10903) This activity can't be replied to: it is older than 7 days",
        )


def window_open(last_action_ms: int | None, now_ms: int) -> bool:
    """Whether a standard (untagged) message may go out now."""
    return last_action_ms is not None and now_ms - last_action_ms <= STANDARD_WINDOW_MS
