"""The negotiation simulator: scripted buyers in text against respond(); the floor holds and
deals close more often than human sellers manage."""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal

import pytest

from parley_negotiation.domain.engine import respond
from parley_negotiation.domain.model import Action, NegotiationState
from parley_negotiation.simulator import (
    NOW,
    STYLES,
    Buyer,
    Market,
    floor_violations,
    format_report,
    haggle,
    markets,
    mentioned_amounts,
    simulate,
)


@pytest.fixture(scope="module")
def market() -> Market:
    return next(markets(seed=3, count=1))


def test_simulated_negotiations_never_break_the_floor_and_beat_human_sellers() -> None:
    report = simulate(seed=11, listings=60)
    assert report.conversations == 60 * len(STYLES)
    assert report.violations == ()
    assert report.agreement_rate > 0.74
    assert 0 < report.zone_share <= 1
    assert report.median_price_ratio <= 1
    assert "floor violations         0" in format_report(report)


def test_generated_markets_are_reproducible_and_varied() -> None:
    first = list(markets(seed=5, count=40))
    assert first == list(markets(seed=5, count=40))
    assert {m.listing.currency for m in first} == {"USD", "THB"}
    assert len({m.rules.tone for m in first}) == 3
    assert all(m.rules.price_floor <= m.rules.asking_price for m in first)


@pytest.mark.parametrize(
    ("text", "amounts"),
    [
        ("Deal at $8,500!", [Decimal(8500)]),
        ("ตกลงครับ 350,000 บาท", [Decimal(350000)]),
        ("I can do ฿12,000.50 or $7", [Decimal("12000.50"), Decimal(7)]),
        ("It has 85,000 mi on it. It's a 2015.", []),
    ],
)
def test_mentioned_amounts_finds_money_in_the_engines_formats(
    text: str, amounts: list[Decimal]
) -> None:
    assert mentioned_amounts(text) == amounts


def test_floor_violations_catch_prices_agreements_and_amounts_in_text(market: Market) -> None:
    floor = market.rules.price_floor
    decision = respond(NegotiationState(), "ok deal", market.listing, market.rules, NOW)
    assert floor_violations(decision, floor) == []
    below = floor - 1
    forged = replace(
        decision,
        price=below,
        state=replace(decision.state, agreed_price=below),
        reply=replace(decision.reply, text=f"Deal at ${below:,}"),
    )
    assert len(floor_violations(forged, floor)) == 3


@pytest.mark.parametrize("style", STYLES)
def test_buyers_never_offer_above_their_limit_and_deals_stay_within_it(
    market: Market, style: str
) -> None:
    limit = market.rules.asking_price * Decimal("0.9")
    outcome = haggle(market, style, limit, random.Random(1))
    assert outcome.price is None or market.rules.price_floor <= outcome.price <= limit
    assert outcome.violations == ()


def test_a_buyer_below_the_floor_never_gets_a_deal(market: Market) -> None:
    limit = market.rules.price_floor - 1
    for style in STYLES:
        assert haggle(market, style, limit, random.Random(2)).price is None


def test_a_buyer_at_their_limit_walks_away_from_a_higher_price(market: Market) -> None:
    buyer = Buyer("stepper", Decimal(5000), "en", Decimal(50), random.Random(3), Decimal(9000))
    buyer.offered = Decimal(5000)
    decision = respond(NegotiationState(), "hi", market.listing, market.rules, NOW)
    held = replace(decision, action=Action.HOLD, price=Decimal(8000))
    assert buyer.answer(held) in (
        "no thanks, too expensive for me",
        "That's too much for me, I'll pass",
    )
    assert buyer.walked
    assert buyer.answer(held) is None
