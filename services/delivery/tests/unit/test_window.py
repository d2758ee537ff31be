"""The messaging window at its boundaries: 24 hours for the bot, 7 days for humans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from parley_delivery.domain.model import Author, PolicyRule, Window
from parley_delivery.domain.window import (
    HUMAN_AGENT,
    MESSAGE_TAG,
    RESPONSE,
    RETIRED_TAGS,
    Permit,
    Refusal,
    WindowState,
    permit,
    permit_private_reply,
    tag_is_live,
    window_status,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def ago(**delta: float) -> Window:
    return Window(last_action_at=NOW - timedelta(**delta))


def test_a_bot_reply_at_23_59_59_goes_out_as_response_without_a_tag() -> None:
    assert permit(Author.BOT, ago(hours=23, minutes=59, seconds=59), NOW) == Permit(RESPONSE)


def test_a_bot_reply_at_exactly_24_hours_still_goes_out() -> None:
    assert permit(Author.BOT, ago(hours=24), NOW) == Permit(RESPONSE)


def test_a_bot_reply_at_24_00_01_is_refused_and_never_tagged() -> None:
    decision = permit(Author.BOT, ago(hours=24, seconds=1), NOW)
    assert isinstance(decision, Refusal)
    assert decision.rule is PolicyRule.BOT_WINDOW_CLOSED
    assert decision.measured_from == NOW - timedelta(hours=24, seconds=1)


def test_a_bot_reply_to_a_buyer_who_never_wrote_is_refused() -> None:
    decision = permit(Author.BOT, Window(), NOW)
    assert isinstance(decision, Refusal) and decision.rule is PolicyRule.BOT_WINDOW_CLOSED


def test_a_human_reply_inside_24_hours_needs_no_tag() -> None:
    assert permit(Author.HUMAN, ago(hours=23, minutes=59, seconds=59), NOW) == Permit(RESPONSE)


def test_a_human_reply_at_24_00_01_carries_human_agent() -> None:
    assert permit(Author.HUMAN, ago(hours=24, seconds=1), NOW) == Permit(MESSAGE_TAG, HUMAN_AGENT)


def test_a_human_reply_at_exactly_7_days_carries_human_agent() -> None:
    assert permit(Author.HUMAN, ago(days=7), NOW) == Permit(MESSAGE_TAG, HUMAN_AGENT)


def test_a_human_reply_after_7_days_is_refused() -> None:
    decision = permit(Author.HUMAN, ago(days=7, seconds=1), NOW)
    assert isinstance(decision, Refusal) and decision.rule is PolicyRule.HUMAN_WINDOW_CLOSED


def test_nothing_goes_out_on_a_page_meta_blocked() -> None:
    blocked = Window(last_action_at=NOW, page_blocked=True)
    for author in Author:
        decision = permit(author, blocked, NOW)
        assert isinstance(decision, Refusal) and decision.rule is PolicyRule.PAGE_BLOCKED


@given(st.integers(min_value=-3600, max_value=10 * 86400), st.sampled_from(list(Author)))
def test_every_permit_is_inside_policy_and_never_uses_a_retired_tag(
    seconds: int, author: Author
) -> None:
    decision = permit(author, ago(seconds=seconds), NOW)
    if isinstance(decision, Refusal):
        return
    assert tag_is_live(decision.tag) and decision.tag not in RETIRED_TAGS
    if author is Author.BOT:
        assert decision == Permit(RESPONSE) and seconds <= 24 * 3600
    elif seconds <= 24 * 3600:
        assert decision == Permit(RESPONSE)
    else:
        assert decision == Permit(MESSAGE_TAG, HUMAN_AGENT) and seconds <= 7 * 86400


def test_retired_tags_are_never_live() -> None:
    assert not any(tag_is_live(tag) for tag in RETIRED_TAGS)
    assert tag_is_live("") and tag_is_live(HUMAN_AGENT)


def test_window_status_names_open_human_agent_only_and_closed() -> None:
    assert window_status(NOW - timedelta(hours=1), NOW).state is WindowState.OPEN
    status = window_status(NOW - timedelta(hours=30), NOW)
    assert status.state is WindowState.HUMAN_AGENT_ONLY
    assert status.bot_closes_at == NOW - timedelta(hours=6)
    assert status.human_closes_at == NOW - timedelta(hours=30) + timedelta(days=7)
    assert window_status(NOW - timedelta(days=8), NOW).state is WindowState.CLOSED
    assert window_status(None, NOW).state is WindowState.CLOSED


def test_a_private_reply_goes_out_once_within_7_days_of_the_comment() -> None:
    fresh = Window(comment_at=NOW - timedelta(days=6, hours=23))
    assert permit_private_reply(fresh, NOW) == Permit("")
    old = permit_private_reply(Window(comment_at=NOW - timedelta(days=7, seconds=1)), NOW)
    assert isinstance(old, Refusal) and old.rule is PolicyRule.COMMENT_TOO_OLD
    again = permit_private_reply(Window(comment_at=NOW, comment_answered=True), NOW)
    assert isinstance(again, Refusal) and again.rule is PolicyRule.COMMENT_ALREADY_ANSWERED
