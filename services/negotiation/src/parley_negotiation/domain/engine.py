"""The negotiation engine: one buyer message (or button) in, one decision out.

`decide` takes what was understood of a message, `respond` reads the text first, `greet`
opens a conversation and `answer_payload` answers postbacks and quick replies. Every price
the engine commits to is at or above the seller's floor and below every earlier counter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from functools import partial

from parley_kit import payloads
from parley_negotiation.domain import replies, scheduling, strategy
from parley_negotiation.domain.model import (
    MAX_QUICK_REPLIES,
    Action,
    Decision,
    ListingFacts,
    NegotiationState,
    QuickReply,
    Reply,
    Rules,
)
from parley_negotiation.domain.reading import (
    Attachment,
    Intent,
    OfferKind,
    ReadContext,
    Reading,
    ScamKind,
)
from parley_negotiation.domain.replies import Voice
from parley_negotiation.domain.strategy import Move, MoveKind
from parley_negotiation.domain.understanding import read

# An offer this close below the bot's price (share of it) shows a serious buyer: escrow is
# offered when the seller enabled it.
SERIOUS_SHARE = Decimal("0.9")
# Abusive messages tolerated with a calm answer before the seller is called in.
ABUSE_LIMIT = 2


@dataclass(frozen=True)
class _Turn:
    """One message being decided: the state already counts it and knows its language."""

    state: NegotiationState
    reading: Reading
    listing: ListingFacts
    rules: Rules
    now: datetime
    voice: Voice
    step: Decimal

    @property
    def current(self) -> Decimal:
        return self.state.current_price(self.rules)

    def say(self, key: str, **values: str) -> str:
        return self.voice.say(key, **values)

    def money(self, amount: Decimal) -> str:
        return self.voice.money(amount)


@dataclass(frozen=True)
class _Outcome:
    """A decision before it is rendered: reply parts, buttons and the new state."""

    action: Action
    parts: tuple[str, ...]
    state: NegotiationState
    price: Decimal | None = None
    quick: tuple[QuickReply, ...] = ()
    offer: Decimal | None = None
    flag: ScamKind | None = None
    handover_reason: str | None = None
    viewing: datetime | None = None


def decide(
    state: NegotiationState, reading: Reading, listing: ListingFacts, rules: Rules, now: datetime
) -> Decision:
    """The reply to one understood buyer message, and the state after it."""
    turn = _begin(state, reading, listing, rules, now)
    outcome = _gate(turn) or _route(turn)
    return _finish(turn, _extras(turn, outcome))


def respond(
    state: NegotiationState,
    text: str,
    listing: ListingFacts,
    rules: Rules,
    now: datetime,
    attachment: Attachment = Attachment.NONE,
) -> Decision:
    """Read the buyer's `text` (and attachment), then decide."""
    context = ReadContext(
        reference_price=rules.asking_price,
        quoted_prices=(listing.price, rules.asking_price, *state.counters),
        takeover_keywords=rules.takeover_keywords,
        listing_year=listing.year,
        listing_mileage=listing.mileage,
        now=scheduling.local_time(now, rules.time_zone),
    )
    return decide(state, read(text, context, attachment), listing, rules, now)


def greet(
    state: NegotiationState,
    listing: ListingFacts,
    rules: Rules,
    now: datetime,
    language: str | None = None,
) -> Decision:
    """The first message of a conversation (Get Started, an m.me link): the listing's
    details and price, with buttons to make an offer or book a viewing."""
    spoken = language if language in rules.languages else state.language or rules.language
    reading = Reading(text="", intent=Intent.GREETING, language=spoken)
    turn = _begin(replace(state, language=spoken), reading, listing, rules, now)
    return _finish(turn, _sold(turn) or _welcome(turn))


def answer_payload(
    state: NegotiationState, payload: str, listing: ListingFacts, rules: Rules, now: datetime
) -> Decision:
    """The answer to a postback or quick reply carrying one of `parley_kit.payloads`."""
    if payload == payloads.GET_STARTED:
        return greet(state, listing, rules, now)
    language = state.language or rules.language
    return decide(state, replies.button_reading(payload, language), listing, rules, now)


