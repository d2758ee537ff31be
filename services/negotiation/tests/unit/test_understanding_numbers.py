"""Amounts and offers read from buyer text: every written form, every trap, in EN and TH."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley_negotiation.domain.numbers import amounts, read_offer, scan_offer
from parley_negotiation.domain.reading import OfferKind, ReadContext

CAR = ReadContext(reference_price=Decimal(8500), listing_year=2012, listing_mileage=98_000)
THAI_CAR = ReadContext(reference_price=Decimal(289_000), listing_year=2015, listing_mileage=120_000)


def values(text: str) -> list[Decimal]:
    return [amount.value for amount in amounts(text)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("$8,500", 8500),
        ("8500", 8500),
        ("8.5k", 8500),
        ("8k", 8000),
        ("8K", 8000),
        ("$8k", 8000),
        ("8 grand", 8000),
        ("eight thousand", 8000),
        ("eight thousand five hundred", 8500),
        ("eighty-five hundred", 8500),
        ("eight and a half grand", 8500),
        ("a grand", 1000),
        ("85 hundred", 8500),
        ("7,5k", 7500),
        ("7.000 dollars", 7000),
        ("8500 bucks", 8500),
        ("USD 8500", 8500),
        ("8k5", 8500),
        ("3 thousand 5 hundred", 3500),
        ("฿3,500", 3500),
        ("3,500 บาท", 3500),
        ("260,000.-", 260_000),
        ("๘,๕๐๐", 8500),
        ("๒๕๐,๐๐๐ บาท", 250_000),
        ("1.5 แสน", 150_000),
        ("แปดพัน", 8000),
        ("ห้าหมื่นห้า", 55_000),
        ("แสนสอง", 120_000),
        ("แสนสี่ห้า", 145_000),
        ("สองแสนครึ่ง", 250_000),
        ("5หมื่น5", 55_000),
        ("2 แสน 6 หมื่น", 260_000),
        ("1 แสน 4", 140_000),
        ("ล้านสอง", 1_200_000),
        ("1.2 ล้าน", 1_200_000),
        ("สิบล้าน", 10_000_000),
        ("ห้าร้อยห้าสิบ", 550),
        ("สามพันบาท", 3000),
    ],
)
def test_every_written_form_is_one_amount(text: str, value: int) -> None:
    assert values(text) == [Decimal(value)]


def test_amount_spans_point_into_the_original_text() -> None:
    text = "Hi! would u take $7,500 or ๗,๐๐๐ บาท?"
    found = amounts(text)
    assert [a.text for a in found] == ["$7,500", "๗,๐๐๐ บาท"]
    assert all(text[a.start : a.end] == a.text for a in found)


def test_a_range_carries_its_unit_back() -> None:
    assert values("7-7.5k") == [Decimal(7000), Decimal(7500)]
    assert values("5-6 หมื่น") == [Decimal(50_000), Decimal(60_000)]


@pytest.mark.parametrize(
    "text",
    [
        "90k miles",
        "120,000 km",
        "98000km",
        "ไมล์ 9 หมื่น",
        "วิ่ง 85,000 โล",
        "mileage is 98k",
        "2009 civic",
        "it's a 2012",
        "ปี 2552",
        "call me 555-201-3344",
        "text 3125550199",
        "โทร 081-234-5678",
        "2 keys",
        "4 new tires",
        "does it come with 2 controllers",
        "10% off",
        "แบต 85%",
        "at 3pm",
        "14:30",
        "บ่าย 3",
        "10.30 น.",
        "f150",
        "rav4",
        "328i",
        "3rd owner",
        "iphone 13",
        "128gb or 256",
        "is it the 5.0",
        "5555 แพงจัง",
        "สามารถ",
        "เรียบร้อย",
        "24/7",
        "7 or 8 passenger",
    ],
)
def test_numbers_that_are_not_money_are_not_amounts(text: str) -> None:
    assert values(text) == []


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("would you take 7k cash today", 7000),
        ("Would you take $7,000?", 7000),
        ("7500?", 7500),
        ("can u do 7200", 7200),
        ("eight thousand cash", 8000),
        ("75 hundred?", 7500),
        ("7,5k final", 7500),
        ("how about 7 grand", 7000),
        ("i got 6500 cash right now", 6500),
        ("$500 off and we have a deal", 8000),
        ("I can do 7,000, not 8,500", 7000),
        ("I saw one for 7000 on cars.com, can you do 7300?", 7300),
        ("98k miles? thats a lot. would u do 6500", 6500),
        ("2012 civic for 8500 is steep, 7k?", 7000),
        ("call me 555-201-3344, I can do 7000", 7000),
        ("I can pay 7000 in 2 weeks", 7000),
    ],
)
def test_an_english_offer_is_read(text: str, amount: int) -> None:
    offer = read_offer(text, CAR)
    assert (offer.kind, offer.amount) == (OfferKind.OFFER, Decimal(amount))


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("2 แสน 5 ได้ไหม", 250_000),
        ("250,000 ได้ไหมครับ", 250_000),
        ("สองแสนหกได้ไหม", 260_000),
        ("ขอ 265,000 บาท ได้ไหมครับ", 265_000),
        ("๒๕๐,๐๐๐ บาทได้ไหมครับ", 250_000),
        ("price 280k ได้ไหม", 280_000),
        ("ลดเหลือ 240,000 ได้ไหม", 240_000),
        ("ลด 20,000 ได้ไหม", 269_000),
        ("ไมล์ 12 หมื่นจริงไหม ขอ 2 แสนครับ", 200_000),
    ],
)
def test_a_thai_offer_is_read(text: str, amount: int) -> None:
    offer = read_offer(text, THAI_CAR)
    assert (offer.kind, offer.amount) == (OfferKind.OFFER, Decimal(amount))


@pytest.mark.parametrize(
    ("text", "context"),
    [
        ("is 8500 your lowest?", CAR),
        ("is the 8500 negotiable", CAR),
        ("still 8500?", CAR),
        ("8500?", CAR),
        ("8,500 obo?", CAR),
        ("kbb says 6900 for this one", CAR),
        ("how many miles on it", CAR),
        ("98,000 miles?", CAR),
        ("is it a 2012?", CAR),
        ("10% off?", CAR),
        ("2 keys?", CAR),
        ("Be there in 15", CAR),
        ("is it 4k?", ReadContext(reference_price=Decimal(280))),
        ("ราคา 289,000 ลดได้อีกไหม", THAI_CAR),
        ("ดาวน์ 50,000 ผ่อนเดือนละ 6,000 ได้ไหม", THAI_CAR),
        ("ปี 2015 หรือ 2016 ครับ", THAI_CAR),
        ("ลดให้ 10% ได้ไหม", THAI_CAR),
    ],
)
def test_a_number_that_is_not_an_offer_gives_none(text: str, context: ReadContext) -> None:
    assert read_offer(text, context).kind is OfferKind.NONE


def test_a_price_quoted_back_from_the_bot_is_not_an_offer() -> None:
    context = ReadContext(reference_price=Decimal(8500), quoted_prices=(Decimal(8200),))
    assert scan_offer("you said 8200?", context).reading.kind is OfferKind.NONE
    assert scan_offer("you said 8200?", context).quoted_back
    assert read_offer("ok 8200 deal", context).amount == Decimal(8200)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("would you take 7", 7000),
        ("i can give u 7.5", 7500),
        ("would you take 80", 8000),
        ("85000 ok?", 8500),
        ("I'd do 8,5 if the tires are new", 8500),
        ("wud u do 68", 6800),
    ],
)
def test_a_wrongly_scaled_number_is_implausible_with_its_likely_meaning(
    text: str, amount: int
) -> None:
    offer = read_offer(text, CAR)
    assert (offer.kind, offer.amount) == (OfferKind.IMPLAUSIBLE, Decimal(amount))


def test_a_thai_shorthand_is_scaled_to_the_listing() -> None:
    offer = read_offer("26 ได้ไหม", THAI_CAR)
    assert (offer.kind, offer.amount) == (OfferKind.IMPLAUSIBLE, Decimal(260_000))


def test_a_very_low_ball_is_implausible_and_a_wild_number_is_none() -> None:
    assert read_offer("would you take $500", CAR).kind is OfferKind.IMPLAUSIBLE
    assert read_offer("would you take 3", ReadContext(reference_price=Decimal(120))).kind is (
        OfferKind.NONE
    )


def test_a_range_is_an_offer_of_its_lower_bound() -> None:
    offer = read_offer("7-7.5k?", CAR)
    assert (offer.kind, offer.amount) == (OfferKind.OFFER, Decimal(7000))
    assert offer.candidates == (Decimal(7000), Decimal(7500))
    assert read_offer("I can do between 16 and 17k", _car(18_500)).amount == Decimal(16_000)
    assert read_offer("2.2-2.3 แสน", _car(259_000)).amount == Decimal(220_000)


def test_two_offers_without_a_pick_are_ambiguous() -> None:
    offer = read_offer("7000 or 7200 if you throw in the roof rack", CAR)
    assert offer.kind is OfferKind.AMBIGUOUS
    assert offer.candidates == (Decimal(7000), Decimal(7200))
    assert offer.amount is None


@pytest.mark.parametrize(
    "text",
    ["7800 firm", "7,400. final offer.", "3000 tops", "$6000 is all I have", "2.6 แสนขาดตัว"],
)
def test_a_last_word_is_firm(text: str) -> None:
    assert read_offer(text, _car(8500 if "แสน" not in text else 289_000)).firm


def test_asking_whether_the_price_is_firm_is_not_a_firm_offer() -> None:
    offer = read_offer("would you take 7000? is your price firm?", CAR)
    assert offer.amount == Decimal(7000)
    assert not offer.firm


def test_cash_or_today_is_a_condition_of_the_offer() -> None:
    assert read_offer("7k cash", CAR).cash
    assert read_offer("เงินสด 2 แสน 7 พร้อมโอนวันนี้", THAI_CAR).cash
    assert not read_offer("would you take 7000", CAR).cash


def test_the_listing_year_and_mileage_are_never_offers() -> None:
    context = ReadContext(reference_price=Decimal(2500), listing_year=2012, listing_mileage=2600)
    assert read_offer("2012?", context).kind is OfferKind.NONE
    assert read_offer("2600 right", context).kind is OfferKind.NONE
    assert read_offer("2000?", context).amount == Decimal(2000)


@given(st.text(max_size=200))
def test_amounts_never_fail_and_their_spans_are_exact(text: str) -> None:
    for amount in amounts(text):
        assert text[amount.start : amount.end] == amount.text
        assert amount.value > 0


@given(st.integers(min_value=1, max_value=9_999_999))
def test_a_dollar_amount_with_commas_reads_back(number: int) -> None:
    assert values(f"${number:,}") == [Decimal(number)]


@given(st.text(max_size=120), st.integers(min_value=1, max_value=2_000_000))
def test_an_offer_always_has_an_amount_and_ambiguity_has_candidates(
    text: str, reference: int
) -> None:
    offer = read_offer(text, ReadContext(reference_price=Decimal(reference)))
    if offer.kind in (OfferKind.OFFER, OfferKind.IMPLAUSIBLE):
        assert offer.amount is not None and offer.amount > 0
    if offer.kind is OfferKind.AMBIGUOUS:
        assert len(offer.candidates) >= 2


def _car(reference: int) -> ReadContext:
    return ReadContext(reference_price=Decimal(reference))
