"""What to do with a buyer's price: accept, counter, hold or decline, never below the floor.

The seller concedes along a schedule from the asking price towards the floor, in shrinking
steps shaped by the tone, at most `max_concessions` times; each counter splits the gap to the
buyer's offer but never passes the schedule; once the concessions are spent the last counter
is the final price. Counters are rounded to a step that suits the amount and the currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from enum import StrEnum

from parley_negotiation.domain.model import NegotiationState, Rules, Tone

# (upper bound of the asking price, rounding step), smallest first; the last step covers
# anything larger. Thai baht prices are ~35 times dollar prices and rounded more coarsely.
_STEPS: dict[str, tuple[tuple[Decimal, Decimal], ...]] = {
    "THB": (
        (Decimal(1_000), Decimal(10)),
        (Decimal(10_000), Decimal(100)),
        (Decimal(100_000), Decimal(500)),
        (Decimal("Infinity"), Decimal(1_000)),
    ),
    "*": (
        (Decimal(50), Decimal(1)),
        (Decimal(500), Decimal(5)),
        (Decimal(2_000), Decimal(10)),
        (Decimal(10_000), Decimal(50)),
        (Decimal(50_000), Decimal(100)),
        (Decimal("Infinity"), Decimal(500)),
    ),
}


@dataclass(frozen=True)
class ToneProfile:
    """How a tone concedes.

    reach: share of the bargaining zone (asking - floor) given away by the last concession.
    decay: each concession is this share of the previous one.
    split: share of the gap to the buyer's offer a counter may give away.
    last_split: the same for the last concession, which decides whether a deal is possible.
    close: an offer at or above the floor this close to the current price (share of the
    asking price) is simply accepted.
    """

    reach: Decimal
    decay: Decimal
    split: Decimal
    last_split: Decimal
    close: Decimal


PROFILES = {
    Tone.FIRM: ToneProfile(
        reach=Decimal("0.85"),
        decay=Decimal("0.8"),
        split=Decimal("0.4"),
        last_split=Decimal("0.5"),
        close=Decimal("0.01"),
    ),
    Tone.BALANCED: ToneProfile(
        reach=Decimal("0.95"),
        decay=Decimal("0.7"),
        split=Decimal("0.5"),
        last_split=Decimal("0.65"),
        close=Decimal("0.02"),
    ),
    Tone.FLEXIBLE: ToneProfile(
        reach=Decimal("1"),
        decay=Decimal("0.6"),
        split=Decimal("0.5"),
        last_split=Decimal("0.75"),
        close=Decimal("0.03"),
    ),
}
# An offer further below the floor than this share of max(bargaining zone, 10% of asking)
# is a lowball: declined without any concession.
LOWBALL_SHARE = Decimal("0.5")


class MoveKind(StrEnum):
    """The engine's answer to a price."""

    ACCEPT = "accept"
    COUNTER = "counter"
    HOLD = "hold"
    DECLINE = "decline"


@dataclass(frozen=True)
class Move:
    """The answer to a buyer's price: `price` is what the bot commits to (the accepted price,
    the new counter or the price it holds at); `final` when it will go no lower."""

    kind: MoveKind
    price: Decimal
    final: bool = False


def price_step(asking: Decimal, currency: str) -> Decimal:
    """The step counters are rounded to for a listing at `asking` in `currency`."""
    table = _STEPS.get(currency.upper(), _STEPS["*"])
    return next(step for bound, step in table if asking < bound)


def round_to(amount: Decimal, step: Decimal, *, up: bool = False) -> Decimal:
    """`amount` rounded to a multiple of `step` (half up, or always up with `up`)."""
    units = (amount / step).quantize(Decimal(1), rounding=ROUND_CEILING if up else ROUND_HALF_UP)
    return units * step


def lowest_counter(rules: Rules, step: Decimal) -> Decimal:
    """The lowest price the bot ever counters at: the floor rounded up, never above asking."""
    return min(round_to(rules.price_floor, step, up=True), rules.asking_price)


