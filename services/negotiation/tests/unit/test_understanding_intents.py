"""What a buyer wants, read from one message: intents, topics, scams, people, attachments."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley_negotiation.domain.reading import (
    Attachment,
    Intent,
    OfferKind,
    ReadContext,
    ScamKind,
    Topic,
)
from parley_negotiation.domain.understanding import read

NOW = datetime(2025, 6, 11, 10, 0)  # a Wednesday
CAR = ReadContext(reference_price=Decimal(8500), listing_year=2012, listing_mileage=98_000, now=NOW)
THAI_CAR = ReadContext(reference_price=Decimal(289_000), listing_year=2015, now=NOW)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("hi", Intent.GREETING),
        ("Hello", Intent.GREETING),
        ("สวัสดีครับ", Intent.GREETING),
        ("Is this still available?", Intent.AVAILABILITY),
        ("Hi, is this available?", Intent.AVAILABILITY),
        ("still for sale?", Intent.AVAILABILITY),
        ("ยังอยู่ไหมครับ", Intent.AVAILABILITY),
        ("ขายยังครับ", Intent.AVAILABILITY),
        ("what's your lowest", Intent.PRICE_QUESTION),
        ("negotiable?", Intent.PRICE_QUESTION),
        ("is 8500 your lowest?", Intent.PRICE_QUESTION),
        ("too expensive", Intent.PRICE_QUESTION),
        ("ลดได้ไหม", Intent.PRICE_QUESTION),
        ("ราคาสุดท้ายเท่าไหร่คะ", Intent.PRICE_QUESTION),
        ("would you take 7k cash today", Intent.OFFER),
        ("3 แสนได้ไหม", Intent.OFFER),
        ("ok deal", Intent.ACCEPTANCE),
        ("sounds good", Intent.ACCEPTANCE),
        ("ตกลงครับ", Intent.ACCEPTANCE),
        ("👍", Intent.ACCEPTANCE),
        ("how many miles on it", Intent.ITEM_QUESTION),
        ("รถเคยชนไหม", Intent.ITEM_QUESTION),
        ("can I see it saturday", Intent.VIEWING),
        ("can i come tomorrow at 3pm to test drive", Intent.VIEWING),
        ("พรุ่งนี้บ่ายสองไปดูได้ไหม", Intent.VIEWING),
        ("tomorrow at 5?", Intent.VIEWING),
        ("do u take venmo", Intent.PAYMENT),
        ("ผ่อนได้ไหม", Intent.PAYMENT),
        ("can I put a deposit on it", Intent.PAYMENT),
        ("are you a real person", Intent.HUMAN),
        ("can I talk to the owner", Intent.HUMAN),
        ("is this a bot lol", Intent.HUMAN),
        ("ขอคุยกับคนหน่อย", Intent.HUMAN),
        ("ขอคุยกับเจ้าของ", Intent.HUMAN),
        ("you're an idiot", Intent.ABUSE),
        ("ไอ้ควาย", Intent.ABUSE),
        ("no thanks, found another one", Intent.REJECTION),
        ("not interested anymore", Intent.REJECTION),
        ("ไม่เป็นไรครับ ได้คันอื่นแล้ว", Intent.REJECTION),
        ("thanks!", Intent.THANKS),
        ("ok cool", Intent.THANKS),
        ("ขอบคุณครับ", Intent.THANKS),
        ("Is the AC cold?", Intent.ITEM_QUESTION),
        ("เลขไมล์เท่าไหร่ครับ", Intent.ITEM_QUESTION),
        ("thanks for the info", Intent.THANKS),
        ("F off", Intent.ABUSE),
        ("Would you go any lower?", Intent.PRICE_QUESTION),
        ("ราคาเท่าไหร่ครับ", Intent.PRICE_QUESTION),
        ("I'll pass", Intent.REJECTION),
        ("ขอนัดดูรถวันเสาร์ได้ไหม", Intent.VIEWING),
        ("รับบัตรเครดิตไหม", Intent.PAYMENT),
        ("lol", Intent.OTHER),
        ("??", Intent.OTHER),
    ],
)
def test_the_main_intent_is_read(text: str, intent: Intent) -> None:
    context = THAI_CAR if any("\u0e00" <= c <= "\u0e7f" for c in text) else CAR
    assert read(text, context).intent is intent


@pytest.mark.parametrize(
    ("text", "scam"),
    [
        ("I'll overpay and you refund the difference", ScamKind.OVERPAYMENT),
        ("โอนเกินให้แล้ว ช่วยโอนส่วนต่างคืนด้วย", ScamKind.OVERPAYMENT),
        ("I'm out of the country, my shipping agent will collect it", ScamKind.SHIPPING_AGENT),
        ("my movers will pick it up", ScamKind.SHIPPING_AGENT),
        ("ผมจะให้บริษัทขนส่งมารับรถนะ", ScamKind.SHIPPING_AGENT),
        ("I will mail you a cashier's check", ScamKind.CASHIERS_CHECK),
        ("can I pay with a money order", ScamKind.CASHIERS_CHECK),
        ("send me the code to verify youre real", ScamKind.VERIFICATION_CODE),
        ("text me back the 6 digit code", ScamKind.VERIFICATION_CODE),
        ("ส่งรหัส otp มาให้หน่อยครับ", ScamKind.VERIFICATION_CODE),
        (
            "Zelle said i need to upgrade to a business account, click the link",
            ScamKind.PAYMENT_LINK,
        ),
        ("I sent you the payment link, click it to receive your money", ScamKind.PAYMENT_LINK),
        ("กดลิงก์นี้เพื่อรับเงินได้เลยครับ", ScamKind.PAYMENT_LINK),
    ],
)
def test_marketplace_scams_are_flagged_first(text: str, scam: ScamKind) -> None:
    reading = read(text, CAR)
    assert (reading.intent, reading.scam) == (Intent.SCAM, scam)


def test_a_zip_code_or_a_plain_zelle_question_is_not_a_scam() -> None:
    assert read("what's your zip code", CAR).scam is None
    assert read("do you take zelle?", CAR).intent is Intent.PAYMENT


def test_item_questions_name_their_topics() -> None:
    reading = read("does it have a clean title? any accidents? where are you located", CAR)
    assert reading.intent is Intent.ITEM_QUESTION
    assert reading.topics == (Topic.TITLE, Topic.ACCIDENTS, Topic.LOCATION)


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("whats the mileage", Topic.MILEAGE),
        ("what year is it", Topic.YEAR),
        ("ปี 2552 ใช่ไหม", Topic.YEAR),
        ("is the title clean or salvage?", Topic.TITLE),
        ("เล่มพร้อมโอนไหมครับ", Topic.TITLE),
        ("Has it been in any accidents?", Topic.ACCIDENTS),
        ("any rust", Topic.CONDITION),
        ("แอร์เย็นไหม", Topic.CONDITION),
        ("where r u located", Topic.LOCATION),
        ("อยู่แถวไหน", Topic.LOCATION),
        ("is it manual or automatic", Topic.FEATURES),
        ("เกียร์ออโต้ไหม", Topic.FEATURES),
        ("what model is it", Topic.MAKE_MODEL),
        ("can you send more pics", Topic.PHOTOS),
        ("ขอรูปเพิ่ม", Topic.PHOTOS),
        ("tell me more about it", Topic.DESCRIPTION),
    ],
)
def test_each_topic_is_recognised(text: str, topic: Topic) -> None:
    assert topic in read(text, CAR).topics


def test_an_offer_with_a_viewing_request_keeps_both() -> None:
    reading = read("hey is it available? would you do 7000 and can I see it sunday", CAR)
    assert reading.intent is Intent.OFFER
    assert reading.also[0] is Intent.VIEWING
    assert Intent.AVAILABILITY in reading.also and Intent.GREETING in reading.also
    assert reading.viewing is not None and reading.viewing.day == datetime(2025, 6, 15)


def test_accepting_a_price_the_bot_said_is_acceptance_with_its_amount() -> None:
    context = ReadContext(reference_price=Decimal(8500), quoted_prices=(Decimal(7600),))
    reading = read("I'll take it at 7600", context)
    assert reading.intent is Intent.ACCEPTANCE
    assert reading.offer.amount == Decimal(7600)


def test_a_deal_at_another_price_is_an_offer() -> None:
    context = ReadContext(reference_price=Decimal(8500), quoted_prices=(Decimal(7600),))
    reading = read("ok deal at 7000", context)
    assert (reading.intent, reading.offer.amount) == (Intent.OFFER, Decimal(7000))


def test_an_implausible_amount_is_never_read_as_acceptance() -> None:
    reading = read("deal at 7", CAR)
    assert reading.intent is Intent.OFFER
    assert reading.offer.kind is OfferKind.IMPLAUSIBLE


def test_quoting_the_bot_back_asks_about_the_price() -> None:
    context = ReadContext(reference_price=Decimal(8500), quoted_prices=(Decimal(8200),))
    reading = read("u said 8200?", context)
    assert reading.intent is Intent.PRICE_QUESTION
    assert reading.offer.kind is OfferKind.NONE


def test_the_sellers_takeover_keywords_ask_for_a_human() -> None:
    context = ReadContext(reference_price=Decimal(8500), takeover_keywords=("manager", "ผู้จัดการ"))
    assert read("get me the manager", context).intent is Intent.HUMAN
    assert read("ขอสายผู้จัดการ", context).intent is Intent.HUMAN
    assert read("the managerial type", context).intent is not Intent.HUMAN


@pytest.mark.parametrize(
    ("attachment", "intent"),
    [
        (Attachment.LIKE, Intent.ACCEPTANCE),
        (Attachment.STICKER, Intent.OTHER),
        (Attachment.IMAGE, Intent.OTHER),
        (Attachment.AUDIO, Intent.OTHER),
    ],
)
def test_an_attachment_alone_is_a_yes_only_when_it_is_a_like(
    attachment: Attachment, intent: Intent
) -> None:
    reading = read("", CAR, attachment)
    assert (reading.intent, reading.attachment) == (intent, attachment)


def test_a_caption_with_an_attachment_is_read_as_text() -> None:
    reading = read("is this scratch ok?", CAR, Attachment.IMAGE)
    assert reading.intent is Intent.ITEM_QUESTION
    assert reading.attachment is Attachment.IMAGE


def test_language_follows_the_script() -> None:
    assert read("ยังอยู่ไหม", THAI_CAR).language == "th"
    assert read("still available?", CAR).language == "en"


@given(st.text(max_size=300), st.sampled_from(Attachment), st.integers(1, 2_000_000))
def test_any_text_is_read_without_failing(text: str, attachment: Attachment, price: int) -> None:
    context = ReadContext(reference_price=Decimal(price), quoted_prices=(Decimal(price),), now=NOW)
    reading = read(text, context, attachment)
    assert reading.intent not in reading.also
    assert reading.language in ("en", "th")
    assert (reading.intent is Intent.SCAM) == (reading.scam is not None)
