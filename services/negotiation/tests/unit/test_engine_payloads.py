"""answer_payload(): Get Started, menu buttons and quick replies carrying slots and prices."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from parley_kit import payloads
from parley_negotiation.domain.engine import answer_payload
from parley_negotiation.domain.model import (
    Action,
    ListingFacts,
    NegotiationState,
    Rules,
    WeeklyWindow,
)
from parley_negotiation.domain.reading import Intent
from parley_negotiation.domain.scheduling import zone

D = Decimal
NOW = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)  # Friday 09:00 in Bangkok
LISTING = ListingFacts(title="Road bike", price=D(900), location="Bangkok")
RULES = Rules(
    asking_price=D(900),
    price_floor=D(700),
    availability=(WeeklyWindow(6, "10:00", "16:00"),),
    time_zone="Asia/Bangkok",
)
COUNTERED = NegotiationState(language="en", counters=(D(820),), concessions=1, turns=2)


def test_get_started_greets_with_the_listing() -> None:
    decision = answer_payload(NegotiationState(), payloads.GET_STARTED, LISTING, RULES, NOW)
    assert decision.intent is Intent.GREETING
    assert "Road bike" in decision.reply.text and "$900" in decision.reply.text


def test_accept_button_accepts_the_current_counter() -> None:
    decision = answer_payload(COUNTERED, f"{payloads.ACCEPT_PREFIX}820", LISTING, RULES, NOW)
    assert decision.action is Action.ACCEPT
    assert decision.price == D(820)


def test_an_old_accept_button_for_a_higher_price_accepts_the_lower_current_one() -> None:
    decision = answer_payload(COUNTERED, f"{payloads.ACCEPT_PREFIX}900", LISTING, RULES, NOW)
    assert decision.price == D(820)


def test_a_forged_accept_button_below_the_counter_is_only_an_offer() -> None:
    decision = answer_payload(COUNTERED, f"{payloads.ACCEPT_PREFIX}500", LISTING, RULES, NOW)
    assert decision.action is Action.DECLINE
    assert decision.price == D(820)


@pytest.mark.parametrize("amount", ["", "abc", "-5", "NaN", "Infinity", "0"])
def test_a_malformed_accept_button_commits_to_nothing(amount: str) -> None:
    decision = answer_payload(COUNTERED, f"{payloads.ACCEPT_PREFIX}{amount}", LISTING, RULES, NOW)
    assert decision.action is Action.ANSWER
    assert decision.state.agreed_price is None


def test_a_slot_button_inside_availability_books_it() -> None:
    decision = answer_payload(COUNTERED, "SLOT:2026-05-02T11:00", LISTING, RULES, NOW)
    assert decision.viewing == datetime(2026, 5, 2, 11, 0, tzinfo=zone("Asia/Bangkok"))
    assert "Saturday 2 May at 11:00" in decision.reply.text


@pytest.mark.parametrize("slot", ["SLOT:2026-05-03T11:00", "SLOT:2026-04-25T11:00", "SLOT:soon"])
def test_a_slot_button_outside_availability_or_in_the_past_gets_alternatives(slot: str) -> None:
    decision = answer_payload(COUNTERED, slot, LISTING, RULES, NOW)
    assert decision.viewing is None
    assert decision.reply.quick_replies[0].payload == "SLOT:2026-05-02T10:00"


def test_decline_button_is_a_walk_away() -> None:
    decision = answer_payload(
        replace(COUNTERED, best_offer=D(760)), payloads.DECLINE, LISTING, RULES, NOW
    )
    assert decision.intent is Intent.REJECTION
    assert decision.action is Action.COUNTER
    assert decision.price == D(760)


@pytest.mark.parametrize(
    ("payload", "intent", "action"),
    [
        (payloads.MAKE_OFFER, Intent.OFFER, Action.ANSWER),
        (payloads.BOOK_VIEWING, Intent.VIEWING, Action.ANSWER),
        (payloads.TALK_TO_PERSON, Intent.HUMAN, Action.HANDOVER),
        (payloads.VIEW_DETAILS, Intent.ITEM_QUESTION, Action.ANSWER),
        ("SOMETHING_ELSE", Intent.OTHER, Action.ANSWER),
    ],
)
def test_menu_buttons_map_to_intents(payload: str, intent: Intent, action: Action) -> None:
    decision = answer_payload(COUNTERED, payload, LISTING, RULES, NOW)
    assert decision.intent is intent
    assert decision.action is action


def test_make_offer_states_the_current_price() -> None:
    decision = answer_payload(COUNTERED, payloads.MAKE_OFFER, LISTING, RULES, NOW)
    assert "$820" in decision.reply.text
    assert decision.price == D(820)


def test_buttons_answer_in_the_conversations_language() -> None:
    thai = replace(COUNTERED, language="th")
    rules = replace(RULES, languages=("en", "th"))
    decision = answer_payload(thai, payloads.BOOK_VIEWING, LISTING, rules, NOW)
    assert decision.language == "th"
    assert "ครับ" in decision.reply.text
