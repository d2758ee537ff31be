"""What the engine understood of one buyer message. Produced by `understanding.read`, consumed
by `engine.decide`. Plain values, no I/O; amounts are Decimals in major units (8500 = $8,500)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class Intent(StrEnum):
    """What the buyer wants from this message (the main one when there are several)."""

    GREETING = "greeting"
    AVAILABILITY = "availability"  # "is this still available?"
    PRICE_QUESTION = "price_question"  # "what's your lowest?", "ลดได้ไหม"
    OFFER = "offer"  # "would you take 8k cash today"
    ACCEPTANCE = "acceptance"  # "ok deal", "I'll take it at 7600"
    ITEM_QUESTION = "item_question"  # mileage, year, title, accidents, condition, location...
    VIEWING = "viewing"  # "can i see it saturday"
    PAYMENT = "payment"  # payment method or escrow questions
    HUMAN = "human"  # asks for a person (takeover keywords or defaults)
    ABUSE = "abuse"  # insults, harassment
    SCAM = "scam"  # overpayment, shipping agent, cashier's check, codes, payment links
    REJECTION = "rejection"  # "no thanks", "too expensive, pass", walking away
    THANKS = "thanks"  # "thanks", "ok cool" after an answer
    OTHER = "other"


class OfferKind(StrEnum):
    """How sure the reading is that the message names the buyer's price."""

    NONE = "none"  # no offer in the message
    OFFER = "offer"  # one clear offer: `amount`
    AMBIGUOUS = "ambiguous"  # several plausible offers (`candidates`): ask which
    IMPLAUSIBLE = "implausible"  # a number that would be an offer if scaled ("7" on 8,000):
    # `amount` holds the most likely meaning (7,000); ask before using it, never accept it


class Topic(StrEnum):
    """What an item question is about."""

    MILEAGE = "mileage"
    YEAR = "year"
    TITLE = "title"  # clean title, papers, registration book (เล่มทะเบียน)
    ACCIDENTS = "accidents"
    CONDITION = "condition"
    LOCATION = "location"
    FEATURES = "features"
    MAKE_MODEL = "make_model"
    PHOTOS = "photos"
    DESCRIPTION = "description"  # "tell me more", anything else about the item


class ScamKind(StrEnum):
    """Common Marketplace scams; never engaged, flagged to the seller."""

    OVERPAYMENT = "overpayment"
    SHIPPING_AGENT = "shipping_agent"
    CASHIERS_CHECK = "cashiers_check"
    VERIFICATION_CODE = "verification_code"  # "send me the code"
    PAYMENT_LINK = "payment_link"  # off-platform payment links, "pay via this link"


class Attachment(StrEnum):
    """What a message without text carried."""

    NONE = "none"
    LIKE = "like"  # the thumbs-up sticker (sticker_id 369239263222822 and its sizes): a yes
    STICKER = "sticker"
    IMAGE = "image"
    AUDIO = "audio"  # voice note
    VIDEO = "video"
    FILE = "file"
    LOCATION = "location"


@dataclass(frozen=True)
class OfferReading:
    """The buyer's price in a message, if any."""

    kind: OfferKind = OfferKind.NONE
    amount: Decimal | None = None
    candidates: tuple[Decimal, ...] = ()
    # The buyer says it is their last word ("$7,500 firm", "final offer", "ราคาสุดท้าย").
    firm: bool = False
    # The offer is conditional on cash or on today ("8k cash today").
    cash: bool = False


@dataclass(frozen=True)
class ViewingRequest:
    """A proposed time to see or test-drive the item, as far as the message tells it.

    `day` is the local calendar date when one was named or implied ("saturday", "tomorrow",
    "พรุ่งนี้"); `time` is "HH:MM" local when a time was named ("3pm", "บ่ายสอง" = 14:00);
    either may be None ("when can I come see it?").
    """

    day: datetime | None = None
    time: str | None = None
    test_drive: bool = False


@dataclass(frozen=True)
class Reading:
    """Everything the engine needs to know about one buyer message."""

    text: str
    intent: Intent
    language: str  # "en" or "th"
    offer: OfferReading = field(default_factory=OfferReading)
    topics: tuple[Topic, ...] = ()
    viewing: ViewingRequest | None = None
    scam: ScamKind | None = None
    attachment: Attachment = Attachment.NONE
    # Other intents also present (e.g. an offer with a viewing request), in order of weight.
    also: tuple[Intent, ...] = ()


@dataclass(frozen=True)
class ReadContext:
    """What the reader knows around a message, to judge its numbers and words."""

    # The listing's asking price: numbers are scaled and judged against it.
    reference_price: Decimal
    # Prices already said in the conversation (the listing's, the bot's counters): a buyer
    # quoting one back ("you said 8,200?") is not offering it.
    quoted_prices: tuple[Decimal, ...] = ()
    # Extra words that mean "let me talk to a person", from the seller's settings.
    takeover_keywords: tuple[str, ...] = ()
    # The listing's model year and mileage, so "2009" or "90k miles" are never read as offers.
    listing_year: int | None = None
    listing_mileage: int | None = None
    # Local now in the seller's time zone, to resolve "saturday" or "tomorrow".
    now: datetime | None = None
