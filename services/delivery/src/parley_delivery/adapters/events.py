"""Domain events as `parley.events.v1` protobuf, stored in the outbox with their change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from parley.events.v1 import delivery_pb2 as pb
from parley.events.v1 import replies_pb2
from parley_delivery.domain.events import (
    Event,
    ProfileApplied,
    ReplyDropped,
    ReplyRefused,
    ReplySent,
    ThreadMoved,
    TokenRejected,
)
from parley_delivery.domain.model import Author, Outcome, PolicyRule, Reply, ThreadMove
from parley_kit import tracing
from parley_kit.db import PoolConnection
from parley_kit.outbox import add_event, new_event_id

SUBJECT_PREFIX = "parley.delivery"
STREAM = "PARLEY_DELIVERY"

AUTHORS = {Author.BOT: replies_pb2.REPLY_AUTHOR_BOT, Author.HUMAN: replies_pb2.REPLY_AUTHOR_HUMAN}
MOVES = {
    ThreadMove.NONE: replies_pb2.THREAD_ACTION_UNSPECIFIED,
    ThreadMove.PASS_TO_INBOX: replies_pb2.THREAD_ACTION_PASS_TO_INBOX,
    ThreadMove.TAKE_BACK: replies_pb2.THREAD_ACTION_TAKE_BACK,
}
OUTCOMES = {
    Outcome.SENDING: pb.REPLY_OUTCOME_UNSPECIFIED,
    Outcome.SENT: pb.REPLY_OUTCOME_SENT,
    Outcome.REFUSED: pb.REPLY_OUTCOME_REFUSED,
    Outcome.SUPERSEDED: pb.REPLY_OUTCOME_SUPERSEDED,
    Outcome.HANDED_OVER: pb.REPLY_OUTCOME_HANDED_OVER,
    Outcome.UNAVAILABLE: pb.REPLY_OUTCOME_RECIPIENT_UNAVAILABLE,
    Outcome.REJECTED: pb.REPLY_OUTCOME_REJECTED,
    Outcome.EXPIRED: pb.REPLY_OUTCOME_EXPIRED,
    Outcome.NO_MESSAGE: pb.REPLY_OUTCOME_NO_MESSAGE,
}
RULES = {
    PolicyRule.BOT_WINDOW_CLOSED: pb.POLICY_RULE_BOT_WINDOW_CLOSED,
    PolicyRule.HUMAN_WINDOW_CLOSED: pb.POLICY_RULE_HUMAN_WINDOW_CLOSED,
    PolicyRule.PAGE_BLOCKED: pb.POLICY_RULE_PAGE_BLOCKED,
    PolicyRule.COMMENT_TOO_OLD: pb.POLICY_RULE_COMMENT_TOO_OLD,
    PolicyRule.COMMENT_ALREADY_ANSWERED: pb.POLICY_RULE_COMMENT_ALREADY_ANSWERED,
    PolicyRule.OUTSIDE_WINDOW_PER_META: pb.POLICY_RULE_OUTSIDE_WINDOW_PER_META,
}

ProtoEvent = (
    pb.ReplySent
    | pb.ReplyRefused
    | pb.ReplyDropped
    | pb.ThreadControlMoved
    | pb.PageTokenRejected
    | pb.PageProfileApplied
)


@dataclass(frozen=True)
class OutboxEntry:
    """An event ready for the outbox table: id, subject, payload, trace headers."""

    event_id: str
    subject: str
    payload: bytes
    headers: dict[str, str]


def kind_of(event: Event) -> str:
    """The last token of the event's subject."""
    match event:
        case ReplySent():
            return "reply_sent"
        case ReplyRefused():
            return "reply_refused"
        case ReplyDropped():
            return "reply_dropped"
        case ThreadMoved():
            return "thread_passed" if event.move is ThreadMove.PASS_TO_INBOX else "thread_taken"
        case TokenRejected():
            return "token_invalid"
        case ProfileApplied():
            return "profile_applied"