def _begin(
    state: NegotiationState, reading: Reading, listing: ListingFacts, rules: Rules, now: datetime
) -> _Turn:
    language = _language(state, reading, rules)
    voice = Voice(language, rules.tone, state.turns, listing.currency)
    return _Turn(
        state=replace(state, turns=state.turns + 1, language=language),
        reading=reading,
        listing=listing,
        rules=rules,
        now=scheduling.local_time(now, rules.time_zone),
        voice=voice,
        step=strategy.price_step(rules.asking_price, listing.currency),
    )


def _language(state: NegotiationState, reading: Reading, rules: Rules) -> str:
    """The buyer's language when the seller speaks it; a message without letters ("8000?")
    keeps the conversation's language."""
    written = reading.language if any(char.isalpha() for char in reading.text) else None
    for language in (written, state.language):
        if language in rules.languages:
            return str(language)
    return rules.language


def _finish(turn: _Turn, outcome: _Outcome) -> Decision:
    text = replies.fit(outcome.parts)
    amounts = tuple(
        amount
        for amount in (outcome.price, outcome.offer)
        if amount is not None and turn.money(amount) in text
    )
    return Decision(
        intent=turn.reading.intent,
        action=outcome.action,
        reply=Reply(text, outcome.quick[:MAX_QUICK_REPLIES]),
        state=replace(outcome.state, price_open=outcome.price is not None),
        language=turn.voice.language,
        offer=outcome.offer,
        price=outcome.price,
        flag=outcome.flag,
        handover_reason=outcome.handover_reason,
        viewing=outcome.viewing,
        pacing=turn.rules.pacing,
        amounts=tuple(dict.fromkeys(amounts)),
    )


# Gates: checked before anything else, in order.


def _gate(turn: _Turn) -> _Outcome | None:
    for gate in (_scam, _floor_moved, _sold):
        outcome = gate(turn)
        if outcome is not None:
            return outcome
    return None


def _scam(turn: _Turn) -> _Outcome | None:
    kind = turn.reading.scam
    if kind is None and turn.reading.intent is not Intent.SCAM:
        return None
    state = replace(turn.state, scam=kind or turn.state.scam)
    return _Outcome(Action.FLAG, (turn.say("scam"),), state, flag=kind)


def _floor_moved(turn: _Turn) -> _Outcome | None:
    """The seller raised the floor above a counter already said: a person must decide."""
    if turn.state.agreed_price is not None or turn.current >= turn.rules.price_floor:
        return None
    return _handover(turn, "the floor is now above a price already offered")


def _sold(turn: _Turn) -> _Outcome | None:
    if turn.listing.available or turn.reading.intent in (Intent.HUMAN, Intent.ABUSE):
        return None
    item = replies.item_name(turn.listing)
    return _Outcome(Action.ANSWER, (turn.say("sold", item=item),), turn.state)


# Routing: people first, then any price in the message, then the intent.


def _route(turn: _Turn) -> _Outcome:
    reading = turn.reading
    if reading.intent in (Intent.HUMAN, Intent.ABUSE):
        return _BY_INTENT[reading.intent](turn)
    if reading.offer.kind is not OfferKind.NONE:
        return _BY_OFFER_KIND[reading.offer.kind](turn)
    if turn.state.pending_offer is not None and reading.intent is Intent.ACCEPTANCE:
        return _offer(turn, turn.state.pending_offer)
    return _BY_INTENT.get(reading.intent, _other)(turn)


def _clear_offer(turn: _Turn) -> _Outcome:
    amount = turn.reading.offer.amount
    return _offer(turn, amount) if amount is not None else _unclear(turn)


def _offer(turn: _Turn, amount: Decimal) -> _Outcome:
    """Accept, counter, hold or decline the buyer's price."""
    if turn.state.agreed_price is not None:
        return _agreed(turn, amount)
    move = strategy.judge_offer(amount, turn.state, turn.rules, turn.step)
    best = max(amount, turn.state.best_offer or amount)
    state = replace(
        turn.state, last_offer=amount, best_offer=best, pending_offer=None, pending_candidates=()
    )
    return _BY_MOVE[move.kind](turn, move, state, amount)


