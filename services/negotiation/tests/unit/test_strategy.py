"""The concession schedule and the answer to a price: floor, auto-accept, finals, lowballs."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from parley_negotiation.domain.model import InvalidRules, NegotiationState, Rules, Tone
from parley_negotiation.domain.strategy import (
    Move,
    MoveKind,
    close_gap,
    judge_offer,
    lowball_line,
    lowest_counter,
    price_step,
    round_to,
    schedule,
    walk_away_price,
)

D = Decimal
STEP = D(50)


def rules(**changes: object) -> Rules:
    base = Rules(asking_price=D(8500), price_floor=D(7000), max_concessions=3)
    return replace(base, **changes)  # type: ignore[arg-type]


def said(*counters: int, last_offer: int | None = None) -> NegotiationState:
    """A state in which the bot already offered `counters`."""
    return NegotiationState(
        counters=tuple(D(c) for c in counters),
        concessions=len(counters),
        last_offer=None if last_offer is None else D(last_offer),
    )


@pytest.mark.parametrize(
    ("asking", "currency", "step"),
    [
        (D(30), "USD", D(1)),
        (D(450), "USD", D(5)),
        (D(1500), "USD", D(10)),
        (D(8500), "USD", D(50)),
        (D(30000), "USD", D(100)),
        (D(120000), "USD", D(500)),
        (D(800), "THB", D(10)),
        (D(9000), "THB", D(100)),
        (D(45000), "THB", D(500)),
        (D(350000), "THB", D(1000)),
        (D(8500), "thb", D(100)),
    ],
)
def test_counters_round_to_a_step_that_suits_the_amount(
    asking: Decimal, currency: str, step: Decimal
) -> None:
    assert price_step(asking, currency) == step


@pytest.mark.parametrize(
    ("amount", "up", "expected"),
    [(D(7324), False, D(7300)), (D(7325), False, D(7350)), (D(7301), True, D(7350))],
)
def test_round_to_rounds_half_up_or_always_up(amount: Decimal, up: bool, expected: Decimal) -> None:
    assert round_to(amount, STEP, up=up) == expected


@pytest.mark.parametrize("tone", list(Tone))
@pytest.mark.parametrize("count", [1, 2, 3, 5, 10])
def test_schedule_falls_in_shrinking_steps_and_never_below_the_floor(
    tone: Tone, count: int
) -> None:
    seller = rules(tone=tone, max_concessions=count)
    targets = schedule(seller, STEP)
    assert len(targets) == count
    assert all(target >= seller.price_floor for target in targets)
    assert list(targets) == sorted(targets, reverse=True)
    steps = [a - b for a, b in zip((seller.asking_price, *targets), targets, strict=False)]
    assert all(later <= earlier + STEP for earlier, later in zip(steps, steps[1:], strict=False))


def test_firm_concedes_slower_than_balanced_slower_than_flexible() -> None:
    firsts = [schedule(rules(tone=tone), STEP)[0] for tone in Tone]
    lasts = [schedule(rules(tone=tone), STEP)[-1] for tone in Tone]
    assert firsts == sorted(firsts, reverse=True)
    assert lasts == sorted(lasts, reverse=True)
    assert schedule(rules(tone=Tone.FLEXIBLE), STEP)[-1] == D(7000)


def test_lowest_counter_is_the_floor_rounded_up_but_never_above_asking() -> None:
    assert lowest_counter(rules(price_floor=D(7020)), STEP) == D(7050)
    assert lowest_counter(rules(asking_price=D(8470), price_floor=D(8460)), STEP) == D(8470)


@pytest.mark.parametrize(
    ("offer", "expected"),
    [
        (D(8500), Move(MoveKind.ACCEPT, D(8500))),
        (D(9000), Move(MoveKind.ACCEPT, D(8500))),
        (D(8000), Move(MoveKind.ACCEPT, D(8000))),  # at auto-accept
        (D("7999.99"), None),  # one cent below auto-accept: negotiated
    ],
)
def test_auto_accept_takes_offers_at_or_above_the_threshold(
    offer: Decimal, expected: Move | None
) -> None:
    move = judge_offer(offer, NegotiationState(), rules(auto_accept_at=D(8000)), STEP)
    if expected is None:
        assert move.kind is MoveKind.COUNTER
    else:
        assert move == expected


def test_an_offer_at_or_above_the_current_counter_is_accepted_at_the_counter() -> None:
    assert judge_offer(D(7900), said(7800), rules(), STEP) == Move(MoveKind.ACCEPT, D(7800))
    assert judge_offer(D(7800), said(7800), rules(), STEP) == Move(MoveKind.ACCEPT, D(7800))


def test_a_counter_splits_the_gap_but_stays_within_the_schedule() -> None:
    move = judge_offer(D(8000), NegotiationState(), rules(), STEP)
    assert move == Move(MoveKind.COUNTER, D(8250))  # half of the 500 gap
    far = judge_offer(D(6500), NegotiationState(), rules(), STEP)
    assert far == Move(MoveKind.COUNTER, schedule(rules(), STEP)[0])


def test_an_offer_close_to_the_counter_and_above_the_floor_is_accepted() -> None:
    seller = rules()
    gap = close_gap(seller, STEP)
    assert judge_offer(D(7800) - gap, said(7800), seller, STEP) == Move(
        MoveKind.ACCEPT, D(7800) - gap
    )
    assert judge_offer(D(7800) - gap - 1, said(7800), seller, STEP).kind is MoveKind.COUNTER


@pytest.mark.parametrize(
    ("offer", "kind"),
    [(D(7000), MoveKind.ACCEPT), (D("6999.99"), MoveKind.HOLD), (D(6000), MoveKind.DECLINE)],
)
def test_at_the_floor_counter_an_offer_one_cent_below_the_floor_is_never_accepted(
    offer: Decimal, kind: MoveKind
) -> None:
    move = judge_offer(offer, said(7800, 7300, 7000), rules(), STEP)
    assert move.kind is kind
    assert move.price == D(7000)


def test_after_max_concessions_the_bot_holds_at_its_final_price() -> None:
    move = judge_offer(D(7100), said(8000, 7700, 7500), rules(), STEP)
    assert move == Move(MoveKind.HOLD, D(7500), True)


def test_the_last_concession_is_marked_final() -> None:
    move = judge_offer(D(7100), said(8000, 7700), rules(), STEP)
    assert move.kind is MoveKind.COUNTER
    assert move.final
    assert move.price < D(7700)


def test_no_concessions_allowed_means_the_asking_price_is_final() -> None:
    move = judge_offer(D(8000), NegotiationState(), rules(max_concessions=0), STEP)
    assert move == Move(MoveKind.HOLD, D(8500), True)


def test_a_lowball_is_declined_without_a_concession() -> None:
    seller = rules()
    move = judge_offer(lowball_line(seller) - 1, said(8000), seller, STEP)
    assert move == Move(MoveKind.DECLINE, D(8000))


def test_a_buyer_who_does_not_come_up_gets_no_second_concession() -> None:
    move = judge_offer(D(7200), said(8000, last_offer=7200), rules(), STEP)
    assert move == Move(MoveKind.HOLD, D(8000))


def test_a_counter_never_goes_below_the_floor_even_when_splitting_a_low_offer() -> None:
    seller = rules(tone=Tone.FLEXIBLE, max_concessions=2, price_floor=D(7020))
    move = judge_offer(D(6700), said(7300), seller, STEP)  # half the gap would be 7,000
    assert move == Move(MoveKind.COUNTER, D(7050), True)  # the floor rounded up, final


def test_walking_away_earns_one_final_counter_near_the_best_offer() -> None:
    state = replace(said(8000), best_offer=D(7600))
    assert walk_away_price(state, rules(), STEP) == D(7600)
    low = replace(said(8000), best_offer=D(6600))
    assert walk_away_price(low, rules(), STEP) == schedule(rules(), STEP)[-1]


def test_walking_away_after_a_lowball_or_at_the_final_price_earns_nothing() -> None:
    assert walk_away_price(replace(said(8000), best_offer=D(3000)), rules(), STEP) is None
    final = replace(said(8000, 7700, 7500), best_offer=D(7400))
    assert walk_away_price(final, rules(), STEP) is None
    assert walk_away_price(said(8000), rules(), STEP) is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"price_floor": D(9000)}, "price_floor"),
        ({"auto_accept_at": D(6000)}, "auto_accept_at"),
        ({"max_concessions": -1}, "max_concessions"),
        ({"tone": "stubborn"}, "tone"),
        ({"languages": ("fr",)}, "languages"),
        ({"asking_price": D(0), "price_floor": D(0)}, "asking_price"),
    ],
)
def test_contradictory_rules_are_refused_naming_the_field(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidRules, match=f"^{field}: "):
        rules(**changes)


def test_rules_accept_a_tone_as_text_and_regional_language_tags() -> None:
    seller = rules(tone="firm", languages=("th-TH", "en_US"))
    assert seller.tone is Tone.FIRM
    assert seller.languages == ("th", "en")
