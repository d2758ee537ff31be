"""Events from the bus as facts: one small translation per stream, the kind from the subject's
last token. Malformed events are poison (dead-lettered); kinds analytics does not know are
skipped (a newer publisher)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from google.protobuf.message import DecodeError, Message
from google.protobuf.timestamp_pb2 import Timestamp
from nats.aio.msg import Msg

from parley.events.v1 import delivery_pb2, inbound_pb2, negotiation_pb2, replies_pb2, tenants_pb2
from parley_analytics.domain.facts import (
    BuyerMessage,
    DeletionRequested,
    Dropped,
    Fact,
    Noted,
    PageOwned,
    Refused,
    Sent,
    Source,
    StateChanged,
    Turn,
)
from parley_kit.bus import PoisonMessage

Decoder = Callable[[Msg], Fact | None]
M = TypeVar("M", bound=Message)
PageEvent = (
    tenants_pb2.PageConnected
    | tenants_pb2.PageNeedsReconnect
    | tenants_pb2.PagePaused
    | tenants_pb2.PageResumed
)
_PAGE_EVENTS: dict[str, type[PageEvent]] = {
    "page_connected": tenants_pb2.PageConnected,
    "page_needs_reconnect": tenants_pb2.PageNeedsReconnect,
    "page_paused": tenants_pb2.PagePaused,
    "page_resumed": tenants_pb2.PageResumed,
}


def kind_of(msg: Msg) -> str:
    """The last token of the subject: the event's kind."""
    return msg.subject.rsplit(".", 1)[-1]


def _parse(cls: type[M], msg: Msg) -> M:
    try:
        event = cls.FromString(msg.data)
    except DecodeError as exc:
        raise PoisonMessage(f"not a {cls.__name__}: {exc}") from None
    if not getattr(event, "event_id", ""):
        raise PoisonMessage(f"a {cls.__name__} without event_id")
    return event


def _at(stamp: Timestamp, fallback: datetime | None = None) -> datetime:
    if stamp.seconds or stamp.nanos:
        try:
            return stamp.ToDatetime(UTC)
        except ValueError as exc:  # seconds or nanos outside what a Timestamp may hold
            raise PoisonMessage(f"a time out of range: {exc}") from None
    return fallback or datetime.now(UTC)


def _name(prefix: str, name: str) -> str:
    return name.removeprefix(prefix).lower()


def decode_inbound(msg: Msg) -> Fact:
    """An InboundEvent: a buyer message, or a noted event (receipts, echoes, feed...)."""
    event = _parse(inbound_pb2.InboundEvent, msg)
    if not event.page_id:
        raise PoisonMessage("an InboundEvent without page_id")
    kind = event.WhichOneof("kind") or "unknown"
    buyer = event.echo.buyer_id if kind == "echo" else event.sender_id
    common: dict[str, Any] = {
        "event_id": event.event_id,
        "source": Source.INBOUND,
        "kind": kind,
        "at": _at(event.occurred_at, _at(event.received_at)),
        "page_id": event.page_id,
        "buyer_id": buyer,
    }
    if kind == "message":
        return BuyerMessage(**common, standby=event.standby)
    return Noted(**common)


def decode_negotiation(msg: Msg) -> Fact | None:
    """TurnDecided or ConversationStateChanged."""
    kind = kind_of(msg)
    if kind == "turn_decided":
        return _turn(_parse(negotiation_pb2.TurnDecided, msg))
    if kind == "conversation_state_changed":
        change = _parse(negotiation_pb2.ConversationStateChanged, msg)
        return StateChanged(
            event_id=change.event_id,
            source=Source.NEGOTIATION,
            kind=kind,
            at=_at(change.occurred_at),
            page_id=change.page_id,
            seller_id=change.seller_id,
            listing_id=change.listing_id,
            conversation_id=change.conversation_id,
            state=change.state,
            previous_state=change.previous_state,
            reason=change.reason,
        )
    return None


def _turn(turn: negotiation_pb2.TurnDecided) -> Turn:
    return Turn(
        event_id=turn.event_id,
        source=Source.NEGOTIATION,
        kind="turn_decided",
        at=_at(turn.buyer_at, _at(turn.decided_at)),
        page_id=turn.page_id,
        seller_id=turn.seller_id,
        listing_id=turn.listing_id,
        conversation_id=turn.conversation_id,
        started=turn.conversation_started,
        action=turn.action,
        offer_minor=turn.offer_minor if turn.HasField("offer_minor") else None,
        price_minor=turn.price_minor if turn.HasField("price_minor") else None,
        asking_minor=turn.asking_minor,
        floor_minor=turn.floor_minor,
        currency=turn.currency,
        scam_flag=turn.scam_flag,
        escrow_offered=turn.escrow_offered,
    )


