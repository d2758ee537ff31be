"""What Parley says: templates per language and tone filled with the listing's facts and the
decided prices, money formatted per currency, buttons with their payloads, replies kept within
Messenger's limits."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import ModuleType

from parley_kit import payloads
from parley_negotiation.domain import templates_en, templates_th
from parley_negotiation.domain.model import (
    MAX_QUICK_REPLY_TITLE,
    MAX_REPLY_CHARS,
    ListingFacts,
    QuickReply,
    Tone,
)
from parley_negotiation.domain.reading import (
    Intent,
    OfferKind,
    OfferReading,
    Reading,
    Topic,
    ViewingRequest,
)
from parley_negotiation.domain.scheduling import ViewingPlan


@dataclass(frozen=True)
class _Language:
    """One language's templates (see `templates_en`)."""

    texts: dict[str, dict[str, tuple[str, ...]]]
    titles: dict[str, str]
    weekdays: tuple[str, ...]
    weekdays_short: tuple[str, ...]
    months: tuple[str, ...]
    slot_label: str
    slot_phrase: str
    slot_day: str
    on_slot: str
    at_place: str
    either: str
    units: dict[str, str]
    topics: dict[str, str]


def _load(module: ModuleType) -> _Language:
    return _Language(
        texts=module.TEXTS,
        titles=module.TITLES,
        weekdays=module.WEEKDAYS,
        weekdays_short=module.WEEKDAYS_SHORT,
        months=module.MONTHS,
        slot_label=module.SLOT_LABEL,
        slot_phrase=module.SLOT_PHRASE,
        slot_day=module.SLOT_DAY,
        on_slot=module.ON_SLOT,
        at_place=module.AT_PLACE,
        either=module.OR,
        units=module.UNITS,
        topics=module.TOPICS,
    )


_TEMPLATES = {"en": _load(templates_en), "th": _load(templates_th)}
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "AUD": "A$", "CAD": "C$"}
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
_QUOTE_WORDS = {
    Topic.TITLE: ("title", "registration", "papers", "green book", "เล่ม", "ทะเบียน", "โอน"),
    Topic.ACCIDENTS: ("accident", "crash", "damage", "ชน", "อุบัติเหตุ", "น้ำท่วม"),
    Topic.CONDITION: ("condition", "scratch", "dent", "สภาพ", "รอย"),
}
_LONGEST_DESCRIPTION = 300
_ELLIPSIS = "…"


def money(amount: Decimal, currency: str, language: str) -> str:
    """`amount` as a buyer reads it: $8,500, $12.50, ฿8,500 (English) or 8,500 บาท (Thai)."""
    whole = amount == amount.to_integral_value()
    number = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    code = currency.upper()
    if code == "THB":
        return f"{number} บาท" if language == "th" else f"฿{number}"
    symbol = _SYMBOLS.get(code)
    return f"{symbol}{number}" if symbol else f"{number} {code}"


def item_name(listing: ListingFacts) -> str:
    """How replies name the item: "2015 Toyota Camry SE", else the listing's title."""
    parts = [str(listing.year) if listing.year else "", listing.make or "", listing.model or ""]
    if not (listing.make or listing.model):
        return listing.title
    return " ".join(part for part in (*parts, listing.trim or "") if part)


