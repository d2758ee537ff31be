"""Inbound events in, reply commands out: real PostgreSQL, JetStream and gRPC."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import grpc
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from parley.events.v1 import inbound_pb2 as inbound
from parley.events.v1 import negotiation_pb2 as events
from parley.events.v1 import replies_pb2 as replies
from parley.events.v1 import tenants_pb2 as tenant_events
from parley.negotiation.v1 import negotiation_pb2 as npb
from parley.tenants.v1 import tenants_pb2 as pb
from parley_kit import payloads
from parley_negotiation.adapters.money import to_major, to_minor

from .conftest import BUYER, PAGE_ID, Service

pytestmark = pytest.mark.integration
INBOX = "263902037430900"


def text(body: str, mid: str = "m") -> inbound.MessageReceived:
    return inbound.MessageReceived(mid=mid, text=body)


async def say(service: Service, body: str, handled: int, **fields: object) -> None:
    await service.publish(service.event("message", body=text(body), **fields))  # type: ignore[arg-type]
    await service.settle(handled)


async def test_get_started_from_an_m_me_link_greets_with_the_listing(
    service: Service, spans: InMemorySpanExporter
) -> None:
    postback = inbound.PostbackReceived(
        payload=payloads.GET_STARTED,
        title="Get Started",
        referral=inbound.Referral(ref="corolla-2015", source="SHORTLINK"),
    )
    await service.publish(service.event("postback", body=postback))
    [command] = await service.replies(1)
    assert command.page_id == PAGE_ID and command.recipient_id == BUYER
    assert command.conversation_id == f"{PAGE_ID}-{BUYER}" and command.seller_id == "seller-1"
    assert "Corolla" in command.message.text and len(command.message.text) <= 640
    assert command.message.metadata.startswith("parley:")
    assert command.pacing == replies.REPLY_PACING_INSTANT
    assert command.author == replies.REPLY_AUTHOR_BOT and command.trace_context.traceparent
    got = await service.stub().GetConversation(
        npb.GetConversationRequest(conversation_id=command.conversation_id)
    )
    conversation = got.conversation
    assert conversation.listing_id == "l-corolla" and conversation.asking_minor == 850_000
    assert [line.author for line in conversation.transcript] == ["buyer", "bot"]


async def test_an_offer_gets_a_counter_above_the_floor_and_the_state_remembers_it(
    service: Service,
) -> None:
    await say(service, "would you take 7500 cash?", 1)
    [command] = await service.replies(1)
    conversation = (
        await service.stub().GetConversation(
            npb.GetConversationRequest(conversation_id=command.conversation_id)
        )
    ).conversation
    assert conversation.last_offer_minor == 750_000
    [counter] = conversation.counters_minor
    assert 760_000 <= counter < 850_000 and conversation.concessions_used == 1
    assert f"{counter // 100:,}" in command.message.text
    assert command.in_reply_to_event_id and command.HasField("in_reply_to_at")


async def test_a_redelivered_event_is_answered_once(service: Service) -> None:
    event = service.event("message", body=text("is this still available?"))
    await service.publish(event, msg_id="first")
    await service.publish(event, msg_id="second")  # past JetStream's de-duplication
    await service.settle(2)
    assert len(await service.all_replies()) == 1
    assert service.negotiation.handler.outcomes.get("duplicate") == 1


async def test_a_paused_page_stays_silent_but_keeps_the_transcript(service: Service) -> None:
    service.tenants.page_status = pb.PAGE_STATUS_PAUSED
    await say(service, "hello, still available?", 1)
    assert await service.all_replies() == []
    got = await service.stub().GetConversation(
        npb.GetConversationRequest(conversation_id=f"{PAGE_ID}-{BUYER}")
    )
    assert [line.text for line in got.conversation.transcript] == ["hello, still available?"]


async def test_a_page_paused_after_it_was_cached_goes_quiet_at_once(service: Service) -> None:
    await say(service, "hi", 1)
    assert len(await service.replies(1)) == 1
    service.tenants.page_status = pb.PAGE_STATUS_PAUSED
    await service.tenants_event(
        "page_paused", tenant_events.PagePaused(page_id=PAGE_ID, seller_id="seller-1")
    )
    await say(service, "hello?", 2)
    assert len(await service.all_replies()) == 1


async def test_the_kill_switch_silences_every_page(service: Service) -> None:
    service.tenants.killed = True
    await say(service, "hi there", 1)
    assert await service.all_replies() == []


async def test_asking_for_a_person_hands_the_thread_to_the_inbox_until_it_comes_back(
    service: Service,
) -> None:
    await say(service, "can I talk to a real person please", 1)
    [handover] = await service.replies(1)
    assert handover.thread_action == replies.THREAD_ACTION_PASS_TO_INBOX
    cid = handover.conversation_id
    stub = service.stub()
    got = await stub.GetConversation(npb.GetConversationRequest(conversation_id=cid))
    assert got.conversation.state == npb.CONVERSATION_STATE_HUMAN
    await say(service, "hello??", 2)
    assert len(await service.all_replies()) == 1  # the person answers, not the bot
    passed = inbound.ThreadControlPassed(previous_owner_app_id=INBOX, new_owner_app_id="1300")
    await service.publish(service.event("pass_thread_control", body=passed))
    await service.settle(3)
    resumed = (await service.replies(2))[1]
    assert "automated assistant" in resumed.message.text
    got = await stub.GetConversation(npb.GetConversationRequest(conversation_id=cid))
    assert got.conversation.state == npb.CONVERSATION_STATE_BOT


async def test_a_seller_answering_from_the_page_inbox_pauses_the_bot(service: Service) -> None:
    await say(service, "hi", 1)
    echo = inbound.MessageEchoed(mid="e1", text="Hi, Dana here", app_id=INBOX, buyer_id=BUYER)
    await service.publish(service.event("echo", body=echo, sender=PAGE_ID))
    await service.settle(2)
    await say(service, "ok, 7500?", 3)
    assert len(await service.all_replies()) == 1
    got = await service.stub().GetConversation(
        npb.GetConversationRequest(conversation_id=f"{PAGE_ID}-{BUYER}")
    )
    assert got.conversation.state == npb.CONVERSATION_STATE_HUMAN
    assert [line.author for line in got.conversation.transcript] == [
        "buyer",
        "bot",
        "human",
        "buyer",
    ]


async def test_our_own_echoes_are_not_mistaken_for_a_person(service: Service) -> None:
    await say(service, "hi", 1)
    [command] = await service.replies(1)
    echo = inbound.MessageEchoed(
        mid="e2",
        text=command.message.text,
        app_id="1300",
        metadata=command.message.metadata,
        buyer_id=BUYER,
    )
    await service.publish(service.event("echo", body=echo, sender=PAGE_ID))
    await service.settle(2)
    assert service.negotiation.handler.outcomes.get("own_echo") == 1
    got = await service.stub().GetConversation(
        npb.GetConversationRequest(conversation_id=command.conversation_id)
    )
    assert got.conversation.state == npb.CONVERSATION_STATE_BOT


async def test_take_over_and_resume_move_the_thread(service: Service) -> None:
    await say(service, "hi", 1)
    cid = f"{PAGE_ID}-{BUYER}"
    stub = service.stub()
    taken = await stub.TakeOverConversation(
        npb.TakeOverConversationRequest(conversation_id=cid, reason="I'll handle this one")
    )
    assert taken.conversation.state == npb.CONVERSATION_STATE_HUMAN
    back = await stub.ResumeConversation(npb.ResumeConversationRequest(conversation_id=cid))
    assert back.conversation.state == npb.CONVERSATION_STATE_BOT
    commands = await service.replies(3)
    assert [c.thread_action for c in commands[1:]] == [
        replies.THREAD_ACTION_PASS_TO_INBOX,
        replies.THREAD_ACTION_TAKE_BACK,
    ]
    assert commands[1].thread_reason == "I'll handle this one" and not commands[1].message.text
    assert "automated" in commands[2].message.text


async def test_rights_are_checked_per_rpc(service: Service) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await service.stub("delivery").ListConversations(
            npb.ListConversationsRequest(page_id=PAGE_ID)
        )
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await service.stub().GetConversation(npb.GetConversationRequest(conversation_id="nope"))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


async def test_conversations_are_listed_by_state_page_by_page(service: Service) -> None:
    for index, buyer in enumerate(["7001", "7002", "7003"], start=1):
        await say(service, "hi", index, sender=buyer)
    stub = service.stub()
    await stub.TakeOverConversation(
        npb.TakeOverConversationRequest(conversation_id=f"{PAGE_ID}-7002")
    )
    first = await stub.ListConversations(npb.ListConversationsRequest(page_id=PAGE_ID, page_size=2))
    second = await stub.ListConversations(
        npb.ListConversationsRequest(page_id=PAGE_ID, page_size=2, page_token=first.next_page_token)
    )
    ids = [c.conversation_id for c in [*first.conversations, *second.conversations]]
    assert sorted(ids) == [f"{PAGE_ID}-7001", f"{PAGE_ID}-7002", f"{PAGE_ID}-7003"]
    assert second.next_page_token == ""
    human = await stub.ListConversations(
        npb.ListConversationsRequest(page_id=PAGE_ID, state=npb.CONVERSATION_STATE_HUMAN)
    )
    assert [c.conversation_id for c in human.conversations] == [f"{PAGE_ID}-7002"]


async def test_an_older_event_arriving_late_is_stored_not_answered(service: Service) -> None:
    now = service.clock()
    newer = service.event("message", body=text("second message"), at=now - timedelta(seconds=1))
    older = service.event("message", body=text("first message"), at=now - timedelta(seconds=5))
    await service.publish(newer)
    await service.settle(1)
    await service.publish(older)
    await service.settle(2)
    assert len(await service.all_replies()) == 1
    got = await service.stub().GetConversation(
        npb.GetConversationRequest(conversation_id=f"{PAGE_ID}-{BUYER}")
    )
    inbound_lines = [line.text for line in got.conversation.transcript if line.author == "buyer"]
    assert inbound_lines == ["first message", "second message"]


async def test_a_comment_asking_about_the_listing_gets_one_private_reply(service: Service) -> None:
    comment = inbound.FeedCommentChanged(
        comment_id="555_1",
        post_id=f"{PAGE_ID}_555",
        verb=inbound.FEED_VERB_ADD,
        message="how much? interested",
        from_id="42",
    )
    comment.created_at.FromDatetime(service.clock())
    await service.publish(service.event("feed_comment", body=comment, sender="42"))
    again = service.event("feed_comment", body=comment, sender="42")
    await service.publish(again)
    other = inbound.FeedCommentChanged(
        comment_id="555_2",
        post_id=f"{PAGE_ID}_555",
        verb=inbound.FEED_VERB_ADD,
        message="nice car bro 👍",
        from_id="43",
    )
    other.created_at.FromDatetime(service.clock())
    await service.publish(service.event("feed_comment", body=other, sender="43"))
    await service.settle(3)
    [invite] = await service.all_replies()
    assert invite.comment_id == "555_1" and not invite.recipient_id
    assert "m.me/" in invite.message.text and "ref=corolla-2015" in invite.message.text
    assert service.negotiation.handler.outcomes.get("already_replied") == 1


async def test_a_deletion_request_forgets_the_page_s_conversations(service: Service) -> None:
    await say(service, "hi", 1)
    request = tenant_events.UserDataDeletionRequested(
        facebook_user_id="1000", confirmation_code="c1", page_ids=[PAGE_ID]
    )
    await service.js.publish(
        f"{service.settings.tenants_prefix}.user_data_deletion_requested",
        request.SerializeToString(),
    )
    async with asyncio.timeout(10):
        while await service.negotiation.pool.fetchval("SELECT count(*) FROM conversations"):
            await asyncio.sleep(0.05)
    assert await service.negotiation.pool.fetchval("SELECT count(*) FROM transcript") == 0


async def test_preview_runs_the_listing_s_rules_without_storing(service: Service) -> None:
    answer = await service.stub().Preview(
        npb.PreviewRequest(
            listing_id="l-corolla",
            messages=["is it available?", "would you take 6000", "ok 7,900?"],
            rules=npb.PreviewRules(tone="firm"),
        )
    )
    assert [t.message for t in answer.turns] == [
        "is it available?",
        "would you take 6000",
        "ok 7,900?",
    ]
    assert answer.turns[1].offer_minor == 600_000
    assert all(not t.HasField("price_minor") or t.price_minor >= 760_000 for t in answer.turns)
    assert await service.negotiation.pool.fetchval("SELECT count(*) FROM conversations") == 0
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await service.stub().Preview(
            npb.PreviewRequest(
                listing_id="l-corolla", messages=["hi"], rules=npb.PreviewRules(floor_minor=900_000)
            )
        )
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "price_floor" in (bad.value.details() or "")


def test_money_round_trips_through_minor_units() -> None:
    assert to_minor(Decimal("8500"), "USD") == 850_000 and to_major(850_000, "USD") == 8500
    assert to_minor(Decimal("150000"), "THB") == 15_000_000 and to_major(5000, "JPY") == 5000


async def test_garbage_on_the_bus_is_dead_lettered_and_the_next_event_still_answered(
    service: Service,
) -> None:
    subject = f"{service.settings.inbound_prefix}.{PAGE_ID}.message"
    await service.js.publish(subject, b"\xff\x00 not protobuf", headers={"Nats-Msg-Id": "junk"})
    await say(service, "is it still available?", 1)
    assert len(await service.replies(1)) == 1
    dead = await service.js.stream_info("PARLEY_DLQ")
    assert dead.state.messages >= 1


async def test_each_turn_and_each_handover_is_an_event_for_analytics(service: Service) -> None:
    await say(service, "hi", 1)
    await say(service, "would you take 7500 cash?", 2)
    await say(service, "can I talk to a real person", 3)
    turns = [events.TurnDecided.FromString(p) for p in await service.events("turn_decided")]
    assert [t.conversation_started for t in turns] == [True, False, False]
    offer = turns[1]
    assert (offer.action, offer.offer_minor, offer.currency) == ("counter", 750_000, "USD")
    assert 760_000 <= offer.price_minor < 850_000
    assert (offer.asking_minor, offer.floor_minor) == (850_000, 760_000)
    assert offer.buyer_at.ToDatetime() <= offer.decided_at.ToDatetime()
    assert turns[2].action == "handover"
    [changed] = [
        events.ConversationStateChanged.FromString(p)
        for p in await service.events("conversation_state_changed")
    ]
    assert (changed.previous_state, changed.state) == ("bot", "human") and changed.reason
