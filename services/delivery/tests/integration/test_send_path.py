"""The send path: a reply command goes out once, through the Send API, recorded with its event."""

from __future__ import annotations

import asyncio

import pytest

from parley.delivery.v1 import delivery_pb2 as api
from parley.events.v1 import delivery_pb2 as events
from parley.events.v1 import replies_pb2
from parley_emulator.testing import APP_SECRET, PAGE_ID, PAGE_TOKEN, PSID
from parley_kit.graph import appsecret_proof

from .conftest import Stack, command

pytestmark = pytest.mark.integration


async def test_a_reply_command_is_sent_once_as_a_response(stack: Stack) -> None:
    await stack.buyer_says()
    reply = command(text="Yes, the bike is still available.")
    await stack.publish(reply)
    row = await stack.settled(reply.idempotency_key)
    assert row["state"] == "sent" and row["messaging_type"] == "RESPONSE" and row["tag"] == ""
    (item,) = await stack.sent_for(reply.idempotency_key)
    assert item["text"] == "Yes, the bike is still available."
    assert item["messaging_type"] == "RESPONSE" and item.get("tag") is None
    (sent_event,) = await stack.events("reply_sent")
    subject, payload = sent_event
    assert subject == f"{stack.settings.streams.events_prefix}.{PAGE_ID}.reply_sent"
    sent = events.ReplySent.FromString(payload)
    assert sent.reply.idempotency_key == reply.idempotency_key
    assert list(sent.message_ids) == [item["mid"]] == list(row["message_ids"])


async def test_every_call_carries_the_apps_proof(stack: Stack) -> None:
    # The emulator's app requires appsecret_proof: a send without it is refused (code 100).
    assert stack.emulator.world.apps[stack.settings.graph.app_id].require_proof
    assert appsecret_proof(PAGE_TOKEN, APP_SECRET)
    await stack.buyer_says()
    reply = command()
    await stack.publish(reply)
    assert (await stack.settled(reply.idempotency_key))["state"] == "sent"


async def test_redelivered_and_replayed_commands_never_send_twice(stack: Stack) -> None:
    await stack.buyer_says()
    reply = command()
    await stack.publish(reply, msg_id="outbox-1")
    await stack.publish(reply, msg_id="outbox-1")  # the relay publishing again: de-duplicated
    await stack.settled(reply.idempotency_key)
    for replay in range(3):  # replays past the duplicate window: new stream messages
        await stack.publish(reply, msg_id=f"replay-{replay}")
    await _consumed(stack)
    assert len(await stack.sent_for(reply.idempotency_key)) == 1
    assert len(await stack.events("reply_sent")) == 1


async def _consumed(stack: Stack) -> None:
    spec = stack.delivery.replies.spec

    async def idle() -> bool:
        info = await stack.js.consumer_info(spec.stream, spec.durable)
        return info.num_pending == 0 and info.num_ack_pending == 0

    await stack.until(idle, what="the reply consumer to be idle")


async def test_a_long_reply_is_split_at_sentence_boundaries(stack: Stack) -> None:
    await stack.buyer_says()
    sentences = [f"This is sentence {i} about the bike and its many features." for i in range(60)]
    reply = command(text=" ".join(sentences))
    await stack.publish(reply)
    row = await stack.settled(reply.idempotency_key)
    items = await stack.sent_for(reply.idempotency_key)
    assert row["state"] == "sent" and len(items) == 2 == len(row["message_ids"])
    assert all(len(item["text"]) <= 2000 and item["text"].endswith(".") for item in items)
    assert " ".join(item["text"] for item in items) == " ".join(sentences)
    log = await stack.stub("negotiation").ListOutboundMessages(
        api.ListOutboundMessagesRequest(page_id=PAGE_ID, recipient_id=PSID)
    )
    (logged,) = log.replies
    assert logged.outcome == events.REPLY_OUTCOME_SENT
    assert [m.message_id for m in logged.messages] == [item["mid"] for item in items]
    assert [m.part for m in logged.messages] == [0, 1]


