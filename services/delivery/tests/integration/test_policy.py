"""Meta's policy at its boundaries: 24 hours for the bot, HUMAN_AGENT to 7 days for humans,
refusals as FAILED_PRECONDITION and policy events; the human pace and superseded replies."""

from __future__ import annotations

import time

import grpc
import pytest

from parley.delivery.v1 import delivery_pb2 as api
from parley.events.v1 import delivery_pb2 as events
from parley.events.v1 import replies_pb2
from parley_emulator.testing import PAGE_ID, PSID

from .conftest import EXTRA_PSIDS, PAGE_2, Stack, command, hours_ago

pytestmark = pytest.mark.integration
ALMOST_A_DAY = hours_ago(24) - 1  # 23:59:59
JUST_OVER_A_DAY = hours_ago(24) + 1  # 24:00:01
SEVEN_DAYS = hours_ago(7 * 24)


async def test_a_bot_reply_at_23_59_59_is_sent(stack: Stack) -> None:
    await stack.buyer_says(seconds_ago=ALMOST_A_DAY)
    reply = command()
    await stack.publish(reply)
    assert (await stack.settled(reply.idempotency_key))["state"] == "sent"
    (item,) = await stack.sent_for(reply.idempotency_key)
    assert item["messaging_type"] == "RESPONSE" and item.get("tag") is None


async def test_a_bot_reply_at_24_00_01_is_refused_with_a_policy_event_and_never_sent(
    stack: Stack,
) -> None:
    said = await stack.buyer_says(seconds_ago=JUST_OVER_A_DAY)
    reply = command()
    await stack.publish(reply)
    row = await stack.settled(reply.idempotency_key)
    assert row["state"] == "refused" and row["message_ids"] == []
    assert await stack.sent_for(reply.idempotency_key) == []
    (refused,) = await stack.events("reply_refused")
    event = events.ReplyRefused.FromString(refused[1])
    assert event.rule == events.POLICY_RULE_BOT_WINDOW_CLOSED
    assert event.last_buyer_action_at.ToMilliseconds() == int(said.timestamp() * 1000)


async def send_as_human(stack: Stack, key: str, psid: str = PSID) -> api.SendAsHumanResponse:
    request = api.SendAsHumanRequest(
        page_id=PAGE_ID, recipient_id=psid, text="Hi, Sam here.", idempotency_key=key
    )
    answer: api.SendAsHumanResponse = await stack.stub("gateway").SendAsHuman(request)
    return answer


async def test_a_human_reply_inside_24_hours_carries_no_tag(stack: Stack) -> None:
    await stack.buyer_says(seconds_ago=ALMOST_A_DAY)
    answer = await send_as_human(stack, "h-1")
    assert answer.messaging_type == "RESPONSE" and answer.tag == ""
    (item,) = await stack.sent_for("h-1")
    assert item["mid"] == answer.message_id and item.get("tag") is None


async def test_a_human_reply_after_24_hours_carries_human_agent_and_is_sent_once(
    stack: Stack,
) -> None:
    await stack.buyer_says(seconds_ago=JUST_OVER_A_DAY)
    answer = await send_as_human(stack, "h-2")
    assert answer.messaging_type == "MESSAGE_TAG" and answer.tag == "HUMAN_AGENT"
    again = await send_as_human(stack, "h-2")  # the dashboard retrying
    assert list(again.message_ids) == list(answer.message_ids)
    (item,) = await stack.sent_for("h-2")
    assert item["tag"] == "HUMAN_AGENT"


async def test_a_human_reply_just_inside_7_days_is_sent_and_after_is_refused(
    stack: Stack,
) -> None:
    await stack.buyer_says(seconds_ago=SEVEN_DAYS - 5)
    assert (await send_as_human(stack, "h-3")).tag == "HUMAN_AGENT"
    late = EXTRA_PSIDS[0]
    await stack.buyer_says(psid=late, seconds_ago=SEVEN_DAYS + 1)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await send_as_human(stack, "h-4", psid=late)
    assert raised.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "7 days" in (raised.value.details() or "")
    assert await stack.sent_for("h-4", psid=late) == []
    rules = [events.ReplyRefused.FromString(p).rule for _, p in await stack.events("reply_refused")]
    assert rules == [events.POLICY_RULE_HUMAN_WINDOW_CLOSED]