@dataclass(frozen=True)
class Voice:
    """One reply's language, tone, variant and currency: turns template keys into text."""

    language: str
    tone: Tone
    variant: int
    currency: str

    def say(self, key: str, **values: str) -> str:
        """The template `key` in this voice, filled with `values`."""
        by_tone = _TEMPLATES[self.language].texts[key]
        variants = by_tone.get(self.tone.value) or by_tone["*"]
        return variants[self.variant % len(variants)].format(**values)

    def money(self, amount: Decimal) -> str:
        """`amount` in the listing's currency, for this language."""
        return money(amount, self.currency, self.language)

    def quick(self, key: str, payload: str, **values: str) -> QuickReply:
        """A quick reply titled by `key`, shortened to its `_short` form when too long."""
        titles = _TEMPLATES[self.language].titles
        title = titles[key].format(**values)
        if len(title) > MAX_QUICK_REPLY_TITLE:
            title = titles.get(f"{key}_short", title[:MAX_QUICK_REPLY_TITLE])
        return QuickReply(title, payload)

    def slot_label(self, when: datetime) -> str:
        """A viewing time short enough for a quick reply: "Sat 3 May 10:00"."""
        return _TEMPLATES[self.language].slot_label.format(**self._date_parts(when))

    def slot_phrase(self, when: datetime) -> str:
        """A viewing time in a sentence: "Saturday 3 May at 10:00"."""
        return _TEMPLATES[self.language].slot_phrase.format(**self._date_parts(when))

    def day_phrase(self, when: date) -> str:
        """A day in a sentence: "Saturday 3 May"."""
        return _TEMPLATES[self.language].slot_day.format(**self._date_parts(when))

    def on_slots(self, slots: Iterable[datetime]) -> str:
        """Several viewing times in a sentence: "on Sat..., on Sun... or on Mon..."."""
        on_slot = _TEMPLATES[self.language].on_slot
        return self.either(on_slot.format(slot=self.slot_phrase(slot)) for slot in slots)

    def either(self, items: Iterable[str]) -> str:
        """Alternatives joined: "a, b or c"."""
        listed = list(items)
        if len(listed) < 2:
            return "".join(listed)
        return ", ".join(listed[:-1]) + _TEMPLATES[self.language].either + listed[-1]

    def at_place(self, place: str | None) -> str:
        """ " at <place>" for a booking confirmation, or nothing."""
        return _TEMPLATES[self.language].at_place.format(place=place) if place else ""

    def unknown(self, topics: Iterable[Topic]) -> str:
        """That the seller will be asked about `topics`."""
        names = _TEMPLATES[self.language].topics
        return self.say("fact_unknown_topic", topics=self.either(names[t.value] for t in topics))

    def mileage(self, listing: ListingFacts) -> str:
        """The listing's mileage with its unit: "85,000 mi", "85,000 กม."."""
        unit = _TEMPLATES[self.language].units.get(listing.mileage_unit, listing.mileage_unit)
        return f"{listing.mileage:,} {unit}"

    def price_buttons(self, price: Decimal, *, final: bool) -> tuple[QuickReply, ...]:
        """Accept this price, make another offer (unless it is final), or say no."""
        accept = self.quick("accept", _accept(price), price=self.money(price))
        more = () if final else (self.quick("make_offer", payloads.MAKE_OFFER),)
        return (accept, *more, self.quick("decline", payloads.DECLINE))

    def menu_buttons(self, *, person: bool = False) -> tuple[QuickReply, ...]:
        """Make an offer, book a viewing and, when asked for, talk to a person."""
        buttons = (
            self.quick("make_offer", payloads.MAKE_OFFER),
            self.quick("book", payloads.BOOK_VIEWING),
        )
        return (*buttons, self.quick("person", payloads.TALK_TO_PERSON)) if person else buttons

    def amount_buttons(self, amounts: Iterable[Decimal]) -> tuple[QuickReply, ...]:
        """One button per amount the buyer may have meant."""
        return tuple(
            QuickReply(shorten(self.money(amount), MAX_QUICK_REPLY_TITLE), _accept(amount))
            for amount in amounts
        )

    def slot_buttons(self, slots: Iterable[datetime]) -> tuple[QuickReply, ...]:
        """One button per viewing time, its payload the naive local time: SLOT:2026-05-02T10:00."""
        return tuple(
            QuickReply(
                self.slot_label(slot),
                payloads.SLOT_PREFIX + slot.replace(tzinfo=None).isoformat(timespec="minutes"),
            )
            for slot in slots
        )

    def viewing(self, plan: ViewingPlan, place: str | None) -> tuple[str, tuple[QuickReply, ...]]:
        """The answer to a viewing request: the booking, the times on offer, or a promise to
        ask the seller when no availability is set."""
        if plan.booked is not None:
            when = self.slot_phrase(plan.booked)
            return self.say("booked", when=when, where=self.at_place(place)), ()
        if not plan.options:
            return self.say("no_slots"), ()
        slots = self.on_slots(plan.options)
        refused = self._refused(plan)
        text = self.say("outside", when=refused, slots=slots) if refused else ""
        return text or self.say("slots", slots=slots), self.slot_buttons(plan.options)

    def _refused(self, plan: ViewingPlan) -> str:
        """The asked time or day that does not work, in words; "" when none was refused."""
        if plan.refused is not None:
            return self.slot_phrase(plan.refused)
        return self.day_phrase(plan.refused_day) if plan.refused_day is not None else ""

    def _date_parts(self, when: date) -> dict[str, str]:
        texts = _TEMPLATES[self.language]
        index = when.isoweekday() - 1
        return {
            "weekday": texts.weekdays[index],
            "wd": texts.weekdays_short[index],
            "day": str(when.day),
            "month": texts.months[when.month - 1],
            "time": when.strftime("%H:%M"),
        }


