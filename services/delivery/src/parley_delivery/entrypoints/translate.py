"""Protobuf to domain values and back: the only place that knows both."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from parley.delivery.v1 import delivery_pb2 as api
from parley.events.v1 import inbound_pb2, replies_pb2
from parley_delivery.adapters.events import AUTHORS, MOVES, OUTCOMES
from parley_delivery.adapters.log_repo import LoggedReply
from parley_delivery.domain.inbound import BuyerAction, Comment, Echo, Fact, PolicyChange, Receipt
from parley_delivery.domain.messages import parse_metadata
from parley_delivery.domain.model import (
    AttachmentKind,
    Author,
    Button,
    Content,
    Pace,
    QuickReply,
    Reply,
    ThreadMove,
)
from parley_delivery.domain.window import WindowState
from parley_kit.errors import InvalidArgument

KEY_MAX = 200
_AUTHORS_IN = {value: key for key, value in AUTHORS.items()}
_MOVES_IN = {value: key for key, value in MOVES.items()}
_KINDS = {
    replies_pb2.ATTACHMENT_KIND_IMAGE: AttachmentKind.IMAGE,
    replies_pb2.ATTACHMENT_KIND_AUDIO: AttachmentKind.AUDIO,
    replies_pb2.ATTACHMENT_KIND_VIDEO: AttachmentKind.VIDEO,
    replies_pb2.ATTACHMENT_KIND_FILE: AttachmentKind.FILE,
}
WINDOW_STATES = {
    WindowState.OPEN: api.WINDOW_STATE_OPEN,
    WindowState.HUMAN_AGENT_ONLY: api.WINDOW_STATE_HUMAN_AGENT_ONLY,
    WindowState.CLOSED: api.WINDOW_STATE_CLOSED,
}
STATUSES = {
    "sent": api.MESSAGE_STATUS_SENT,
    "delivered": api.MESSAGE_STATUS_DELIVERED,
    "read": api.MESSAGE_STATUS_READ,
}
# Buyer actions that open the window (MESSENGER.md); True: they ask for an answer.
_ACTIONS = {"message": True, "postback": True, "referral": False, "optin": False}


class InvalidCommand(ValueError):
    """A reply command delivery can never act on."""


def moment(stamp: Timestamp) -> datetime:
    """A protobuf timestamp as an aware UTC datetime."""
    return stamp.ToDatetime(tzinfo=UTC)


def optional_moment(stamp: Timestamp) -> datetime | None:
    """Unset (zero) timestamps are None."""
    return None if stamp.seconds == 0 and stamp.nanos == 0 else moment(stamp)


def timestamp(value: datetime | None) -> Timestamp | None:
    """A protobuf timestamp (None stays unset)."""
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def required(field: str, value: str) -> str:
    """The value, or InvalidArgument naming the field."""
    if not value.strip():
        raise InvalidArgument(f"{field}: is required")
    return value.strip()


def reply_of(command: replies_pb2.ReplyCommand) -> Reply:
    """The domain reply of a command; InvalidCommand when it can never be sent."""
    key = command.idempotency_key.strip()
    if not key or len(key) > KEY_MAX or not command.page_id:
        raise InvalidCommand("a reply command needs an idempotency key (<= 200) and a page")
    if not command.recipient_id and not command.comment_id:
        raise InvalidCommand("a reply command needs a recipient or a comment")
    author = _AUTHORS_IN.get(command.author, Author.BOT)
    pace = Pace.HUMAN if command.pacing == replies_pb2.REPLY_PACING_HUMAN else Pace.INSTANT
    return Reply(
        idempotency_key=key,
        page_id=command.page_id,
        recipient_id=command.recipient_id,
        comment_id=command.comment_id,
        author=author,
        content=content_of(command.message),
        decided_at=optional_moment(command.decided_at) or datetime.now(UTC),
        conversation_id=command.conversation_id,
        seller_id=command.seller_id,
        in_reply_to_at=optional_moment(command.in_reply_to_at),
        pace=pace,
        thread_move=_MOVES_IN.get(command.thread_action, ThreadMove.NONE),
        thread_reason=command.thread_reason,
        traceparent=command.trace_context.traceparent,
    )


def content_of(message: replies_pb2.ReplyMessage) -> Content:
    """A reply's content."""
    return Content(
        text=message.text,
        quick_replies=tuple(QuickReply(q.title, q.payload) for q in message.quick_replies),
        buttons=tuple(Button(b.title, b.payload, b.url) for b in message.buttons),
        attachment_url=message.attachment_url,
        attachment_kind=_KINDS.get(message.attachment_kind, AttachmentKind.IMAGE),
        metadata=message.metadata,
    )