def _accept(turn: _Turn, move: Move, state: NegotiationState, offer: Decimal | None) -> _Outcome:
    price = move.price
    state = replace(state, agreed_price=price, walked_away=False)
    parts = [turn.say("accept", price=turn.money(price))]
    quick: tuple[QuickReply, ...] = ()
    if state.viewing is None and Intent.VIEWING not in turn.reading.also:
        slots = scheduling.next_slots(turn.rules.availability, turn.now)
        parts.append(_next_step(turn, slots))
        quick = turn.voice.slot_buttons(slots)
        state = replace(state, proposed_slots=slots)
    escrow, state = _escrow(turn, state, serious=True)
    return _Outcome(Action.ACCEPT, (*parts, *escrow), state, price, quick, offer)


def _next_step(turn: _Turn, slots: tuple[datetime, ...]) -> str:
    if slots:
        return turn.say("next_slots", slots=turn.voice.on_slots(slots))
    return turn.say("next_viewing")


def _counter(turn: _Turn, move: Move, state: NegotiationState, offer: Decimal | None) -> _Outcome:
    price = move.price
    state = state.with_counter(price)
    # The last concession says it is the best the seller can do; "final" comes with the hold.
    text = turn.say("counter_last" if move.final else "counter", price=turn.money(price))
    serious = offer is not None and offer >= price * SERIOUS_SHARE
    escrow, state = _escrow(turn, state, serious=serious)
    quick = turn.voice.price_buttons(price, final=move.final)
    return _Outcome(Action.COUNTER, (text, *escrow), state, price, quick, offer)


def _hold(turn: _Turn, move: Move, state: NegotiationState, offer: Decimal | None) -> _Outcome:
    price = move.price
    if move.final:
        state = replace(state, final_price=price)
        key = "hold_final"
    else:
        key = "hold" if state.counters else "price"
    quick = turn.voice.price_buttons(price, final=move.final)
    text = turn.say(key, price=turn.money(price))
    return _Outcome(Action.HOLD, (text,), state, price, quick, offer)


def _decline(turn: _Turn, move: Move, state: NegotiationState, offer: Decimal | None) -> _Outcome:
    price = move.price
    state = replace(state, lowballs=state.lowballs + 1)
    if move.final:
        state = replace(state, final_price=price)
    text = turn.say("decline_final" if move.final else "decline", price=turn.money(price))
    quick = turn.voice.price_buttons(price, final=move.final)
    return _Outcome(Action.DECLINE, (text,), state, price, quick, offer)


def _agreed(turn: _Turn, offer: Decimal | None = None) -> _Outcome:
    """A price message after a deal: the agreed price stands."""
    agreed = turn.state.agreed_price or turn.current
    key = "agreed" if offer is not None and offer < agreed else "agreed_again"
    parts = (turn.say(key, price=turn.money(agreed)),)
    return _Outcome(Action.ANSWER, parts, turn.state, agreed, offer=offer)


def _implausible(turn: _Turn) -> _Outcome:
    """A number that needs scaling ("7" for 7,000): ask, never use it unconfirmed."""
    amount = turn.reading.offer.amount
    if amount is None:
        return _unclear(turn)
    state = replace(turn.state, pending_offer=amount)
    if amount < turn.rules.price_floor:
        # Never say an amount below the floor, not even to check it.
        return _Outcome(Action.ANSWER, (turn.say("confirm_unclear"),), state)
    shown = turn.money(amount)
    quick = (turn.voice.quick("yes", f"{payloads.ACCEPT_PREFIX}{amount}", amount=shown),)
    return _Outcome(Action.ANSWER, (turn.say("confirm", amount=shown),), state, quick=quick)


def _ambiguous(turn: _Turn) -> _Outcome:
    """Several possible prices: ask which, naming only those at or above the floor."""
    candidates = tuple(turn.reading.offer.candidates)
    state = replace(turn.state, pending_candidates=candidates)
    shown = [amount for amount in candidates if amount >= turn.rules.price_floor][:3]
    if not shown:
        return _Outcome(Action.ANSWER, (turn.say("confirm_unclear"),), state)
    options = turn.voice.either(turn.money(amount) for amount in shown)
    quick = turn.voice.amount_buttons(shown)
    return _Outcome(Action.ANSWER, (turn.say("ambiguous", options=options),), state, quick=quick)


def _unclear(turn: _Turn) -> _Outcome:
    return _Outcome(Action.ANSWER, (turn.say("confirm_unclear"),), turn.state)


# Intents without a price.


