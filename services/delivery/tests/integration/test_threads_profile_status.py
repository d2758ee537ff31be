"""Thread control, the Page profile, statuses from delivery and read webhooks, caller rights."""

from __future__ import annotations

import grpc
import pytest

from parley.delivery.v1 import delivery_pb2 as api
from parley.delivery.v1.delivery_pb2_grpc import DeliveryServiceStub
from parley.events.v1 import delivery_pb2 as events
from parley.events.v1 import replies_pb2
from parley_delivery.domain.model import PAGE_INBOX_APP_ID
from parley_emulator.testing import APP_ID, PAGE_ID, PSID
from parley_kit import payloads
from parley_kit.grpc_client import open_channel

from .conftest import Stack, command

pytestmark = pytest.mark.integration


async def owner(stack: Stack) -> str:
    thread = await stack.op("GET", f"/threads/{PAGE_ID}/{PSID}")
    return str(thread["owner_app_id"])


async def test_a_reply_that_hands_over_is_sent_then_the_thread_goes_to_the_page_inbox(
    stack: Stack,
) -> None:
    await stack.buyer_says("I want to talk to a person")
    reply = command(
        text="Let me get Sam for you.",
        thread_action=replies_pb2.THREAD_ACTION_PASS_TO_INBOX,
        thread_reason="buyer asked for a person",
    )
    await stack.publish(reply)
    row = await stack.settled(reply.idempotency_key)
    assert row["state"] == "sent" and row["thread_done"]
    assert await owner(stack) == PAGE_INBOX_APP_ID
    (moved,) = await stack.events("thread_passed")
    event = events.ThreadControlMoved.FromString(moved[1])
    assert event.action == replies_pb2.THREAD_ACTION_PASS_TO_INBOX
    assert event.owner_app_id == PAGE_INBOX_APP_ID and event.reason == "buyer asked for a person"
    # The bot's next reply would reach a thread a human owns: recorded, not retried.
    late = command()
    await stack.publish(late)
    assert (await stack.settled(late.idempotency_key))["state"] == "handed_over"


async def test_a_command_that_only_moves_the_thread_sends_nothing(stack: Stack) -> None:
    await stack.buyer_says()
    reply = command(text="", thread_action=replies_pb2.THREAD_ACTION_PASS_TO_INBOX)
    await stack.publish(reply)
    row = await stack.settled(reply.idempotency_key)
    assert row["state"] == "no_message" and await owner(stack) == PAGE_INBOX_APP_ID
    assert await stack.sent() == []
    take = command(text="", thread_action=replies_pb2.THREAD_ACTION_TAKE_BACK)
    await stack.publish(take)
    await stack.settled(take.idempotency_key)
    assert await owner(stack) == APP_ID


async def test_the_takeover_rpcs_pass_take_and_report_the_owner(stack: Stack) -> None:
    await stack.buyer_says()
    stub = stack.stub("negotiation")
    passed = await stub.PassThreadControl(
        api.PassThreadControlRequest(page_id=PAGE_ID, recipient_id=PSID, reason="takeover")
    )
    assert passed.owner_app_id == PAGE_INBOX_APP_ID == await owner(stack)
    found = await stub.GetThreadOwner(api.GetThreadOwnerRequest(page_id=PAGE_ID, recipient_id=PSID))
    assert found.with_page_inbox and not found.with_parley
    taken = await stub.TakeThreadControl(
        api.TakeThreadControlRequest(page_id=PAGE_ID, recipient_id=PSID, reason="bot resumes")
    )
    assert taken.owner_app_id == APP_ID == await owner(stack)
    found = await stub.GetThreadOwner(api.GetThreadOwnerRequest(page_id=PAGE_ID, recipient_id=PSID))
    assert found.with_parley
    assert len(await stack.events("thread_passed")) == len(await stack.events("thread_taken")) == 1


