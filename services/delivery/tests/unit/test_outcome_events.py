"""Outcome events as analytics reads them: the reply header says which buyer message it answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from parley.events.v1 import delivery_pb2 as pb
from parley_delivery.adapters.events import to_proto
from parley_delivery.domain.events import ReplySent
from parley_delivery.domain.model import Author, Content, Reply

DECIDED = datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC)


def reply(answered: datetime | None) -> Reply:
    return Reply(
        idempotency_key="ev-1:reply",
        page_id="100",
        author=Author.BOT,
        content=Content(text="Yes, it is available."),
        decided_at=DECIDED,
        recipient_id="7000",
        conversation_id="100-7000",
        seller_id="seller-1",
        in_reply_to_at=answered,
    )


def test_reply_sent_carries_the_time_of_the_buyer_message_it_answers() -> None:
    answered = DECIDED - timedelta(milliseconds=850)
    sent_at = DECIDED + timedelta(seconds=2)
    event = to_proto(ReplySent(reply(answered), ("m1",), "RESPONSE", "", 1, sent_at), "e1", sent_at)
    assert isinstance(event, pb.ReplySent)
    assert event.reply.in_reply_to_at.ToDatetime(UTC) == answered
    assert event.reply.decided_at.ToDatetime(UTC) == DECIDED
    assert event.latency_ms == 2000


def test_a_reply_that_answers_no_buyer_message_leaves_it_unset() -> None:
    event = to_proto(ReplySent(reply(None), ("m1",), "RESPONSE", "", 1, DECIDED), "e1", DECIDED)
    assert isinstance(event, pb.ReplySent)
    assert not event.reply.HasField("in_reply_to_at")