def _accept(amount: Decimal) -> str:
    return f"{payloads.ACCEPT_PREFIX}{amount}"


def fit(parts: Iterable[str]) -> str:
    """The parts joined into one reply within the button-template limit: later parts are
    dropped first, and a first part that is still too long is cut at a word."""
    kept: list[str] = []
    for part in (part for part in parts if part):
        if len(" ".join([*kept, part])) <= MAX_REPLY_CHARS:
            kept.append(part)
        elif not kept:
            kept.append(shorten(part, MAX_REPLY_CHARS))
    return " ".join(kept)


def shorten(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters, marked with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(_ELLIPSIS)]
    head = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return head.rstrip(" ,;:") + _ELLIPSIS


def facts_line(listing: ListingFacts, voice: Voice) -> str:
    """The listing's key facts for a greeting, as " <sentence> <sentence>", or ""."""
    parts = [_mileage(listing, voice), _condition(listing, voice), _location(listing, voice)]
    known = [part for part in parts if part]
    return " " + " ".join(known) if known else ""


def details(listing: ListingFacts, voice: Voice) -> str:
    """Everything the listing says about the item, for "tell me more"."""
    parts = [answer(topic, listing, voice) for topic in _DETAIL_TOPICS]
    return fit(part or "" for part in parts) or voice.say("fact_unknown")


def answer(topic: Topic, listing: ListingFacts, voice: Voice) -> str | None:
    """What the listing says about `topic`; None when it says nothing."""
    return _ANSWERS[topic](listing, voice)


def answers(topics: Iterable[Topic], listing: ListingFacts, voice: Voice) -> str:
    """Answers to the buyer's questions from the listing, saying the seller will be asked
    about what the listing does not say; the whole listing when no topic was named."""
    wanted = tuple(dict.fromkeys(topics))
    if not wanted or wanted == (Topic.DESCRIPTION,):
        return details(listing, voice)
    found = {topic: answer(topic, listing, voice) for topic in wanted}
    known = list(dict.fromkeys(text for text in found.values() if text))
    missing = [topic for topic, text in found.items() if not text]
    return fit([*known, voice.unknown(missing)] if missing else known)


def _mileage(listing: ListingFacts, voice: Voice) -> str | None:
    return voice.say("fact_mileage", mileage=voice.mileage(listing)) if listing.mileage else None


def _year(listing: ListingFacts, voice: Voice) -> str | None:
    return voice.say("fact_year", year=str(listing.year)) if listing.year else None


def _make_model(listing: ListingFacts, voice: Voice) -> str | None:
    if not (listing.make or listing.model):
        return None
    return voice.say("fact_make_model", name=item_name(listing))


