"""The Preview RPC: a listing's rules, changed as asked, tried on buyer messages; nothing is
stored or sent."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from parley.negotiation.v1 import negotiation_pb2 as pb
from parley_kit.errors import InvalidArgument
from parley_negotiation.adapters.money import to_major, to_minor
from parley_negotiation.adapters.tenants import ListingContext
from parley_negotiation.domain import engine
from parley_negotiation.domain.model import InvalidRules, NegotiationState, Rules

MAX_MESSAGES = 50


def run(
    listing: ListingContext, changes: pb.PreviewRules, messages: list[str], now: datetime
) -> pb.PreviewResponse:
    """One turn per message, in order, as one conversation."""
    if not messages or len(messages) > MAX_MESSAGES:
        raise InvalidArgument(f"messages: give 1 to {MAX_MESSAGES} buyer messages")
    rules = _rules(listing, changes)
    currency = listing.currency
    state = NegotiationState()
    turns = []
    for text in messages:
        decision = engine.respond(state, text, listing.facts, rules, now)
        state = decision.state
        turn = pb.PreviewTurn(
            message=text,
            intent=decision.intent.value,
            action=decision.action.value,
            reply=decision.reply.text,
            quick_replies=[q.title for q in decision.reply.quick_replies],
        )
        if decision.offer is not None:
            turn.offer_minor = to_minor(decision.offer, currency)
        if decision.price is not None:
            turn.price_minor = to_minor(decision.price, currency)
        turns.append(turn)
    return pb.PreviewResponse(turns=turns, currency=currency)


def _rules(listing: ListingContext, changes: pb.PreviewRules) -> Rules:
    """The listing's rules with the preview's changes; InvalidArgument naming a bad field."""
    currency = listing.currency
    updates: dict[str, object] = {}
    money = {
        "asking_minor": "asking_price",
        "floor_minor": "price_floor",
        "auto_accept_minor": "auto_accept_at",
    }
    for field, name in money.items():
        if changes.HasField(field):  # type: ignore[arg-type]
            updates[name] = to_major(getattr(changes, field), currency)
    if changes.HasField("max_concessions"):
        updates["max_concessions"] = changes.max_concessions
    if changes.tone:
        updates["tone"] = changes.tone
    if changes.language:
        updates["languages"] = (changes.language,)
    try:
        return dataclasses.replace(listing.rules, **updates)  # type: ignore[arg-type]
    except InvalidRules as exc:
        raise InvalidArgument(str(exc)) from None