async def test_quick_replies_templates_and_attachments_go_out(stack: Stack) -> None:
    await stack.buyer_says()
    rich = [
        replies_pb2.ReplyMessage(
            text="Would you take 8,000?",
            quick_replies=[replies_pb2.QuickReply(title="Yes", payload="ACCEPT:8000")],
        ),
        replies_pb2.ReplyMessage(
            text="Want to see it?",
            buttons=[replies_pb2.Button(title="Book a viewing", payload="BOOK_VIEWING")],
        ),
        replies_pb2.ReplyMessage(
            text="2015 Corolla",
            attachment_url="https://cdn.example/c.jpg",
            buttons=[replies_pb2.Button(title="Details", url="https://example.com/c")],
        ),
        replies_pb2.ReplyMessage(
            attachment_url="https://cdn.example/c.jpg",
            attachment_kind=replies_pb2.ATTACHMENT_KIND_IMAGE,
        ),
    ]
    keys = []
    for message in rich:
        reply = command()
        reply.message.CopyFrom(message)
        keys.append(reply.idempotency_key)
        await stack.publish(reply)
    kinds = []
    for key in keys:
        assert (await stack.settled(key))["state"] == "sent"
        (item,) = await stack.sent_for(key)
        kinds.append(item["kind"])
    assert kinds == ["text", "template", "template", "attachment"]


async def test_a_private_reply_answers_a_comment_once(stack: Stack) -> None:
    comment = await stack.op(
        "POST",
        f"/buyers/{PSID}/messages",
        json={"comment": {"message": "How much?"}, "page_id": PAGE_ID},
    )

    async def recorded() -> bool:
        return bool(
            await stack.pool.fetchval(
                "SELECT 1 FROM comments WHERE comment_id = $1", comment["comment_id"]
            )
        )

    await stack.until(recorded, what="the comment")
    first = command(text="Sent you a message!", psid="", comment_id=comment["comment_id"])
    second = command(text="Again!", psid="", comment_id=comment["comment_id"])
    await stack.publish(first)
    assert (await stack.settled(first.idempotency_key))["state"] == "sent"
    await stack.publish(second)
    row = await stack.settled(second.idempotency_key)
    assert row["state"] == "refused"
    (refused,) = await stack.events("reply_refused")
    assert events.ReplyRefused.FromString(refused[1]).rule == (
        events.POLICY_RULE_COMMENT_ALREADY_ANSWERED
    )
    private = [i for i in await stack.sent() if i.get("comment_id") == comment["comment_id"]]
    assert len(private) == 1


async def test_conversations_do_not_wait_for_each_other(stack: Stack) -> None:
    psids = [f"50000000000001{i:02d}" for i in range(10, 20)]
    for psid in psids:
        await stack.buyer_says(psid=psid)
    replies = [command(psid=psid) for psid in psids]
    await asyncio.gather(*(stack.publish(reply) for reply in replies))
    for reply in replies:
        assert (await stack.settled(reply.idempotency_key))["state"] == "sent"


async def test_a_malformed_command_is_dead_lettered_and_the_others_go_on(stack: Stack) -> None:
    spec = stack.delivery.replies.spec
    dead = await stack.js.subscribe(spec.dead_letter_subject)
    await stack.buyer_says()
    subject = f"{stack.settings.streams.replies_prefix}.{PAGE_ID}"
    await stack.js.publish(subject, b"\xff not a reply command", headers={"Nats-Msg-Id": "junk"})
    reply = command()
    await stack.publish(reply)
    assert (await stack.settled(reply.idempotency_key))["state"] == "sent"
    letter = await dead.next_msg(timeout=5)
    assert letter.data == b"\xff not a reply command"
    assert (letter.headers or {})["Parley-Reason"].startswith("poison")
    await dead.unsubscribe()
