"""decide(): what the engine does with each kind of understood message."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from parley_negotiation.domain.engine import decide, greet
from parley_negotiation.domain.model import (
    Action,
    Decision,
    ListingFacts,
    NegotiationState,
    Pacing,
    Rules,
    Tone,
    WeeklyWindow,
)
from parley_negotiation.domain.reading import (
    Attachment,
    Intent,
    OfferKind,
    OfferReading,
    Reading,
    ScamKind,
    Topic,
    ViewingRequest,
)
from parley_negotiation.domain.scheduling import zone

D = Decimal
BANGKOK = zone("Asia/Bangkok")
NOW = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)  # Friday 09:00 in Bangkok
LISTING = ListingFacts(
    title="Camry for sale",
    price=D(8500),
    year=2015,
    make="Toyota",
    model="Camry",
    trim="SE",
    mileage=85000,
    condition="excellent, one owner",
    location="Austin",
    description="Clean title. New tyres in 2025.",
    features=("backup camera", "cruise control"),
    photos=("a.jpg", "b.jpg"),
)
RULES = Rules(
    asking_price=D(8500),
    price_floor=D(7000),
    max_concessions=3,
    languages=("en", "th"),
    availability=(WeeklyWindow(6, "10:00", "16:00"),),
    time_zone="Asia/Bangkok",
)


def says(intent: Intent, text: str = "...", language: str = "en", **fields: object) -> Reading:
    return Reading(text=text, intent=intent, language=language, **fields)  # type: ignore[arg-type]


def offer(amount: int | str, *, intent: Intent = Intent.OFFER, firm: bool = False) -> Reading:
    reading = OfferReading(OfferKind.OFFER, D(amount), firm=firm)
    return says(intent, f"would you take {amount}", offer=reading)


def run(
    *readings: Reading,
    rules: Rules = RULES,
    listing: ListingFacts = LISTING,
    state: NegotiationState | None = None,
) -> list[Decision]:
    """Each reading decided in turn, as one conversation."""
    state = state or NegotiationState()
    decisions = []
    for reading in readings:
        decision = decide(state, reading, listing, rules, NOW)
        decisions.append(decision)
        state = decision.state
    return decisions


def last(*readings: Reading, **kwargs: object) -> Decision:
    return run(*readings, **kwargs)[-1]  # type: ignore[arg-type]


def test_greet_states_the_listing_facts_the_price_and_offers_buttons() -> None:
    decision = greet(NegotiationState(), LISTING, RULES, NOW)
    text = decision.reply.text
    assert decision.action is Action.ANSWER
    assert decision.price == D(8500)
    for fact in ("2015 Toyota Camry SE", "85,000 mi", "excellent, one owner", "Austin", "$8,500"):
        assert fact in text
    payloads = [button.payload for button in decision.reply.quick_replies]
    assert payloads == ["MAKE_OFFER", "BOOK_VIEWING", "TALK_TO_PERSON"]
    assert decision.state.turns == 1


def test_greet_in_thai_uses_baht_and_the_polite_particle() -> None:
    listing = replace(LISTING, currency="THB", price=D(350000), mileage_unit="km")
    rules = replace(RULES, asking_price=D(350000), price_floor=D(300000))
    decision = greet(NegotiationState(), listing, rules, NOW, language="th")
    assert "350,000 บาท" in decision.reply.text
    assert "ครับ" in decision.reply.text
    assert "85,000 กม." in decision.reply.text
    assert decision.language == "th"


def test_an_offer_gets_a_counter_with_accept_and_decline_buttons() -> None:
    decision = last(offer(7000))
    assert decision.action is Action.COUNTER
    assert decision.offer == D(7000)
    assert decision.price is not None and D(7000) < decision.price < D(8500)
    assert decision.price % 50 == 0
    assert decision.reply.quick_replies[0].payload == f"ACCEPT:{decision.price}"
    assert decision.reply.quick_replies[-1].payload == "DECLINE"
    assert "$7,000" not in decision.reply.text  # a price below the floor is never repeated


def test_counters_never_go_back_up_and_the_last_one_is_final() -> None:
    decisions = run(offer(6500), offer(6600), offer(6700), offer(6800), offer(6900))
    prices = [d.price for d in decisions if d.price is not None]
    assert prices == sorted(prices, reverse=True)
    assert all(price >= RULES.price_floor for price in prices)
    counters = decisions[-1].state.counters
    assert len(counters) == RULES.max_concessions
    assert decisions[-1].action is Action.HOLD
    assert "final" in decisions[-1].reply.text
    assert decisions[-1].state.final_price == counters[-1]


def test_acceptance_without_a_price_accepts_the_current_counter() -> None:
    counter, deal = run(offer(7000), says(Intent.ACCEPTANCE, "ok deal"))
    assert deal.action is Action.ACCEPT
    assert deal.price == counter.price
    assert deal.state.agreed_price == counter.price


def test_acceptance_before_any_counter_accepts_the_asking_price() -> None:
    assert last(says(Intent.ACCEPTANCE, "I'll take it")).price == D(8500)


def test_acceptance_with_a_price_is_an_offer_at_that_price() -> None:
    decision = last(offer(7600, intent=Intent.ACCEPTANCE))
    assert decision.offer == D(7600)
    assert decision.action is Action.COUNTER


@pytest.mark.parametrize(
    ("amount", "action", "price"),
    [("8200", Action.ACCEPT, D(8200)), ("8199.99", Action.COUNTER, None)],
)
def test_auto_accept_threshold_is_inclusive(
    amount: str, action: Action, price: Decimal | None
) -> None:
    decision = last(offer(amount), rules=replace(RULES, auto_accept_at=D(8200)))
    assert decision.action is action
    if price is not None:
        assert decision.price == price


@pytest.mark.parametrize(("amount", "accepted"), [("7000", True), ("6999.99", False)])
def test_at_the_floor_counter_an_offer_one_cent_below_is_refused(
    amount: str, accepted: bool
) -> None:
    state = NegotiationState(counters=(D(7000),), concessions=1, final_price=D(7000))
    decision = last(offer(amount), state=state)
    assert (decision.action is Action.ACCEPT) is accepted
    assert decision.price == D(7000)


def test_a_deal_proposes_viewing_slots_and_escrow_once() -> None:
    rules = replace(RULES, escrow_enabled=True)
    decision = last(offer(8500), rules=rules)
    assert decision.action is Action.ACCEPT
    assert "escrow" in decision.reply.text
    slots = [button.payload for button in decision.reply.quick_replies]
    assert slots[0] == "SLOT:2026-05-02T10:00"
    assert decision.state.escrow_offered
    again = decide(decision.state, says(Intent.PAYMENT), LISTING, rules, NOW)
    assert "escrow" not in again.reply.text


def test_escrow_is_not_mentioned_when_the_seller_did_not_enable_it() -> None:
    assert "escrow" not in last(offer(8500)).reply.text
    assert "escrow" not in last(says(Intent.PAYMENT)).reply.text


def test_a_lowball_is_declined_without_conceding_or_repeating_the_amount() -> None:
    decision = last(offer(3000))
    assert decision.action is Action.DECLINE
    assert decision.price == D(8500)
    assert "3,000" not in decision.reply.text
    assert decision.state.counters == ()


def test_an_implausible_number_is_confirmed_never_accepted() -> None:
    reading = says(
        Intent.OFFER, "would you take 8?", offer=OfferReading(OfferKind.IMPLAUSIBLE, D(8000))
    )
    asked = last(reading)
    assert asked.action is Action.ANSWER
    assert asked.price is None
    assert "$8,000" in asked.reply.text
    assert asked.reply.quick_replies[0].payload == "ACCEPT:8000"
    confirmed = decide(asked.state, says(Intent.ACCEPTANCE, "yes"), LISTING, RULES, NOW)
    assert confirmed.offer == D(8000)
    assert confirmed.action is Action.COUNTER


def test_an_implausible_number_below_the_floor_is_confirmed_without_naming_it() -> None:
    reading = says(Intent.OFFER, "5?", offer=OfferReading(OfferKind.IMPLAUSIBLE, D(5000)))
    decision = last(reading)
    assert "5,000" not in decision.reply.text
    assert decision.state.pending_offer == D(5000)


def test_ambiguous_amounts_are_asked_about_naming_only_those_above_the_floor() -> None:
    candidates = (D(700), D(7500), D(75000))
    reading = says(
        Intent.OFFER, "7500 or 75000", offer=OfferReading(OfferKind.AMBIGUOUS, None, candidates)
    )
    decision = last(reading)
    assert decision.action is Action.ANSWER
    assert "$7,500" in decision.reply.text and "$75,000" in decision.reply.text
    assert "$700" not in decision.reply.text
    assert [b.payload for b in decision.reply.quick_replies] == ["ACCEPT:7500", "ACCEPT:75000"]


@pytest.mark.parametrize("kind", list(ScamKind))
def test_scams_are_flagged_with_a_neutral_reply(kind: ScamKind) -> None:
    decision = last(says(Intent.SCAM, "I'll send a cashier's check", scam=kind))
    assert decision.action is Action.FLAG
    assert decision.flag is kind
    assert decision.price is None
    assert decision.state.scam is kind
    assert "$" not in decision.reply.text


def test_abuse_gets_a_calm_reply_then_a_person() -> None:
    first, second = run(says(Intent.ABUSE), says(Intent.ABUSE))
    assert first.action is Action.ANSWER
    assert second.action is Action.HANDOVER
    assert second.handover_reason == "abusive messages"


@pytest.mark.parametrize(("enabled", "action"), [(True, Action.HANDOVER), (False, Action.ANSWER)])
def test_asking_for_a_person_hands_over_only_when_enabled(enabled: bool, action: Action) -> None:
    decision = last(says(Intent.HUMAN), rules=replace(RULES, human_takeover_enabled=enabled))
    assert decision.action is action
    assert decision.state.handed_over is enabled


def test_a_sold_listing_says_so_whatever_is_asked() -> None:
    sold = replace(LISTING, available=False)
    for reading in (offer(8000), says(Intent.AVAILABILITY), says(Intent.VIEWING)):
        decision = last(reading, listing=sold)
        assert decision.action is Action.ANSWER
        assert "no longer available" in decision.reply.text
        assert decision.price is None


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        (Topic.MILEAGE, "85,000 mi"),
        (Topic.YEAR, "2015"),
        (Topic.TITLE, "Clean title."),
        (Topic.FEATURES, "backup camera, cruise control"),
        (Topic.LOCATION, "Austin"),
        (Topic.PHOTOS, "2 photos"),
        (Topic.CONDITION, "excellent, one owner"),
    ],
)
def test_item_questions_are_answered_from_the_listing(topic: Topic, expected: str) -> None:
    decision = last(says(Intent.ITEM_QUESTION, topics=(topic,)))
    assert expected in decision.reply.text
    assert "check with the seller" not in decision.reply.text


def test_unknown_facts_are_checked_with_the_seller_not_invented() -> None:
    decision = last(says(Intent.ITEM_QUESTION, topics=(Topic.ACCIDENTS,)))
    assert "check with the seller" in decision.reply.text
    mixed = last(says(Intent.ITEM_QUESTION, topics=(Topic.MILEAGE, Topic.ACCIDENTS)))
    assert "85,000 mi" in mixed.reply.text and "check with the seller" in mixed.reply.text


def test_a_viewing_inside_availability_is_booked() -> None:
    request = ViewingRequest(day=datetime(2026, 5, 2), time="14:00")
    decision = last(says(Intent.VIEWING, viewing=request))
    assert decision.viewing == datetime(2026, 5, 2, 14, 0, tzinfo=BANGKOK)
    assert decision.state.viewing == decision.viewing
    assert "Saturday 2 May at 14:00" in decision.reply.text
    assert "Austin" in decision.reply.text


def test_a_viewing_outside_availability_gets_alternatives() -> None:
    request = ViewingRequest(day=datetime(2026, 5, 3), time="14:00")
    decision = last(says(Intent.VIEWING, viewing=request))
    assert decision.viewing is None
    assert "Sunday 3 May at 14:00 doesn't work" in decision.reply.text
    assert [b.title for b in decision.reply.quick_replies][0] == "Sat 2 May 10:00"


def test_without_availability_viewings_are_checked_with_the_seller() -> None:
    decision = last(says(Intent.VIEWING), rules=replace(RULES, availability=()))
    assert "check with the seller" in decision.reply.text


def test_an_offer_with_a_viewing_request_answers_both() -> None:
    request = ViewingRequest(day=datetime(2026, 5, 2), time="11:00")
    reading = replace(offer(7000), also=(Intent.VIEWING,), viewing=request)
    decision = last(reading)
    assert decision.action is Action.COUNTER
    assert decision.viewing == datetime(2026, 5, 2, 11, 0, tzinfo=BANGKOK)


def test_walking_away_earns_one_final_counter_then_a_polite_goodbye() -> None:
    decisions = run(offer(7000), says(Intent.REJECTION), says(Intent.REJECTION))
    counter, save, goodbye = decisions
    assert save.action is Action.COUNTER
    assert save.price is not None and counter.price is not None and save.price < counter.price
    assert "final" in save.reply.text
    assert goodbye.action is Action.HOLD
    assert goodbye.price == save.price


def test_walking_away_without_an_offer_is_a_goodbye() -> None:
    decision = last(says(Intent.REJECTION))
    assert decision.action is Action.ANSWER
    assert decision.price is None


def test_after_a_deal_a_lower_offer_is_reminded_of_the_agreed_price() -> None:
    decision = last(offer(8500), offer(7000))
    assert decision.action is Action.ANSWER
    assert decision.price == D(8500)
    assert "agreed" in decision.reply.text


def test_a_floor_raised_above_a_counter_already_said_goes_to_a_person() -> None:
    state = last(offer(7000)).state
    raised = replace(RULES, price_floor=D(8400))
    decision = decide(state, says(Intent.ACCEPTANCE), LISTING, raised, NOW)
    assert decision.action is Action.HANDOVER
    assert decision.price is None


def test_a_price_question_states_the_price_and_at_the_end_says_final() -> None:
    assert last(says(Intent.PRICE_QUESTION)).price == D(8500)
    final = NegotiationState(counters=(D(8000), D(7700), D(7500)), concessions=3)
    decision = last(says(Intent.PRICE_QUESTION), state=final)
    assert decision.action is Action.HOLD
    assert "final" in decision.reply.text


@pytest.mark.parametrize(
    ("attachment", "expected"),
    [(Attachment.IMAGE, "picture"), (Attachment.AUDIO, "only read text"), (Attachment.LIKE, "")],
)
def test_attachments_get_a_fitting_answer(attachment: Attachment, expected: str) -> None:
    decision = last(says(Intent.OTHER, "", attachment=attachment))
    assert expected in decision.reply.text
    assert decision.action is Action.ANSWER


def test_thai_buyers_get_thai_replies_only_when_the_seller_speaks_thai() -> None:
    thai = says(Intent.AVAILABILITY, "ยังอยู่ไหมครับ", language="th")
    assert last(thai).language == "th"
    assert "ครับ" in last(thai).reply.text
    assert last(thai, rules=replace(RULES, languages=("en",))).language == "en"


def test_a_message_without_letters_keeps_the_conversation_language() -> None:
    first = last(says(Intent.AVAILABILITY, "ยังอยู่ไหมครับ", language="th"))
    numbers = says(Intent.OFFER, "7000?", offer=OfferReading(OfferKind.OFFER, D(7000)))
    assert decide(first.state, numbers, LISTING, RULES, NOW).language == "th"


@pytest.mark.parametrize("tone", list(Tone))
@pytest.mark.parametrize("language", ["en", "th"])
def test_replies_and_buttons_stay_within_messenger_limits(tone: Tone, language: str) -> None:
    listing = replace(LISTING, description="Lovely car. " * 200)
    rules = replace(RULES, tone=tone, escrow_enabled=True)
    readings = [
        says(Intent.ITEM_QUESTION, language=language, topics=tuple(Topic)),
        offer(7000),
        says(Intent.VIEWING, language=language),
        says(Intent.ACCEPTANCE, language=language),
    ]
    for decision in run(*readings, rules=rules, listing=listing):
        assert 0 < len(decision.reply.text) <= 640
        assert all(len(b.title) <= 20 for b in decision.reply.quick_replies)


def test_the_state_survives_json() -> None:
    decisions = run(offer(7000), says(Intent.VIEWING), offer(7200), says(Intent.ABUSE))
    state = decisions[-1].state
    assert NegotiationState.from_json(json.loads(json.dumps(state.to_json()))) == state


def test_variants_are_chosen_from_the_state_not_at_random() -> None:
    first = run(offer(7000), offer(7100))
    second = run(offer(7000), offer(7100))
    assert [d.reply for d in first] == [d.reply for d in second]


def test_amounts_lists_every_amount_the_reply_states() -> None:
    decision = last(offer(7600))
    assert decision.price is not None
    assert decision.amounts == (decision.price,)


def test_greeting_a_buyer_about_a_sold_listing_says_it_is_gone() -> None:
    decision = greet(NegotiationState(), replace(LISTING, available=False), RULES, NOW)
    assert "no longer available" in decision.reply.text
    assert decision.price is None


def test_pacing_is_passed_through_from_the_rules() -> None:
    instant = replace(RULES, pacing=Pacing.INSTANT)
    assert last(says(Intent.GREETING), rules=instant).pacing is Pacing.INSTANT


def test_a_bare_yes_after_a_reply_without_a_price_asks_before_closing() -> None:
    booked, yes = run(says(Intent.VIEWING), says(Intent.ACCEPTANCE, "", attachment=Attachment.LIKE))
    assert not booked.state.price_open
    assert yes.action is Action.ANSWER
    assert yes.state.agreed_price is None
    assert yes.price == D(8500)
    assert yes.reply.quick_replies[0].payload == "ACCEPT:8500"
    deal = decide(yes.state, says(Intent.ACCEPTANCE, "yes"), LISTING, RULES, NOW)
    assert deal.action is Action.ACCEPT