def facts_of(event: inbound_pb2.InboundEvent) -> list[Fact]:
    """What an inbound event tells delivery (nothing for most kinds)."""
    kind = event.WhichOneof("kind")
    at = moment(event.occurred_at)
    if kind in _ACTIONS:
        return [BuyerAction(event.page_id, event.sender_id, at, turn=_ACTIONS[kind])]
    if kind == "reaction" and event.reaction.action == inbound_pb2.REACTION_ACTION_REACT:
        return [BuyerAction(event.page_id, event.sender_id, at, turn=False)]
    if kind == "echo":
        return _echo(event, at)
    if kind in ("delivery", "read"):
        return [_receipt(event, kind == "read")]
    if kind == "feed_comment" and event.feed_comment.verb == inbound_pb2.FEED_VERB_ADD:
        comment = event.feed_comment
        created = optional_moment(comment.created_at) or at
        return [Comment(comment.comment_id, event.page_id, comment.from_id, created)]
    if kind == "policy_enforcement":
        return _policy(event, at)
    return []


def _echo(event: inbound_pb2.InboundEvent, at: datetime) -> list[Fact]:
    own = parse_metadata(event.echo.metadata)
    if own is None:
        return []
    return [Echo(own[0], own[1], event.echo.mid, at)]


def _receipt(event: inbound_pb2.InboundEvent, read: bool) -> Receipt:
    if read:
        return Receipt(event.page_id, event.sender_id, True, moment(event.read.watermark))
    delivery = event.delivery
    return Receipt(
        event.page_id, event.sender_id, False, moment(delivery.watermark), tuple(delivery.mids)
    )


def _policy(event: inbound_pb2.InboundEvent, at: datetime) -> list[Fact]:
    action = event.policy_enforcement.action
    reason = event.policy_enforcement.reason
    if action == inbound_pb2.POLICY_ACTION_BLOCK:
        return [PolicyChange(event.page_id, True, reason, at)]
    if action == inbound_pb2.POLICY_ACTION_UNBLOCK:
        return [PolicyChange(event.page_id, False, reason, at)]
    return []


def logged_reply_out(reply: LoggedReply) -> api.OutboundReply:
    """A reply of the outbound log as the API shows it."""
    return api.OutboundReply(
        idempotency_key=reply.idempotency_key,
        conversation_id=reply.conversation_id,
        comment_id=reply.comment_id,
        author=AUTHORS[reply.author],
        outcome=OUTCOMES[reply.outcome],
        detail=reply.detail,
        text=reply.text,
        messaging_type=reply.messaging_type,
        tag=reply.tag,
        thread_action=MOVES[reply.thread_move],
        decided_at=timestamp(reply.decided_at),
        finished_at=timestamp(reply.finished_at),
        attempts=reply.attempts,
        messages=[
            api.OutboundMessage(
                message_id=m.message_id,
                part=m.part,
                status=STATUSES[m.status],
                sent_at=timestamp(m.sent_at),
                delivered_at=timestamp(m.delivered_at),
                read_at=timestamp(m.read_at),
            )
            for m in reply.messages
        ],
    )