def _welcome(turn: _Turn) -> _Outcome:
    facts = replies.facts_line(turn.listing, turn.voice)
    item = replies.item_name(turn.listing)
    text = turn.say("greet", item=item, facts=facts, price=turn.money(turn.current))
    quick = turn.voice.menu_buttons(person=turn.rules.human_takeover_enabled)
    return _Outcome(Action.ANSWER, (text,), turn.state, turn.current, quick)


def _priced_answer(turn: _Turn, key: str) -> _Outcome:
    if turn.state.agreed_price is not None:
        return _agreed(turn)
    item = replies.item_name(turn.listing)
    text = turn.say(key, item=item, price=turn.money(turn.current))
    return _Outcome(Action.ANSWER, (text,), turn.state, turn.current, turn.voice.menu_buttons())


def _price_question(turn: _Turn, key: str = "price") -> _Outcome:
    if turn.state.agreed_price is not None:
        return _agreed(turn)
    price = turn.current
    if strategy.is_final(turn.state, turn.rules, turn.step):
        state = replace(turn.state, final_price=price)
        text = turn.say("price_final", price=turn.money(price))
        return _Outcome(
            Action.HOLD, (text,), state, price, turn.voice.price_buttons(price, final=True)
        )
    text = turn.say(key, price=turn.money(price))
    return _Outcome(Action.ANSWER, (text,), turn.state, price, turn.voice.menu_buttons())


def _acceptance(turn: _Turn) -> _Outcome:
    """A bare yes: a deal at the price on the table, or a question when none was."""
    if turn.state.agreed_price is not None:
        return _agreed(turn)
    price = turn.current
    if not turn.state.price_open:
        text = turn.say("confirm_deal", price=turn.money(price))
        quick = turn.voice.price_buttons(price, final=turn.state.final_price is not None)
        return _Outcome(Action.ANSWER, (text,), turn.state, price, quick)
    return _accept(turn, Move(MoveKind.ACCEPT, price), turn.state, None)


def _item_question(turn: _Turn) -> _Outcome:
    text = replies.answers(turn.reading.topics, turn.listing, turn.voice)
    return _Outcome(Action.ANSWER, (text,), turn.state, quick=turn.voice.menu_buttons())


def _viewing(turn: _Turn) -> _Outcome:
    text, quick, state, booked = _viewing_parts(turn, turn.state)
    return _Outcome(Action.ANSWER, (text,), state, quick=quick, viewing=booked)


def _viewing_parts(
    turn: _Turn, state: NegotiationState
) -> tuple[str, tuple[QuickReply, ...], NegotiationState, datetime | None]:
    """Book the asked time, or offer times inside the seller's availability."""
    plan = scheduling.plan(turn.rules.availability, turn.reading.viewing, turn.now)
    text, quick = turn.voice.viewing(plan, turn.listing.location)
    if plan.booked is not None:
        state = replace(state, viewing=plan.booked, proposed_slots=())
    elif plan.options:
        state = replace(state, proposed_slots=plan.options)
    return text, quick, state, plan.booked


def _payment(turn: _Turn) -> _Outcome:
    escrow, state = _escrow(turn, turn.state, serious=True)
    return _Outcome(Action.ANSWER, (turn.say("payment"), *escrow), state)


def _human(turn: _Turn) -> _Outcome:
    return _handover(turn, "the buyer asked for a person")


def _handover(turn: _Turn, reason: str, key: str = "handover") -> _Outcome:
    if not turn.rules.human_takeover_enabled:
        text = turn.say("handover_off" if key == "handover" else "check_seller")
        return _Outcome(Action.ANSWER, (text,), turn.state)
    state = replace(turn.state, handed_over=True)
    return _Outcome(Action.HANDOVER, (turn.say(key),), state, handover_reason=reason)


def _abuse(turn: _Turn) -> _Outcome:
    state = replace(turn.state, abuse=turn.state.abuse + 1)
    if state.abuse >= ABUSE_LIMIT and turn.rules.human_takeover_enabled:
        return _handover(replace(turn, state=state), "abusive messages", "abuse_handover")
    text = turn.say("abuse", item=replies.item_name(turn.listing))
    return _Outcome(Action.ANSWER, (text,), state)


