"""The negotiation's vocabulary: the listing, the seller's rules, the state kept between
messages and the decision taken on each one. Plain frozen values, standard library only."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from parley_negotiation.domain.reading import Intent, ScamKind

# Messenger: button-template text is at most 640 characters, quick-reply titles at most 20.
MAX_REPLY_CHARS = 640
MAX_QUICK_REPLY_TITLE = 20
MAX_QUICK_REPLIES = 13
LANGUAGES = ("en", "th")
_HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class InvalidRules(ValueError):
    """The seller's rules contradict themselves; the message names the field."""


class Tone(StrEnum):
    """How readily the seller concedes."""

    FIRM = "firm"
    BALANCED = "balanced"
    FLEXIBLE = "flexible"


class Pacing(StrEnum):
    """How fast delivery sends the reply; the engine only passes it through."""

    HUMAN = "human"
    INSTANT = "instant"


class Action(StrEnum):
    """What a reply does in the negotiation."""

    ANSWER = "answer"
    COUNTER = "counter"
    ACCEPT = "accept"
    HOLD = "hold"
    DECLINE = "decline"
    HANDOVER = "handover"
    FLAG = "flag"


@dataclass(frozen=True)
class ListingFacts:
    """What the seller told us about the item; the only facts a reply may state."""

    title: str
    price: Decimal
    currency: str = "USD"
    year: int | None = None
    make: str | None = None
    model: str | None = None
    trim: str | None = None
    mileage: int | None = None
    mileage_unit: str = "mi"
    condition: str | None = None
    features: tuple[str, ...] = ()
    location: str | None = None
    description: str | None = None
    photos: tuple[str, ...] = ()
    available: bool = True


@dataclass(frozen=True)
class WeeklyWindow:
    """A weekly stretch of time when buyers may come: ISO weekday (1 = Monday) and local
    "HH:MM" start and end."""

    weekday: int
    start: str
    end: str

    def __post_init__(self) -> None:
        if not 1 <= self.weekday <= 7:
            raise InvalidRules(f"availability.weekday: {self.weekday} is not 1 (Mon) to 7 (Sun)")
        for name, value in (("start", self.start), ("end", self.end)):
            if not _HH_MM.match(value):
                raise InvalidRules(f"availability.{name}: {value!r} is not HH:MM")
        if self.start >= self.end:
            raise InvalidRules(f"availability: start {self.start} is not before end {self.end}")


@dataclass(frozen=True)
class Rules:
    """The seller's negotiation settings; checked on construction."""

    asking_price: Decimal
    price_floor: Decimal
    auto_accept_at: Decimal | None = None
    max_concessions: int = 3
    tone: Tone = Tone.BALANCED
    languages: tuple[str, ...] = ("en",)
    escrow_enabled: bool = False
    human_takeover_enabled: bool = True
    takeover_keywords: tuple[str, ...] = ()
    availability: tuple[WeeklyWindow, ...] = ()
    time_zone: str = "UTC"
    pacing: Pacing = Pacing.HUMAN

    def __post_init__(self) -> None:
        for name, kind in (("tone", Tone), ("pacing", Pacing)):
            try:
                object.__setattr__(self, name, kind(getattr(self, name)))
            except ValueError:
                allowed = ", ".join(member.value for member in kind)
                message = f"{name}: {getattr(self, name)!r} is not one of {allowed}"
                raise InvalidRules(message) from None
        spoken = tuple(dict.fromkeys(lang.lower()[:2] for lang in self.languages))
        object.__setattr__(self, "languages", tuple(lang for lang in spoken if lang in LANGUAGES))
        problems = _rule_problems(self)
        if problems:
            raise InvalidRules("; ".join(problems))

    @property
    def language(self) -> str:
        """The default reply language."""
        return self.languages[0]


def _rule_problems(rules: Rules) -> list[str]:
    """Every contradiction in `rules`, first the most basic."""
    problems = []
    if rules.asking_price <= 0:
        problems.append(f"asking_price: {rules.asking_price} must be above 0")
    if rules.price_floor <= 0:
        problems.append(f"price_floor: {rules.price_floor} must be above 0")
    if rules.price_floor > rules.asking_price:
        problems.append(
            f"price_floor: {rules.price_floor} is above asking_price {rules.asking_price}"
        )
    if rules.auto_accept_at is not None and rules.auto_accept_at < rules.price_floor:
        problems.append(
            f"auto_accept_at: {rules.auto_accept_at} is below price_floor {rules.price_floor}"
        )
    if not 0 <= rules.max_concessions <= 10:
        problems.append(f"max_concessions: {rules.max_concessions} is not between 0 and 10")
    if not rules.languages or any(lang not in LANGUAGES for lang in rules.languages):
        problems.append(f"languages: {rules.languages!r} must be some of {LANGUAGES!r}")
    return problems