async def test_the_window_status_tells_open_human_agent_only_and_closed(stack: Stack) -> None:
    request = api.GetWindowStatusRequest(page_id=PAGE_ID, recipient_id=PSID)
    stub = stack.stub("negotiation")
    assert (await stub.GetWindowStatus(request)).state == api.WINDOW_STATE_CLOSED
    await stack.buyer_says(seconds_ago=hours_ago(30))
    status = await stub.GetWindowStatus(request)
    assert status.state == api.WINDOW_STATE_HUMAN_AGENT_ONLY
    closes = status.human_window_closes_at.ToSeconds() - status.last_buyer_action_at.ToSeconds()
    assert closes == 7 * 86400
    await stack.buyer_says()
    assert (await stub.GetWindowStatus(request)).state == api.WINDOW_STATE_OPEN


async def test_a_paced_reply_marks_seen_types_then_waits_before_sending(stack: Stack) -> None:
    await stack.restart(
        PARLEY_DELIVERY_PACING="true",
        PARLEY_DELIVERY_PACING_BASE_S="0.6",
        PARLEY_DELIVERY_TYPING_CHARS_PER_S="1000",
        PARLEY_DELIVERY_PACING_JITTER="0",
    )
    said = await stack.buyer_says()
    reply = command(pacing=replies_pb2.REPLY_PACING_HUMAN, in_reply_to_at=said)
    started = time.monotonic()
    await stack.publish(reply)
    await stack.settled(reply.idempotency_key)
    assert time.monotonic() - started >= 0.5
    thread = await stack.op("GET", f"/threads/{PAGE_ID}/{PSID}")
    out = [i for i in thread["items"] if i["direction"] == "out"]
    assert [i.get("sender_action") or i["kind"] for i in out] == ["mark_seen", "typing_on", "text"]


async def test_a_waiting_reply_superseded_by_a_newer_message_is_dropped(stack: Stack) -> None:
    await stack.restart(
        PARLEY_DELIVERY_PACING="true",
        PARLEY_DELIVERY_PACING_BASE_S="5",
        PARLEY_DELIVERY_PACING_JITTER="0",
    )
    said = await stack.buyer_says("How much?")
    reply = command(pacing=replies_pb2.REPLY_PACING_HUMAN, in_reply_to_at=said)
    await stack.publish(reply)

    async def typing() -> bool:
        thread = await stack.op("GET", f"/threads/{PAGE_ID}/{PSID}")
        return any(i.get("sender_action") == "typing_on" for i in thread["items"])

    await stack.until(typing, what="the typing indicator")
    started = time.monotonic()
    await stack.buyer_says("Actually, is it red?")
    row = await stack.settled(reply.idempotency_key)
    assert row["state"] == "superseded"
    assert time.monotonic() - started < 3  # woken at once, not after its 5 s pace
    assert await stack.sent_for(reply.idempotency_key) == []
    (dropped,) = await stack.events("reply_dropped")
    assert events.ReplyDropped.FromString(dropped[1]).outcome == events.REPLY_OUTCOME_SUPERSEDED


async def test_thousands_of_paced_replies_wait_at_once_without_blocking_others(
    stack: Stack,
) -> None:
    delivery = await stack.restart(
        PARLEY_DELIVERY_PACING="true",
        PARLEY_DELIVERY_PACING_BASE_S="20",
        PARLEY_DELIVERY_PACING_CAP_S="20",
        PARLEY_DELIVERY_PACING_JITTER="0",
    )
    # 2,000 conversations on a second Page, each with a reply waiting out a 20 s pace (their
    # buyers' windows written directly: opening 2,000 threads through webhooks adds nothing).
    buyers = [f"9{i:015d}" for i in range(2000)]
    await stack.pool.executemany(
        "INSERT INTO windows (page_id, psid, last_action_at, last_message_at) "
        "VALUES ($1, $2, now(), now())",
        [(PAGE_2, psid) for psid in buyers],
    )
    for psid in buyers:
        paced = command(psid=psid, pacing=replies_pb2.REPLY_PACING_HUMAN, page_id=PAGE_2)
        await stack.publish(paced)

    async def all_waiting() -> bool:
        return delivery.replies.in_flight >= len(buyers)

    await stack.until(all_waiting, what="every paced reply in flight", timeout=20)
    await stack.buyer_says()
    instant = command()
    started = time.monotonic()
    await stack.publish(instant)
    assert (await stack.settled(instant.idempotency_key))["state"] == "sent"
    assert time.monotonic() - started < 1.0
    assert delivery.replies.in_flight >= len(buyers)