def page_of(event: Event) -> str:
    """The Page an event is about (its subject's second-to-last token)."""
    match event:
        case ReplySent() | ReplyRefused() | ReplyDropped():
            return event.reply.page_id
        case ThreadMoved() | TokenRejected() | ProfileApplied():
            return event.page_id


def subject_of(event: Event, prefix: str = SUBJECT_PREFIX) -> str:
    """`parley.delivery.<page id>.<kind>`."""
    return f"{prefix}.{page_of(event)}.{kind_of(event)}"


def timestamp(value: datetime | None) -> Timestamp | None:
    """A protobuf timestamp (None stays unset)."""
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def header(reply: Reply) -> pb.ReplyHeader:
    """The reply an event is about."""
    return pb.ReplyHeader(
        idempotency_key=reply.idempotency_key,
        page_id=reply.page_id,
        recipient_id=reply.recipient_id,
        comment_id=reply.comment_id,
        conversation_id=reply.conversation_id,
        seller_id=reply.seller_id,
        author=AUTHORS[reply.author],
        decided_at=timestamp(reply.decided_at),
        in_reply_to_at=timestamp(reply.in_reply_to_at),
    )


def _body(event: Event) -> ProtoEvent:
    match event:
        case ReplySent():
            latency = (event.sent_at - event.reply.decided_at).total_seconds() * 1000
            return pb.ReplySent(
                reply=header(event.reply),
                message_ids=list(event.message_ids),
                messaging_type=event.messaging_type,
                tag=event.tag,
                attempts=event.attempts,
                sent_at=timestamp(event.sent_at),
                latency_ms=max(0, round(latency)),
            )
        case ReplyRefused():
            return pb.ReplyRefused(
                reply=header(event.reply),
                rule=RULES[event.rule],
                last_buyer_action_at=timestamp(event.measured_from),
                detail=event.detail,
            )
        case ReplyDropped():
            return pb.ReplyDropped(
                reply=header(event.reply),
                outcome=OUTCOMES[event.outcome],
                detail=event.detail,
                graph_code=event.graph_code or 0,
                graph_subcode=event.graph_subcode or 0,
                message_ids=list(event.message_ids),
                attempts=event.attempts,
            )
        case _:
            return _page_body(event)


def _page_body(event: ThreadMoved | TokenRejected | ProfileApplied) -> ProtoEvent:
    match event:
        case ThreadMoved():
            return pb.ThreadControlMoved(
                page_id=event.page_id,
                recipient_id=event.recipient_id,
                conversation_id=event.conversation_id,
                action=MOVES[event.move],
                owner_app_id=event.owner_app_id,
                reason=event.reason,
                idempotency_key=event.idempotency_key,
            )
        case TokenRejected():
            return pb.PageTokenRejected(page_id=event.page_id, reason=event.reason)
        case ProfileApplied():
            return pb.PageProfileApplied(
                page_id=event.page_id, fields=list(event.fields), locales=list(event.locales)
            )


def to_proto(event: Event, event_id: str, occurred_at: datetime) -> ProtoEvent:
    """The protobuf message of an event, with its id, time and the current trace context."""
    message = _body(event)
    message.event_id = event_id
    message.occurred_at.FromDatetime(occurred_at)
    message.trace_context.CopyFrom(tracing.trace_context())
    return message


def prepare(event: Event, occurred_at: datetime, prefix: str = SUBJECT_PREFIX) -> OutboxEntry:
    """An outbox entry for an event (for statements that write the outbox row themselves)."""
    event_id = new_event_id()
    payload = to_proto(event, event_id, occurred_at).SerializeToString()
    headers: dict[str, str] = {}
    tracing.inject(headers)
    return OutboxEntry(event_id, subject_of(event, prefix), payload, headers)


async def record(
    conn: PoolConnection, event: Event, occurred_at: datetime, prefix: str = SUBJECT_PREFIX
) -> str:
    """Store the event in the outbox (same transaction as the change it reports); its id."""
    entry = prepare(event, occurred_at, prefix)
    return await add_event(
        conn,
        subject=entry.subject,
        payload=entry.payload,
        event_id=entry.event_id,
        headers=entry.headers,
    )
