"""What each fact adds to the figures, given what is known of its conversation.

A conversation is one buyer negotiating one listing on one Page; negotiation starts a new one
(`conversation_started`) when the buyer moves on to another listing, and so does analytics.
Event figures go to the hour of their event (a turn at the buyer's message time). Cohort figures
(conversations converted, taken over, first-response time) go to the hour the conversation
started, to the scopes it started in, whenever the deal, the handover or the reply came.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from parley_analytics.domain.facts import (
    BuyerMessage,
    Dropped,
    Fact,
    Refused,
    Sent,
    StateChanged,
    Turn,
)
from parley_analytics.domain.model import Delta, Family, Latency

ACCEPT = "accept"
HUMAN = "human"
# ReplyDropped outcomes that are failures to send; `superseded` is not (the buyer wrote again
# and negotiation answers the newer message).
FAILURES = frozenset({"handed_over", "recipient_unavailable", "rejected", "expired"})


@dataclass
class Conversation:
    """What analytics knows of a conversation: whose it is and where its cohort stands."""

    conversation_id: str
    seller_id: str = ""
    page_id: str = ""
    listing_id: str = ""
    buyer_id: str = ""
    # A negotiation event named it: its seller and listing are known.
    known: bool = False
    started_at: datetime | None = None
    first_sent_at: datetime | None = None
    deal_at: datetime | None = None
    human_at: datetime | None = None


@dataclass(frozen=True)
class Target:
    """Whose figures a contribution adds to. An empty seller is the Page's; an empty listing is
    the conversation's, once negotiation named it."""

    seller_id: str
    page_id: str
    listing_id: str = ""
    conversation_id: str = ""


@dataclass(frozen=True)
class Contribution:
    """A delta for the scopes of a target, in one hour."""

    hour: datetime
    target: Target
    delta: Delta


def hour_of(at: datetime) -> datetime:
    """The start of the UTC hour of a moment."""
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def tally(fact: Fact, conversation: Conversation | None) -> list[Contribution]:
    """The contributions of a fact; updates the conversation (given when the fact names one)."""
    if conversation is not None:
        learn(conversation, fact)
    match fact:
        case Turn():
            return _turn(fact, conversation)
        case StateChanged():
            return _state_changed(fact, conversation)
        case Sent():
            return _sent(fact, conversation)
        case BuyerMessage():
            return _event(fact, Delta().count("messages_received"))
        case Refused():
            delta = Delta().count("policy_blocks").classify(Family.POLICY_RULE, fact.rule)
            return _event(fact, delta)
        case Dropped() if fact.outcome in FAILURES:
            delta = Delta().count("send_failures").classify(Family.SEND_FAILURE, fact.outcome)
            return _event(fact, delta)
        case _:
            return []


def learn(conversation: Conversation, fact: Fact) -> None:
    """Whose conversation it is, from a fact about it (negotiation's facts name its listing)."""
    conversation.seller_id = fact.seller_id or conversation.seller_id
    conversation.page_id = fact.page_id or conversation.page_id
    conversation.buyer_id = fact.buyer_id or conversation.buyer_id
    if isinstance(fact, Turn | StateChanged):
        conversation.known = True
        conversation.listing_id = fact.listing_id or conversation.listing_id


def _event(fact: Fact, delta: Delta) -> list[Contribution]:
    target = Target(fact.seller_id, fact.page_id, fact.listing_id, fact.conversation_id)
    return [Contribution(hour_of(fact.at), target, delta)]


def _cohort(conversation: Conversation, delta: Delta) -> list[Contribution]:
    """A contribution to the hour and the scopes the conversation started in, if it did."""
    if conversation.started_at is None:
        return []
    target = Target(conversation.seller_id, conversation.page_id, conversation.listing_id)
    return [Contribution(hour_of(conversation.started_at), target, delta)]


def _turn(turn: Turn, conversation: Conversation | None) -> list[Contribution]:
    delta = Delta()
    found: list[Contribution] = []
    if conversation is not None and turn.started:
        found += _start(conversation, turn.at)
    if turn.started:
        delta.count("conversations_started")
    if turn.offer_minor is not None:
        delta.count("offers_received")
    if turn.escrow_offered:
        delta.count("escrow_offered")
    if turn.scam_flag:
        delta.count("scam_flags").classify(Family.SCAM, turn.scam_flag)
    if turn.action == ACCEPT and (conversation is None or conversation.deal_at is None):
        _deal(delta, turn)
        if conversation is not None:
            conversation.deal_at = turn.at
            found += _cohort(conversation, Delta().count("conversations_converted"))
    return [*_event(turn, delta), *found]


def _start(conversation: Conversation, at: datetime) -> list[Contribution]:
    """A new negotiation: its cohort starts now. A reply already seen (it overtook the turn on
    the way) is its first response."""
    sent = conversation.first_sent_at
    if conversation.started_at is not None:
        sent = None  # the replies seen belong to the previous negotiation
    conversation.started_at = at
    conversation.deal_at = conversation.human_at = None
    conversation.first_sent_at = sent if sent is not None and sent >= at else None
    if conversation.first_sent_at is None:
        return []
    return _first_response(conversation, at, conversation.first_sent_at)


def _first_response(
    conversation: Conversation, started_at: datetime, sent_at: datetime
) -> list[Contribution]:
    ms = (sent_at - started_at).total_seconds() * 1000
    return _cohort(conversation, Delta().observe(Latency.FIRST_RESPONSE, ms))


def _deal(delta: Delta, turn: Turn) -> None:
    """A deal: counted, with its price against the asking price and within the zone."""
    delta.count("deals_agreed")
    price = turn.price_minor if turn.price_minor is not None else turn.offer_minor
    if price is None:
        return
    if turn.asking_minor > 0:
        delta.count("priced_deals").add("price_to_asking_sum", price / turn.asking_minor)
    zone = turn.asking_minor - turn.floor_minor
    if zone > 0:
        delta.count("zoned_deals").add("price_in_zone_sum", (price - turn.floor_minor) / zone)


def _state_changed(change: StateChanged, conversation: Conversation | None) -> list[Contribution]:
    if change.state != HUMAN or change.previous_state == HUMAN or conversation is None:
        return []
    if conversation.human_at is not None:
        return []
    conversation.human_at = change.at
    return _cohort(conversation, Delta().count("human_takeovers"))


def _sent(sent: Sent, conversation: Conversation | None) -> list[Contribution]:
    delta = Delta().count("replies_sent")
    if sent.answered_at is not None:
        delta.observe(Latency.REPLY_TIME, (sent.at - sent.answered_at).total_seconds() * 1000)
    found = _event(sent, delta)
    if conversation is None or conversation.first_sent_at is not None:
        return found
    started = conversation.started_at
    if started is not None and sent.at < started:
        return found  # a late reply of an earlier negotiation
    conversation.first_sent_at = sent.at
    if started is not None:
        found += _first_response(conversation, started, sent.at)
    return found