async def test_a_page_profile_is_built_from_settings_and_applied_once(stack: Stack) -> None:
    request = api.SetUpPageProfileRequest(
        page_id=PAGE_ID,
        settings=api.ProfileSettings(
            languages=["en", "th"],
            page_name="Test Shop",
            human_takeover_enabled=True,
            offers_enabled=True,
        ),
    )
    stub = stack.stub("tenants")
    first = await stub.SetUpPageProfile(request)
    assert first.applied and not first.unchanged
    profile = stack.emulator.world.pages[PAGE_ID].profile
    assert profile["get_started"] == {"payload": payloads.GET_STARTED}
    assert [g["locale"] for g in profile["greeting"]] == ["default", "th_TH"]
    items = profile["persistent_menu"][0]["call_to_actions"]
    assert [i["payload"] for i in items] == [
        payloads.VIEW_DETAILS,
        payloads.MAKE_OFFER,
        payloads.TALK_TO_PERSON,
    ]
    calls = (await stack.op("GET", "/stats"))["graph_calls"]
    again = await stub.SetUpPageProfile(request)
    assert again.applied and again.unchanged
    assert (await stack.op("GET", "/stats"))["graph_calls"] == calls
    assert len(await stack.events("profile_applied")) == 1


async def test_the_profile_api_rate_limit_is_kept(stack: Stack) -> None:
    await stack.restart(PARLEY_DELIVERY_PROFILE_CALLS="2")
    stub = stack.stub("operator")
    request = api.SetUpPageProfileRequest(page_id=PAGE_ID, force=True)
    await stub.SetUpPageProfile(request)
    await stub.SetUpPageProfile(request)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.SetUpPageProfile(request)
    assert raised.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "try again" in (raised.value.details() or "")
    stats = await stack.op("GET", "/stats")
    assert "613" not in stats["errors_by_code"]


async def test_delivery_and_read_webhooks_update_each_message_status(stack: Stack) -> None:
    await stack.op("PUT", "/config", json={"delivery_delay_s": 0.05, "read_delay_s": 0.1})
    await stack.buyer_says()
    reply = command()
    await stack.publish(reply)
    await stack.settled(reply.idempotency_key)
    request = api.ListOutboundMessagesRequest(page_id=PAGE_ID, recipient_id=PSID)

    async def read() -> bool:
        log = await stack.stub("gateway").ListOutboundMessages(request)
        return bool(log.replies) and log.replies[0].messages[0].status == api.MESSAGE_STATUS_READ

    await stack.until(read, what="the read receipt")
    (message,) = (await stack.stub().ListOutboundMessages(request)).replies[0].messages
    assert message.delivered_at.ToDatetime() <= message.read_at.ToDatetime()
    assert message.sent_at.ToDatetime() <= message.delivered_at.ToDatetime()


async def test_the_outbound_log_pages_through_a_conversation(stack: Stack) -> None:
    await stack.buyer_says()
    keys = []
    for _ in range(3):
        reply = command()
        await stack.publish(reply)
        await stack.settled(reply.idempotency_key)
        keys.append(reply.idempotency_key)
    stub = stack.stub("negotiation")
    first = await stub.ListOutboundMessages(
        api.ListOutboundMessagesRequest(page_id=PAGE_ID, recipient_id=PSID, page_size=2)
    )
    second = await stub.ListOutboundMessages(
        api.ListOutboundMessagesRequest(
            page_id=PAGE_ID, recipient_id=PSID, page_size=2, page_token=first.next_page_token
        )
    )
    assert [r.idempotency_key for r in (*first.replies, *second.replies)] == keys[::-1]
    assert second.next_page_token == ""


async def test_each_caller_may_call_only_its_rpcs(stack: Stack) -> None:
    human = api.SendAsHumanRequest(
        page_id=PAGE_ID, recipient_id=PSID, text="hi", idempotency_key="k"
    )
    for caller in ("negotiation", "tenants"):
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await stack.stub(caller).SendAsHuman(human)
        assert raised.value.code() is grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stack.stub("negotiation").SetUpPageProfile(
            api.SetUpPageProfileRequest(page_id=PAGE_ID)
        )
    assert raised.value.code() is grpc.StatusCode.PERMISSION_DENIED
    address = f"127.0.0.1:{stack.delivery.server.port}"
    async with open_channel(address, caller_token="not-a-known-token-0000000") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await DeliveryServiceStub(channel).GetWindowStatus(
                api.GetWindowStatusRequest(page_id=PAGE_ID, recipient_id=PSID)
            )
    assert raised.value.code() is grpc.StatusCode.UNAUTHENTICATED