def _reply(
    kind: str, event_id: str, header: delivery_pb2.ReplyHeader, at: datetime
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "source": Source.DELIVERY,
        "kind": kind,
        "at": at,
        "page_id": header.page_id,
        "seller_id": header.seller_id,
        "conversation_id": header.conversation_id,
        "buyer_id": header.recipient_id,
    }


def decode_delivery(msg: Msg) -> Fact | None:
    """A reply's outcome (sent, refused, dropped), or a noted Page or thread event."""
    kind = kind_of(msg)
    if kind == "reply_sent":
        sent = _parse(delivery_pb2.ReplySent, msg)
        answered = sent.reply.in_reply_to_at if sent.reply.HasField("in_reply_to_at") else None
        return Sent(
            **_reply(kind, sent.event_id, sent.reply, _at(sent.sent_at, _at(sent.occurred_at))),
            answered_at=answered.ToDatetime(UTC) if answered is not None else None,
            author=_name(
                "REPLY_AUTHOR_", _enum_name(sent.reply.author, replies_pb2.ReplyAuthor.Name)
            ),
        )
    if kind == "reply_refused":
        refused = _parse(delivery_pb2.ReplyRefused, msg)
        rule = _name("POLICY_RULE_", _enum_name(refused.rule, delivery_pb2.PolicyRule.Name))
        return Refused(
            **_reply(kind, refused.event_id, refused.reply, _at(refused.occurred_at)), rule=rule
        )
    if kind == "reply_dropped":
        dropped = _parse(delivery_pb2.ReplyDropped, msg)
        outcome = _name(
            "REPLY_OUTCOME_", _enum_name(dropped.outcome, delivery_pb2.ReplyOutcome.Name)
        )
        return Dropped(
            **_reply(kind, dropped.event_id, dropped.reply, _at(dropped.occurred_at)),
            outcome=outcome,
            graph_code=dropped.graph_code,
        )
    return _delivery_noted(kind, msg)


def _delivery_noted(kind: str, msg: Msg) -> Fact | None:
    """Thread moves, rejected Page tokens, Page profiles: kept in the log, not counted."""
    if kind in ("thread_passed", "thread_taken"):
        moved = _parse(delivery_pb2.ThreadControlMoved, msg)
        return Noted(
            **_noted(kind, moved.event_id, moved.occurred_at, moved.page_id),
            conversation_id=moved.conversation_id,
            buyer_id=moved.recipient_id,
        )
    if kind == "token_invalid":
        rejected = _parse(delivery_pb2.PageTokenRejected, msg)
        return Noted(**_noted(kind, rejected.event_id, rejected.occurred_at, rejected.page_id))
    if kind == "profile_applied":
        applied = _parse(delivery_pb2.PageProfileApplied, msg)
        return Noted(**_noted(kind, applied.event_id, applied.occurred_at, applied.page_id))
    return None


def _noted(kind: str, event_id: str, at: Timestamp, page_id: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "source": Source.DELIVERY,
        "kind": kind,
        "at": _at(at),
        "page_id": page_id,
    }


def _enum_name(value: int, name: Callable[[Any], str]) -> str:
    try:
        return name(value)
    except ValueError:
        return f"unknown_{value}"


def decode_tenants(msg: Msg) -> Fact | None:
    """Page events (whose seller a Page is), deletion requests, rules changes."""
    kind = kind_of(msg)
    if kind in _PAGE_EVENTS:
        page: PageEvent = _parse(_PAGE_EVENTS[kind], msg)
        return PageOwned(
            event_id=page.event_id,
            source=Source.TENANTS,
            kind=kind,
            at=_at(page.occurred_at),
            page_id=page.page_id,
            seller_id=page.seller_id,
        )
    if kind == "user_data_deletion_requested":
        request = _parse(tenants_pb2.UserDataDeletionRequested, msg)
        return DeletionRequested(
            event_id=request.event_id,
            source=Source.TENANTS,
            kind=kind,
            at=_at(request.occurred_at),
            user_id=request.facebook_user_id,
            seller_ids=tuple(request.seller_ids),
            page_ids=tuple(request.page_ids),
        )
    if kind == "rules_changed":
        rules = _parse(tenants_pb2.RulesChanged, msg)
        return Noted(
            event_id=rules.event_id,
            source=Source.TENANTS,
            kind=kind,
            at=_at(rules.occurred_at),
            seller_id=rules.seller_id,
            listing_id=rules.listing_id,
        )
    return None


DECODERS: dict[Source, Decoder] = {
    Source.INBOUND: decode_inbound,
    Source.NEGOTIATION: decode_negotiation,
    Source.DELIVERY: decode_delivery,
    Source.TENANTS: decode_tenants,
}