@dataclass(frozen=True)
class QuickReply:
    """A button under the reply: what it says and the payload it sends back."""

    title: str
    payload: str

    def __post_init__(self) -> None:
        if not 0 < len(self.title) <= MAX_QUICK_REPLY_TITLE:
            raise ValueError(f"quick reply title {self.title!r} is not 1-20 characters")


@dataclass(frozen=True)
class Reply:
    """What Parley says: text within the button-template limit, and quick replies."""

    text: str
    quick_replies: tuple[QuickReply, ...] = ()

    def __post_init__(self) -> None:
        if len(self.text) > MAX_REPLY_CHARS:
            raise ValueError(f"reply of {len(self.text)} characters exceeds {MAX_REPLY_CHARS}")
        if len(self.quick_replies) > MAX_QUICK_REPLIES:
            raise ValueError(f"{len(self.quick_replies)} quick replies exceed {MAX_QUICK_REPLIES}")


@dataclass(frozen=True)
class NegotiationState:
    """Everything remembered about one conversation; replaced, never changed, on each turn.

    `counters` holds every price the bot offered, in order and never rising; `final_price` is
    set once the bot said it will go no lower; `pending_offer` and `pending_candidates` wait
    for the buyer to confirm what they meant; `price_open` tells whether the last reply put a
    price on the table (the listing's own price does, before any reply), so that a bare "ok"
    or thumbs-up after anything else is not taken for a deal.
    """

    language: str | None = None
    turns: int = 0
    last_offer: Decimal | None = None
    best_offer: Decimal | None = None
    counters: tuple[Decimal, ...] = ()
    concessions: int = 0
    final_price: Decimal | None = None
    agreed_price: Decimal | None = None
    pending_offer: Decimal | None = None
    pending_candidates: tuple[Decimal, ...] = ()
    proposed_slots: tuple[datetime, ...] = ()
    viewing: datetime | None = None
    escrow_offered: bool = False
    lowballs: int = 0
    abuse: int = 0
    scam: ScamKind | None = None
    handed_over: bool = False
    walked_away: bool = False
    price_open: bool = True

    def current_price(self, rules: Rules) -> Decimal:
        """The lowest price the bot has said (the asking price before any counter)."""
        return self.counters[-1] if self.counters else rules.asking_price

    def with_counter(self, price: Decimal) -> NegotiationState:
        """This state after offering `price`, which must be below every earlier counter."""
        if self.counters and price >= self.counters[-1]:
            raise ValueError(f"counter {price} does not go below {self.counters[-1]}")
        return replace(self, counters=(*self.counters, price), concessions=self.concessions + 1)

    def to_json(self) -> dict[str, Any]:
        """A plain JSON-able dict (amounts as strings, times as ISO 8601)."""
        return {name: _dump(getattr(self, name)) for name in _FIELDS}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NegotiationState:
        """The state `to_json` wrote; unknown keys are ignored, missing ones take defaults."""
        known = {name: _LOADERS[name](data[name]) for name in _FIELDS if name in data}
        return cls(**known)


def _dump(value: object) -> Any:
    """One state field as plain JSON."""
    if isinstance(value, tuple):
        return [_dump(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _optional(load: Any) -> Any:
    return lambda raw: None if raw is None else load(raw)


def _many(load: Any) -> Any:
    return lambda raw: tuple(load(item) for item in raw)


_LOADERS: dict[str, Any] = {
    "language": _optional(str),
    "turns": int,
    "last_offer": _optional(Decimal),
    "best_offer": _optional(Decimal),
    "counters": _many(Decimal),
    "concessions": int,
    "final_price": _optional(Decimal),
    "agreed_price": _optional(Decimal),
    "pending_offer": _optional(Decimal),
    "pending_candidates": _many(Decimal),
    "proposed_slots": _many(datetime.fromisoformat),
    "viewing": _optional(datetime.fromisoformat),
    "escrow_offered": bool,
    "lowballs": int,
    "abuse": int,
    "scam": _optional(ScamKind),
    "handed_over": bool,
    "walked_away": bool,
    "price_open": bool,
}
_FIELDS = tuple(_LOADERS)


@dataclass(frozen=True)
class Decision:
    """What the engine decided for one buyer message, and the state to keep."""

    intent: Intent
    action: Action
    reply: Reply
    state: NegotiationState
    language: str
    offer: Decimal | None = None
    price: Decimal | None = None
    flag: ScamKind | None = None
    handover_reason: str | None = None
    viewing: datetime | None = None
    pacing: Pacing = Pacing.HUMAN
    # Every amount the reply text states, for checking a rephrased reply against it.
    amounts: tuple[Decimal, ...] = field(default=())