def _rejection(turn: _Turn) -> _Outcome:
    """The buyer walks away (or backs out of a deal): one last, final counter when
    concessions are left."""
    state = replace(turn.state, walked_away=True, agreed_price=None)
    last = strategy.walk_away_price(state, turn.rules, turn.step)
    if last is not None and turn.state.agreed_price is None:
        state = replace(state.with_counter(last), final_price=last)
        text = turn.say("walk_save", price=turn.money(last))
        quick = turn.voice.price_buttons(last, final=True)
        return _Outcome(Action.COUNTER, (text,), state, last, quick)
    if state.counters and strategy.is_final(state, turn.rules, turn.step):
        text = turn.say("rejection_final", price=turn.money(turn.current))
        return _Outcome(
            Action.HOLD, (text,), replace(state, final_price=turn.current), turn.current
        )
    return _Outcome(Action.ANSWER, (turn.say("rejection"),), state)


def _thanks(turn: _Turn) -> _Outcome:
    key = "thanks_agreed" if turn.state.agreed_price is not None else "thanks"
    return _Outcome(Action.ANSWER, (turn.say(key),), turn.state)


def _other(turn: _Turn) -> _Outcome:
    key = _ATTACHMENT_KEYS.get(turn.reading.attachment, "other")
    text = turn.say(key, item=replies.item_name(turn.listing))
    return _Outcome(Action.ANSWER, (text,), turn.state, quick=turn.voice.menu_buttons())


# Extras: what a message asked besides its main intent.


def _extras(turn: _Turn, outcome: _Outcome) -> _Outcome:
    reading = turn.reading
    if outcome.action in (Action.FLAG, Action.HANDOVER) or not turn.listing.available:
        return outcome
    if Intent.ITEM_QUESTION in reading.also and reading.topics:
        facts = replies.answers(reading.topics, turn.listing, turn.voice)
        outcome = replace(outcome, parts=(facts, *outcome.parts))
    if Intent.VIEWING in reading.also and reading.intent is not Intent.VIEWING:
        text, quick, state, booked = _viewing_parts(turn, outcome.state)
        merged = (*outcome.quick, *quick)
        outcome = replace(
            outcome, parts=(*outcome.parts, text), quick=merged, state=state, viewing=booked
        )
    return outcome


def _escrow(
    turn: _Turn, state: NegotiationState, *, serious: bool
) -> tuple[tuple[str, ...], NegotiationState]:
    """Escrow, offered once to a serious buyer when the seller enabled it."""
    if not (turn.rules.escrow_enabled and serious) or state.escrow_offered:
        return (), state
    return (turn.say("escrow"),), replace(state, escrow_offered=True)


_BY_MOVE: dict[MoveKind, Callable[[_Turn, Move, NegotiationState, Decimal | None], _Outcome]] = {
    MoveKind.ACCEPT: _accept,
    MoveKind.COUNTER: _counter,
    MoveKind.HOLD: _hold,
    MoveKind.DECLINE: _decline,
}
_BY_OFFER_KIND: dict[OfferKind, Callable[[_Turn], _Outcome]] = {
    OfferKind.OFFER: _clear_offer,
    OfferKind.IMPLAUSIBLE: _implausible,
    OfferKind.AMBIGUOUS: _ambiguous,
}
_BY_INTENT: dict[Intent, Callable[[_Turn], _Outcome]] = {
    Intent.GREETING: partial(_priced_answer, key="hello"),
    Intent.AVAILABILITY: partial(_priced_answer, key="available"),
    Intent.PRICE_QUESTION: _price_question,
    Intent.OFFER: partial(_price_question, key="offer_prompt"),
    Intent.ACCEPTANCE: _acceptance,
    Intent.ITEM_QUESTION: _item_question,
    Intent.VIEWING: _viewing,
    Intent.PAYMENT: _payment,
    Intent.HUMAN: _human,
    Intent.ABUSE: _abuse,
    Intent.REJECTION: _rejection,
    Intent.THANKS: _thanks,
}
_ATTACHMENT_KEYS = {
    Attachment.IMAGE: "image",
    Attachment.AUDIO: "attachment",
    Attachment.VIDEO: "attachment",
    Attachment.FILE: "attachment",
    Attachment.LIKE: "thanks",
    Attachment.STICKER: "thanks",
    Attachment.LOCATION: "thanks",
}