def schedule(rules: Rules, step: Decimal) -> tuple[Decimal, ...]:
    """The lowest counter allowed after each concession (1st, 2nd, ...), never rising and
    never below the floor."""
    profile = PROFILES[rules.tone]
    count = rules.max_concessions
    weights = [profile.decay**index for index in range(count)]
    total = sum(weights, Decimal(0))
    give = (rules.asking_price - rules.price_floor) * profile.reach
    bottom = lowest_counter(rules, step)
    targets, given = [], Decimal(0)
    for weight in weights:
        given += give * weight / total
        targets.append(max(round_to(rules.asking_price - given, step), bottom))
    return tuple(targets)


def lowball_line(rules: Rules) -> Decimal:
    """Offers below this are too far from the floor to negotiate on."""
    zone = rules.asking_price - rules.price_floor
    return rules.price_floor - LOWBALL_SHARE * max(zone, rules.asking_price / 10)


def is_final(state: NegotiationState, rules: Rules, step: Decimal) -> bool:
    """Whether the bot has nothing left to concede, or already called its price final."""
    spent = state.concessions >= rules.max_concessions or state.final_price is not None
    return spent or state.current_price(rules) <= lowest_counter(rules, step)


def judge_offer(offer: Decimal, state: NegotiationState, rules: Rules, step: Decimal) -> Move:
    """Accept, counter, hold or decline the buyer's `offer`, given what was said before."""
    current = state.current_price(rules)
    final = is_final(state, rules, step)
    if rules.auto_accept_at is not None and offer >= rules.auto_accept_at:
        return Move(MoveKind.ACCEPT, min(offer, current))
    if offer >= current:
        return Move(MoveKind.ACCEPT, current)
    # Once a price was called final, nothing below it is ever accepted.
    closing = state.final_price is None and current - offer <= close_gap(rules, step)
    if closing and offer >= rules.price_floor:
        return Move(MoveKind.ACCEPT, offer)
    if offer < lowball_line(rules):
        return Move(MoveKind.DECLINE, current, final)
    if final or _stalled(offer, state):
        return Move(MoveKind.HOLD, current, final)
    return _counter(offer, state, rules, step)


def close_gap(rules: Rules, step: Decimal) -> Decimal:
    """How close to the current price an offer (at or above the floor) is simply accepted."""
    zone = rules.asking_price - rules.price_floor
    share = PROFILES[rules.tone].close
    return max(step, min(rules.asking_price * share, zone / 5))


def _stalled(offer: Decimal, state: NegotiationState) -> bool:
    """The buyer did not come up since the bot last conceded: no concession twice in a row."""
    return bool(state.counters) and state.last_offer is not None and offer <= state.last_offer


def _counter(offer: Decimal, state: NegotiationState, rules: Rules, step: Decimal) -> Move:
    """The next counter: split the gap to `offer`, bounded by the schedule and the floor."""
    current = state.current_price(rules)
    target = schedule(rules, step)[state.concessions]
    last = state.concessions + 1 >= rules.max_concessions
    profile = PROFILES[rules.tone]
    share = profile.last_split if last else profile.split
    split = round_to(current - (current - offer) * share, step, up=True)
    price = max(target, split, lowest_counter(rules, step))
    if price >= current:
        return Move(MoveKind.HOLD, current, False)
    return Move(MoveKind.COUNTER, price, last or price <= lowest_counter(rules, step))


def walk_away_price(state: NegotiationState, rules: Rules, step: Decimal) -> Decimal | None:
    """When the buyer walks away with concessions left, one last (final) counter: the
    schedule's last step, or the buyer's best offer when that is higher and above the floor;
    None when nothing is left to give or the buyer never named a serious price."""
    best = state.best_offer
    if is_final(state, rules, step) or best is None or best < lowball_line(rules):
        return None
    anchor = best if best >= rules.price_floor else lowest_counter(rules, step)
    price = max(schedule(rules, step)[-1], anchor, lowest_counter(rules, step))
    return price if price < state.current_price(rules) else None
