"""Scripted buyers haggle in text, in English and Thai, against `respond()` over generated
listings; the report tells how often deals close, at what price, and checks the floor.

Each buyer has a private limit (the most they would pay) and a style: opening low and
conceding step by step, bluffing "firm" before conceding, lowballing first, or accepting
quickly. All walk away once the seller's price stays above their limit. A deal is possible
when the limit is at or above the seller's floor.
"""

from __future__ import annotations

import random
import re
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from parley_negotiation.domain.engine import respond
from parley_negotiation.domain.model import (
    Action,
    Decision,
    ListingFacts,
    NegotiationState,
    Rules,
    Tone,
)
from parley_negotiation.domain.strategy import price_step, round_to

STYLES = ("stepper", "bluffer", "lowballer", "quick", "walker")
MAX_MESSAGES = 16
NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
# Money as the engine writes it: $8,500, ฿8,500, 8,500 บาท, 8,500 XYZ.
_MONEY = re.compile(r"(?:[$€£¥฿])\s?(\d[\d,]*(?:\.\d+)?)|(\d[\d,]*(?:\.\d+)?)\s?(?:บาท|[A-Z]{3}\b)")
_CARS = (
    ("Toyota", "Camry"),
    ("Honda", "Civic"),
    ("Ford", "Ranger"),
    ("Mazda", "CX-5"),
    ("Isuzu", "D-Max"),
    ("Nissan", "Almera"),
)
# (Thai baht?, a car?) -> the range asking prices are drawn from.
_PRICE_RANGES = {
    (True, True): (120_000, 1_500_000),
    (True, False): (500, 30_000),
    (False, True): (2_500, 45_000),
    (False, False): (40, 1_500),
}
_GOODS = ("Road bike", "Sofa", "Camera", "Guitar", "Laptop", "Desk")
_PHRASES = {
    "en": {
        "offer": (
            "Would you take {amount}?",
            "I can do {amount}",
            "How about {amount}?",
            "{amount} cash today?",
            "I'd pay {amount} for it",
        ),
        "firm": ("{amount} firm, final offer", "{amount} is my final offer"),
        "accept": ("ok deal", "Deal!", "ok I'll take it"),
        "walk": ("no thanks, too expensive for me", "That's too much for me, I'll pass"),
        "ask": ("What's your lowest price?", "Is the price negotiable?"),
        "hello": ("Hi, is this still available?", "Hello, still for sale?"),
    },
    "th": {
        "offer": (
            "{amount} ได้ไหมครับ",
            "ลดเหลือ {amount} ได้ไหมครับ",
            "ขอ {amount} ได้ไหมคะ",
            "ให้ {amount} ครับ",
        ),
        "firm": ("{amount} ราคาสุดท้ายครับ", "ได้แค่ {amount} จริงๆ ครับ"),
        "accept": ("ตกลงครับ", "โอเคครับ ตกลง", "ตกลงค่ะ"),
        "walk": ("แพงไปครับ ไม่เอาดีกว่า", "ไม่เป็นไรครับ ขอบคุณครับ"),
        "ask": ("ราคาต่ำสุดเท่าไหร่ครับ", "ลดได้ไหมครับ"),
        "hello": ("ยังอยู่ไหมครับ", "สวัสดีครับ ยังขายอยู่ไหม"),
    },
}


@dataclass(frozen=True)
class Market:
    """One generated listing with its seller's rules and the buyers' language."""

    listing: ListingFacts
    rules: Rules
    language: str


@dataclass(frozen=True)
class Outcome:
    """How one conversation ended."""

    style: str
    limit: Decimal
    floor: Decimal
    asking: Decimal
    price: Decimal | None
    messages: int
    violations: tuple[str, ...]


