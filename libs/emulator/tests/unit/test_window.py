"""The messaging window and tags (MESSENGER.md), as pure rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley_emulator.errors import GraphError
from parley_emulator.window import (
    HOUR_MS,
    check_private_reply,
    check_sender_action,
    check_window,
    window_open,
)

NOW = 1_800_000_000_000
DAY = 24 * HOUR_MS


def rejection(**kwargs: object) -> tuple[int, int | None]:
    with pytest.raises(GraphError) as caught:
        check_window(now_ms=NOW, **kwargs)  # type: ignore[arg-type]
    return caught.value.code, caught.value.subcode


@pytest.mark.parametrize("messaging_type", ["RESPONSE", "UPDATE", "UTILITY"])
def test_standard_messages_go_out_up_to_24_hours_after_the_last_action(
    messaging_type: str,
) -> None:
    check_window(messaging_type=messaging_type, tag=None, last_action_ms=NOW - DAY, now_ms=NOW)
    assert rejection(messaging_type=messaging_type, tag=None, last_action_ms=NOW - DAY - 1) == (
        10,
        2018278,
    )


def test_a_buyer_who_never_acted_cannot_be_messaged() -> None:
    assert rejection(messaging_type="RESPONSE", tag=None, last_action_ms=None) == (10, 2018278)


def test_human_agent_tag_reaches_seven_days() -> None:
    check_window(
        messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT", last_action_ms=NOW - 7 * DAY, now_ms=NOW
    )
    assert rejection(
        messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT", last_action_ms=NOW - 7 * DAY - 1
    ) == (10, 2018278)


@pytest.mark.parametrize(
    "tag", ["ACCOUNT_UPDATE", "POST_PURCHASE_UPDATE", "CONFIRMED_EVENT_UPDATE"]
)
def test_retired_tags_are_code_100_even_inside_the_window(tag: str) -> None:
    assert rejection(messaging_type="MESSAGE_TAG", tag=tag, last_action_ms=NOW) == (100, None)


def test_message_tag_needs_a_known_tag() -> None:
    assert rejection(messaging_type="MESSAGE_TAG", tag=None, last_action_ms=NOW)[0] == 100
    assert rejection(messaging_type="MESSAGE_TAG", tag="SHIPPING", last_action_ms=NOW)[0] == 100


def test_sender_actions_follow_the_24_hour_window() -> None:
    check_sender_action(last_action_ms=NOW - DAY, now_ms=NOW)
    with pytest.raises(GraphError):
        check_sender_action(last_action_ms=NOW - DAY - 1, now_ms=NOW)


def test_one_private_reply_per_comment_within_seven_days() -> None:
    check_private_reply(created_ms=NOW - 7 * DAY, replied=False, now_ms=NOW)
    with pytest.raises(GraphError) as twice:
        check_private_reply(created_ms=NOW, replied=True, now_ms=NOW)
    with pytest.raises(GraphError) as late:
        check_private_reply(created_ms=NOW - 7 * DAY - 1, replied=False, now_ms=NOW)
    assert (twice.value.code, late.value.code) == (10900, 10903)


@given(st.integers(min_value=0, max_value=30 * DAY))
def test_response_is_allowed_exactly_when_the_window_is_open(age_ms: int) -> None:
    allowed = True
    try:
        check_window(messaging_type="RESPONSE", tag=None, last_action_ms=NOW - age_ms, now_ms=NOW)
    except GraphError:
        allowed = False
    assert allowed == window_open(NOW - age_ms, NOW) == (age_ms <= DAY)


@given(st.integers(min_value=0, max_value=30 * DAY))
def test_human_agent_allows_a_superset_of_response(age_ms: int) -> None:
    if window_open(NOW - age_ms, NOW):
        check_window(
            messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT", last_action_ms=NOW - age_ms, now_ms=NOW
        )