def _condition(listing: ListingFacts, voice: Voice) -> str | None:
    if listing.condition:
        return voice.say("fact_condition", condition=listing.condition)
    return _quote(Topic.CONDITION, listing, voice)


def _location(listing: ListingFacts, voice: Voice) -> str | None:
    return voice.say("fact_location", location=listing.location) if listing.location else None


def _features(listing: ListingFacts, voice: Voice) -> str | None:
    if not listing.features:
        return None
    return voice.say("fact_features", features=", ".join(listing.features))


def _photos(listing: ListingFacts, voice: Voice) -> str | None:
    return voice.say("fact_photos", count=str(len(listing.photos))) if listing.photos else None


def _description(listing: ListingFacts, voice: Voice) -> str | None:
    if not listing.description:
        return None
    text = shorten(listing.description.strip(), _LONGEST_DESCRIPTION)
    return voice.say("fact_description", description=text)


def _quote(topic: Topic, listing: ListingFacts, voice: Voice) -> str | None:
    """The description's first sentence about `topic`, quoted; None when there is none."""
    words = _QUOTE_WORDS[topic]
    for sentence in _SENTENCE.findall(listing.description or ""):
        if any(word in sentence.lower() for word in words):
            return voice.say("fact_quote", sentence=shorten(sentence.strip(), 200))
    return None


_ANSWERS: dict[Topic, Callable[[ListingFacts, Voice], str | None]] = {
    Topic.MILEAGE: _mileage,
    Topic.YEAR: _year,
    Topic.MAKE_MODEL: _make_model,
    Topic.CONDITION: _condition,
    Topic.LOCATION: _location,
    Topic.FEATURES: _features,
    Topic.PHOTOS: _photos,
    Topic.DESCRIPTION: _description,
    Topic.TITLE: lambda listing, voice: _quote(Topic.TITLE, listing, voice),
    Topic.ACCIDENTS: lambda listing, voice: _quote(Topic.ACCIDENTS, listing, voice),
}
_DETAIL_TOPICS = (
    Topic.MAKE_MODEL,
    Topic.MILEAGE,
    Topic.CONDITION,
    Topic.FEATURES,
    Topic.LOCATION,
    Topic.DESCRIPTION,
)


# Buttons read back: what a postback or quick-reply payload means.


def button_reading(payload: str, language: str) -> Reading:
    """What a tapped button means, as if the buyer had typed it (Get Started aside)."""
    fixed = _PAYLOAD_INTENTS.get(payload)
    if fixed is not None:
        return Reading(text=payload, intent=fixed, language=language)
    if payload.startswith(payloads.SLOT_PREFIX):
        request = _slot_request(payload.removeprefix(payloads.SLOT_PREFIX))
        return Reading(text=payload, intent=Intent.VIEWING, language=language, viewing=request)
    if payload.startswith(payloads.ACCEPT_PREFIX):
        amount = _amount(payload.removeprefix(payloads.ACCEPT_PREFIX))
        if amount is not None:
            offer = OfferReading(kind=OfferKind.OFFER, amount=amount)
            return Reading(text=payload, intent=Intent.ACCEPTANCE, language=language, offer=offer)
    return Reading(text=payload, intent=Intent.OTHER, language=language)


def _slot_request(text: str) -> ViewingRequest | None:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return ViewingRequest(day=when, time=when.strftime("%H:%M"))


def _amount(text: str) -> Decimal | None:
    try:
        amount = Decimal(text)
    except ArithmeticError:
        return None
    return amount if amount.is_finite() and amount > 0 else None


_PAYLOAD_INTENTS = {
    payloads.VIEW_DETAILS: Intent.ITEM_QUESTION,
    payloads.MAKE_OFFER: Intent.OFFER,
    payloads.BOOK_VIEWING: Intent.VIEWING,
    payloads.TALK_TO_PERSON: Intent.HUMAN,
    payloads.DECLINE: Intent.REJECTION,
}