@dataclass
class Buyer:
    """A scripted buyer: what they say next, given the seller's last decision."""

    style: str
    limit: Decimal
    language: str
    step: Decimal
    rng: random.Random
    asking: Decimal
    offered: Decimal | None = None
    said: int = 0
    walked: bool = False
    bluffs: int = 0

    @property
    def patience(self) -> int:
        """Messages after which a buyer whose limit is still short walks away."""
        return 6 if self.style == "walker" else 12

    def opening(self) -> str:
        """The first message."""
        if self.style == "quick":
            return self._say("ask")
        if self.style == "walker" and self.rng.random() < 0.5:
            return self._say("hello")
        return self._open()

    def answer(self, decision: Decision) -> str | None:
        """The next message, or None when the buyer is done."""
        price = decision.price
        if decision.action is Action.ACCEPT:
            return None
        if price is None:
            return self._offer(self.offered) if self.offered is not None else self._open()
        if self.walked:
            return self._say("accept") if price <= self.limit else None
        if price <= self.limit and self._content(decision, price):
            return self._say("accept")
        if self.offered is None:
            return self._open()
        return self._haggle(price, final=sounds_final(decision))

    def _open(self) -> str:
        low, high = _OPENING.get(self.style, (0.7, 0.88))
        amount = self.limit * Decimal(str(self.rng.uniform(low, high)))
        return self._offer(amount, firm=self.style == "bluffer")

    def _content(self, decision: Decision, price: Decimal) -> bool:
        """Whether the buyer takes a price within their limit rather than haggle on."""
        if self.style == "quick" or sounds_final(decision):
            return True
        own = self.offered or Decimal(0)
        return price - own <= self.asking * Decimal("0.03") or self.said >= self.patience

    def _haggle(self, price: Decimal, *, final: bool) -> str:
        own = self.offered or Decimal(0)
        if own >= self.limit or self.said >= self.patience:
            self.walked = True
            return self._say("walk")
        if final:
            return self._offer(self.limit, firm=True)
        if self.style == "bluffer" and self.bluffs < 2:
            self.bluffs += 1
            return self._offer(own, firm=True)
        share = Decimal(str(self.rng.uniform(0.3, 0.6)))
        amount = self._next(own + (min(price, self.limit) - own) * share)
        return self._say("accept") if amount >= price else self._offer(amount)

    def _next(self, amount: Decimal) -> Decimal:
        """About `amount`, rounded as people do, never above the limit and one step above an
        earlier offer when rounding would repeat it."""
        rounded = min(round_to(amount, self.step * 2), self.limit)
        if self.offered is not None and rounded <= self.offered:
            rounded = min(self.offered + self.step * 2, self.limit)
        return rounded

    def _offer(self, amount: Decimal, *, firm: bool = False) -> str:
        """Offer `amount` (rounded when it is not firm), never below an earlier offer."""
        chosen = amount if firm else self._next(amount)
        self.offered = max(chosen, self.offered or chosen)
        return self._say("firm" if firm else "offer", amount=self._written(self.offered))

    def _written(self, amount: Decimal) -> str:
        """An amount as buyers type it: "$7,500", "7500", "7.5k", "250,000 บาท"."""
        whole = int(amount)
        forms = [f"{whole:,}", str(whole)]
        if self.language == "en":
            forms.append(f"${whole:,}")
            if whole % 100 == 0 and whole >= 1000:
                forms.append(f"{whole / 1000:g}k")
        else:
            forms.append(f"{whole:,} บาท")
        return self.rng.choice(forms)

    def _say(self, kind: str, **values: str) -> str:
        self.said += 1
        return self.rng.choice(_PHRASES[self.language][kind]).format(**values)


_OPENING = {"lowballer": (0.45, 0.6), "bluffer": (0.7, 0.8), "quick": (0.85, 0.95)}


def sounds_final(decision: Decision) -> bool:
    """Whether the reply says the price is final, as a buyer reads it."""
    text = decision.reply.text.lower()
    return "final" in text or "สุดท้าย" in text


def markets(seed: int, count: int) -> Iterator[Market]:
    """`count` generated listings: cars and small goods, in dollars (English) or baht
    (Thai), with floors, auto-accept prices, tones and concession limits drawn at random."""
    rng = random.Random(seed)
    for _ in range(count):
        yield _market(rng)


def _market(rng: random.Random) -> Market:
    thai = rng.random() < 0.4
    car = rng.random() < 0.75
    currency, language = ("THB", "th") if thai else ("USD", "en")
    low, high = _PRICE_RANGES[(thai, car)]
    rough = Decimal(round(rng.uniform(low, high)))
    step = price_step(rough, currency)
    asking = round_to(rough, step * 10)
    floor = round_to(asking * Decimal(str(rng.uniform(0.72, 0.95))), step)
    auto = None
    if rng.random() < 0.5:
        auto = round_to(floor + (asking - floor) * Decimal(str(rng.uniform(0.5, 0.9))), step)
    rules = Rules(
        asking_price=asking,
        price_floor=floor,
        auto_accept_at=max(auto, floor) if auto is not None else None,
        max_concessions=rng.randint(1, 5),
        tone=rng.choice(list(Tone)),
        languages=(language,),
    )
    return Market(_listing(rng, asking, currency, car), rules, language)


def _listing(rng: random.Random, asking: Decimal, currency: str, car: bool) -> ListingFacts:
    if not car:
        title = rng.choice(_GOODS)
        return ListingFacts(title=title, price=asking, currency=currency)
    make, model = rng.choice(_CARS)
    return ListingFacts(
        title=f"{make} {model}",
        price=asking,
        currency=currency,
        year=rng.randint(2008, 2023),
        make=make,
        model=model,
        mileage=rng.randint(20, 220) * 1000,
        mileage_unit="km" if currency == "THB" else "mi",
    )


