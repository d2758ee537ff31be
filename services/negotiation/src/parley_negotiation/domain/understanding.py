"""Understanding one buyer message: its intents, offer, topics, proposed viewing and language."""

from __future__ import annotations

import re

from parley_negotiation.domain.intents import Cues, detect
from parley_negotiation.domain.language import detect_language, normalise
from parley_negotiation.domain.numbers import OfferScan, scan_offer
from parley_negotiation.domain.reading import (
    Attachment,
    Intent,
    OfferKind,
    ReadContext,
    Reading,
    ViewingRequest,
)
from parley_negotiation.domain.viewing import proposed_time

# The main intent is the first found in this order; the others follow it in `also`.
_WEIGHT = (
    Intent.SCAM,
    Intent.ABUSE,
    Intent.HUMAN,
    Intent.ACCEPTANCE,
    Intent.OFFER,
    Intent.REJECTION,
    Intent.VIEWING,
    Intent.PRICE_QUESTION,
    Intent.PAYMENT,
    Intent.ITEM_QUESTION,
    Intent.AVAILABILITY,
    Intent.THANKS,
    Intent.GREETING,
)
_QUESTION = re.compile(
    r"\?|\b(?:what|how|is|does|do|are|any|can|which|where|when|why)\b"
    r"|ไหม|มั้ย|หรือเปล่า|อะไร|ยังไง|เท่าไหร่|กี่|ที่ไหน"
)
# With any of these, a day or time named alone ("can pay tomorrow") is not a viewing request.
_ENGAGED = frozenset(
    {
        Intent.SCAM,
        Intent.ABUSE,
        Intent.HUMAN,
        Intent.ACCEPTANCE,
        Intent.OFFER,
        Intent.REJECTION,
        Intent.PRICE_QUESTION,
        Intent.PAYMENT,
        Intent.ITEM_QUESTION,
    }
)


def read(text: str, context: ReadContext, attachment: Attachment = Attachment.NONE) -> Reading:
    """What the buyer wants from `text` (or from the attachment alone), judged in `context`."""
    folded = normalise(text)
    if not folded.strip():
        intent = Intent.ACCEPTANCE if attachment is Attachment.LIKE else Intent.OTHER
        return Reading(text=text, intent=intent, language="en", attachment=attachment)
    scan = scan_offer(text, context)
    cues = detect(folded, context.takeover_keywords)
    found = _intents(folded, cues, scan, context)
    viewing = _viewing(folded, context, cues, found)
    if viewing is not None:
        found.add(Intent.VIEWING)
    ordered = [intent for intent in _WEIGHT if intent in found] or [Intent.OTHER]
    return Reading(
        text=text,
        intent=ordered[0],
        language=detect_language(text),
        offer=scan.reading,
        topics=cues.topics,
        viewing=viewing,
        scam=cues.scam,
        attachment=attachment,
        also=tuple(ordered[1:]),
    )


def _intents(folded: str, cues: Cues, scan: OfferScan, context: ReadContext) -> set[Intent]:
    """Every intent present, once the offer and the quoted prices are weighed."""
    found = set(cues.intents)
    if scan.reading.kind is not OfferKind.NONE:
        if not _accepts_said_price(scan, context):
            found.discard(Intent.ACCEPTANCE)  # "deal at 7000" under a 7,600 counter: an offer
        if Intent.ACCEPTANCE not in found:
            found.add(Intent.OFFER)
    elif scan.quoted_back and Intent.ACCEPTANCE not in found:
        found.add(Intent.PRICE_QUESTION)  # "you said 8200?", "is 8500 your lowest?"
    if cues.topics and (Intent.THANKS not in found or _QUESTION.search(folded)):
        found.add(Intent.ITEM_QUESTION)  # not "thanks for the pics"
    return found


def _viewing(
    folded: str, context: ReadContext, cues: Cues, found: set[Intent]
) -> ViewingRequest | None:
    """The viewing asked for, or a day or time named alone ("tomorrow at 3?") and nothing else."""
    asked = Intent.VIEWING in found
    if not asked and found & _ENGAGED:
        return None
    day, time = proposed_time(folded, context.now)
    if not asked and day is None and time is None:
        return None
    return ViewingRequest(day=day, time=time, test_drive=cues.test_drive)


def _accepts_said_price(scan: OfferScan, context: ReadContext) -> bool:
    """Whether the offer is a price the seller already said (their counter or the listing's)."""
    offer = scan.reading
    said = (*context.quoted_prices, context.reference_price)
    return offer.kind is OfferKind.OFFER and offer.amount in said
