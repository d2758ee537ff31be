"""Whatever the rules and the buyer say, the engine never goes below the floor, never raises a
price it said, never goes under a price it called final, and stays within Messenger's limits."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from parley_negotiation.domain.engine import decide, respond
from parley_negotiation.domain.model import (
    Action,
    Decision,
    ListingFacts,
    NegotiationState,
    Rules,
    Tone,
)
from parley_negotiation.domain.reading import Intent, OfferKind, OfferReading, Reading
from parley_negotiation.simulator import mentioned_amounts

NOW = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
PRICED = (Action.COUNTER, Action.ACCEPT, Action.HOLD, Action.DECLINE)
SHARES = st.decimals(min_value=Decimal("0.05"), max_value=Decimal("1.3"), places=3)


@st.composite
def markets(draw: st.DrawFn) -> tuple[ListingFacts, Rules]:
    currency = draw(st.sampled_from(["USD", "THB", "EUR"]))
    asking = Decimal(draw(st.integers(min_value=10, max_value=3_000_000)))
    floor = (asking * draw(st.decimals(Decimal("0.3"), Decimal("1"), places=3))).quantize(
        Decimal("0.01")
    )
    floor = max(floor, Decimal("0.01"))
    auto = draw(st.none() | st.decimals(Decimal(0), Decimal("1.1"), places=2))
    rules = Rules(
        asking_price=asking,
        price_floor=floor,
        auto_accept_at=None if auto is None else floor + (asking - floor) * auto,
        max_concessions=draw(st.integers(min_value=0, max_value=6)),
        tone=draw(st.sampled_from(list(Tone))),
        languages=(draw(st.sampled_from(["en", "th"])),),
        escrow_enabled=draw(st.booleans()),
    )
    return ListingFacts(title="Item", price=asking, currency=currency), rules


def offer(share: Decimal, asking: Decimal, kind: OfferKind, intent: Intent) -> Reading:
    amount = (asking * share).quantize(Decimal("0.01"))
    reading = OfferReading(kind, amount, candidates=(amount, amount * 10))
    return Reading(text=f"{amount}", intent=intent, language="en", offer=reading)


MESSAGES = st.one_of(
    st.tuples(
        SHARES,
        st.sampled_from(list(OfferKind)[1:]),
        st.sampled_from([Intent.OFFER, Intent.ACCEPTANCE]),
    ),
    st.sampled_from(
        [Intent.ACCEPTANCE, Intent.REJECTION, Intent.PRICE_QUESTION, Intent.GREETING, Intent.OFFER]
    ),
)


def reading_for(message: object, asking: Decimal) -> Reading:
    if isinstance(message, tuple):
        return offer(message[0], asking, message[1], message[2])
    assert isinstance(message, Intent)
    return Reading(text="words", intent=message, language="en")


def check(decision: Decision, before: NegotiationState, rules: Rules) -> None:
    floor = rules.price_floor
    if decision.action in PRICED:
        assert decision.price is not None and decision.price >= floor
    state = decision.state
    assert state.agreed_price is None or state.agreed_price >= floor
    assert all(
        later < earlier for earlier, later in zip(state.counters, state.counters[1:], strict=False)
    )
    assert all(counter >= floor for counter in state.counters)
    if before.final_price is not None:
        assert state.current_price(rules) == before.final_price
    if decision.action is Action.ACCEPT and decision.price is not None:
        assert decision.price <= before.current_price(rules)
        # Under a price called final only the seller's own auto-accept rule can agree.
        auto = rules.auto_accept_at
        by_rule = auto is not None and decision.offer is not None and decision.offer >= auto
        assert before.final_price is None or decision.price == before.final_price or by_rule
    assert all(amount >= floor for amount in mentioned_amounts(decision.reply.text))
    assert len(decision.reply.text) <= 640
    assert all(len(button.title) <= 20 for button in decision.reply.quick_replies)


@settings(max_examples=300, deadline=None)
@given(markets(), st.lists(MESSAGES, min_size=1, max_size=12))
def test_no_conversation_breaks_the_sellers_rules(
    market: tuple[ListingFacts, Rules], messages: list[object]
) -> None:
    listing, rules = market
    state = NegotiationState()
    for message in messages:
        decision = decide(state, reading_for(message, rules.asking_price), listing, rules, NOW)
        check(decision, state, rules)
        state = decision.state


FRAGMENTS = st.sampled_from(
    [
        "would you take",
        "$",
        "k",
        "ok deal",
        "no thanks",
        "ลด",
        "บาท",
        "แสน",
        "final",
        "saturday",
        "3pm",
        "7",
        "7,500",
        "0.5",
        "1e9",
        "-200",
        "🙂",
        " ",
        "?",
        "cash",
        "firm",
        "ตกลง",
    ]
)
TEXTS = st.lists(FRAGMENTS | st.text(max_size=8), max_size=8).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(markets(), st.lists(TEXTS, min_size=1, max_size=6))
def test_free_text_never_breaks_the_sellers_rules(
    market: tuple[ListingFacts, Rules], texts: list[str]
) -> None:
    listing, rules = market
    state = NegotiationState()
    for text in texts:
        decision = respond(state, text, listing, rules, NOW)
        check(decision, state, rules)
        state = decision.state