def haggle(market: Market, style: str, limit: Decimal, rng: random.Random) -> Outcome:
    """One conversation between a scripted buyer and the engine."""
    rules = market.rules
    step = price_step(rules.asking_price, market.listing.currency)
    buyer = Buyer(style, limit, market.language, step, rng, rules.asking_price)
    state = NegotiationState()
    message: str | None = buyer.opening()
    violations: list[str] = []
    price = None
    while message is not None and buyer.said <= MAX_MESSAGES:
        decision = respond(state, message, market.listing, rules, NOW)
        violations.extend(floor_violations(decision, rules.price_floor))
        state = decision.state
        if decision.action is Action.ACCEPT:
            price = decision.price
            break
        message = buyer.answer(decision)
    return Outcome(
        style, limit, rules.price_floor, rules.asking_price, price, buyer.said, tuple(violations)
    )


def floor_violations(decision: Decision, floor: Decimal) -> list[str]:
    """Every way a decision goes below the floor: its price, the agreed price, any amount
    its reply names."""
    found = []
    priced = decision.action in (Action.COUNTER, Action.ACCEPT, Action.HOLD, Action.DECLINE)
    if priced and decision.price is not None and decision.price < floor:
        found.append(f"{decision.action.value} at {decision.price}")
    agreed = decision.state.agreed_price
    if agreed is not None and agreed < floor:
        found.append(f"agreed at {agreed}")
    for amount in mentioned_amounts(decision.reply.text):
        if amount < floor:
            found.append(f"reply names {amount}: {decision.reply.text!r}")
    return found


def mentioned_amounts(text: str) -> list[Decimal]:
    """The money amounts a reply names, in the engine's formats."""
    return [
        Decimal((match.group(1) or match.group(2)).replace(",", ""))
        for match in _MONEY.finditer(text)
    ]


@dataclass(frozen=True)
class Report:
    """What a simulation run found."""

    conversations: int
    possible: int
    agreed: int
    zone_share: float
    median_price_ratio: float
    mean_messages: float
    violations: tuple[str, ...]
    by_style: dict[str, float]

    @property
    def agreement_rate(self) -> float:
        """Share of conversations with a possible deal that reached one."""
        return self.agreed / self.possible if self.possible else 0.0


def simulate(seed: int = 7, listings: int = 300) -> Report:
    """Every buyer style against each of `listings` generated markets."""
    rng = random.Random(seed * 7919 + 1)
    outcomes = [
        haggle(market, style, _limit(market, rng), rng)
        for market in markets(seed, listings)
        for style in STYLES
    ]
    return report(outcomes)


def _limit(market: Market, rng: random.Random) -> Decimal:
    """A buyer's private limit: 65% to 105% of the asking price."""
    return round_to(market.rules.asking_price * Decimal(str(rng.uniform(0.65, 1.05))), Decimal(1))


def report(outcomes: list[Outcome]) -> Report:
    """The figures over many conversations."""
    possible = [o for o in outcomes if o.limit >= o.floor]
    agreed = [o for o in possible if o.price is not None]
    shares = [
        float((o.price - o.floor) / (o.limit - o.floor))
        for o in agreed
        if o.price is not None and o.limit > o.floor
    ]
    ratios = [float(o.price / o.asking) for o in agreed if o.price is not None]
    by_style = {style: _rate([o for o in possible if o.style == style]) for style in STYLES}
    return Report(
        conversations=len(outcomes),
        possible=len(possible),
        agreed=len(agreed),
        zone_share=statistics.fmean(shares) if shares else 0.0,
        median_price_ratio=statistics.median(ratios) if ratios else 0.0,
        mean_messages=statistics.fmean(o.messages for o in agreed) if agreed else 0.0,
        violations=tuple(v for o in outcomes for v in o.violations),
        by_style=by_style,
    )


def _rate(outcomes: list[Outcome]) -> float:
    return sum(o.price is not None for o in outcomes) / len(outcomes) if outcomes else 0.0


def format_report(result: Report) -> str:
    """The report as a few aligned lines."""
    styles = ", ".join(f"{style} {rate:.0%}" for style, rate in result.by_style.items())
    rows = (
        ("conversations", f"{result.conversations} ({result.possible} with a possible deal)"),
        ("agreement rate", f"{result.agreement_rate:.1%} (human sellers: ~74%)"),
        ("  by buyer style", styles),
        ("seller's share of zone", f"{result.zone_share:.2f}"),
        ("median price / asking", f"{result.median_price_ratio:.2f} (human sellers: 0.84)"),
        ("messages to agreement", f"{result.mean_messages:.1f}"),
        ("floor violations", str(len(result.violations))),
    )
    return "\n".join(f"{name:<24} {value}" for name, value in rows)
