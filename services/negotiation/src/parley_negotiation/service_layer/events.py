"""What negotiation tells the others (analytics first): each decided turn and each change of
who answers a conversation, stored in the outbox in the conversation's transaction."""

from __future__ import annotations

from datetime import datetime

from parley.events.v1 import negotiation_pb2 as events
from parley_kit import tracing
from parley_kit.db import PoolConnection
from parley_kit.outbox import add_event, new_event_id
from parley_negotiation.adapters.conversations_repo import Conversation
from parley_negotiation.adapters.money import to_minor
from parley_negotiation.adapters.tenants import ListingContext
from parley_negotiation.domain.model import Decision, NegotiationState


async def turn_decided(
    conn: PoolConnection,
    prefix: str,
    *,
    conversation: Conversation,
    listing: ListingContext,
    decision: Decision,
    previous: NegotiationState,
    answered: tuple[str, datetime],
    decided_at: datetime,
) -> str:
    """Record a decided turn (the conversation's first when `previous` has no turns)."""
    currency = listing.currency
    event = events.TurnDecided(
        event_id=new_event_id(),
        page_id=conversation.page_id,
        seller_id=conversation.seller_id,
        conversation_id=conversation.conversation_id,
        listing_id=listing.listing_id,
        in_reply_to_event_id=answered[0],
        conversation_started=previous.turns == 0,
        intent=decision.intent.value,
        action=decision.action.value,
        language=decision.language,
        currency=currency,
        asking_minor=to_minor(listing.rules.asking_price, currency),
        floor_minor=to_minor(listing.rules.price_floor, currency),
        scam_flag=decision.flag.value if decision.flag else "",
        escrow_offered=decision.state.escrow_offered and not previous.escrow_offered,
        trace_context=tracing.trace_context(),
    )
    event.buyer_at.FromDatetime(answered[1])
    event.decided_at.FromDatetime(decided_at)
    if decision.offer is not None:
        event.offer_minor = to_minor(decision.offer, currency)
    if decision.price is not None:
        event.price_minor = to_minor(decision.price, currency)
    subject = f"{prefix}.{conversation.page_id}.turn_decided"
    return await add_event(
        conn, subject=subject, payload=event.SerializeToString(), event_id=event.event_id
    )


async def state_changed(
    conn: PoolConnection,
    prefix: str,
    *,
    before: Conversation,
    after: Conversation,
    at: datetime,
) -> str | None:
    """Record a change of who answers, if there was one."""
    if before.state is after.state:
        return None
    event = events.ConversationStateChanged(
        event_id=new_event_id(),
        page_id=after.page_id,
        seller_id=after.seller_id,
        conversation_id=after.conversation_id,
        listing_id=after.listing_id,
        state=after.state.value,
        previous_state=before.state.value,
        reason=after.state_reason,
        trace_context=tracing.trace_context(),
    )
    event.occurred_at.FromDatetime(at)
    subject = f"{prefix}.{after.page_id}.conversation_state_changed"
    return await add_event(
        conn, subject=subject, payload=event.SerializeToString(), event_id=event.event_id
    )
