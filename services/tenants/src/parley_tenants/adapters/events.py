"""Domain events as `parley.events.v1` protobuf, stored in the outbox with the change."""

from __future__ import annotations

from datetime import datetime

from parley.events.v1 import tenants_pb2
from parley_kit import tracing
from parley_kit.db import PoolConnection
from parley_kit.outbox import add_event, new_event_id
from parley_tenants.domain.events import (
    Event,
    PageConnected,
    PageNeedsReconnect,
    PagePaused,
    PageResumed,
    RulesChanged,
    UserDataDeletionRequested,
)

SUBJECT_PREFIX = "parley.tenants"
STREAM = "PARLEY_TENANTS"
KINDS: dict[type[object], str] = {
    PageConnected: "page_connected",
    PageNeedsReconnect: "page_needs_reconnect",
    PagePaused: "page_paused",
    PageResumed: "page_resumed",
    UserDataDeletionRequested: "user_data_deletion_requested",
    RulesChanged: "rules_changed",
}


def subject_of(event: Event, prefix: str = SUBJECT_PREFIX) -> str:
    """`parley.tenants.<kind>`."""
    return f"{prefix}.{KINDS[type(event)]}"


ProtoEvent = (
    tenants_pb2.PageConnected
    | tenants_pb2.PageNeedsReconnect
    | tenants_pb2.PagePaused
    | tenants_pb2.PageResumed
    | tenants_pb2.UserDataDeletionRequested
    | tenants_pb2.RulesChanged
)


def to_proto(event: Event, event_id: str, occurred_at: datetime) -> ProtoEvent:
    """The protobuf message of an event, with its id, time and the current trace context."""
    message = _body(event)
    message.event_id = event_id
    message.occurred_at.FromDatetime(occurred_at)
    message.trace_context.CopyFrom(tracing.trace_context())
    return message


def _body(event: Event) -> ProtoEvent:
    match event:
        case PageConnected():
            return tenants_pb2.PageConnected(
                seller_id=event.seller_id,
                page_id=event.page_id,
                page_name=event.page_name,
                reconnected=event.reconnected,
            )
        case PageNeedsReconnect():
            return tenants_pb2.PageNeedsReconnect(
                seller_id=event.seller_id,
                page_id=event.page_id,
                reason=event.reason,
                reconnect_url=event.reconnect_url,
            )
        case PagePaused():
            return tenants_pb2.PagePaused(
                seller_id=event.seller_id, page_id=event.page_id, reason=event.reason
            )
        case PageResumed():
            return tenants_pb2.PageResumed(seller_id=event.seller_id, page_id=event.page_id)
        case UserDataDeletionRequested():
            return tenants_pb2.UserDataDeletionRequested(
                facebook_user_id=event.facebook_user_id,
                confirmation_code=event.confirmation_code,
                seller_ids=list(event.seller_ids),
                page_ids=list(event.page_ids),
            )
        case RulesChanged():
            return tenants_pb2.RulesChanged(
                seller_id=event.seller_id, listing_id=event.listing_id, change=event.change
            )


async def record(
    conn: PoolConnection, event: Event, occurred_at: datetime, prefix: str = SUBJECT_PREFIX
) -> str:
    """Store the event in the outbox (same transaction as the change it reports); its id."""
    event_id = new_event_id()
    payload = to_proto(event, event_id, occurred_at).SerializeToString()
    return await add_event(
        conn, subject=subject_of(event, prefix), payload=payload, event_id=event_id
    )
