"""check(): each reason a model's rephrasing is refused, and good rephrasings in en and th."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley_negotiation.phrasing import Draft, Reason, check
from parley_negotiation.phrasing.check import clean

PRICES = (Decimal("8200"), Decimal("9000"))  # the decided counter and the listing's price


def english(action: str = "counter", text: str = "", max_chars: int = 640) -> Draft:
    return Draft(
        text=text or "Thanks for the offer! The best I can do is $8,200.",
        language="en",
        action=action,
        allowed_amounts=PRICES,
        history=(("buyer", "Would you take 7k?"),),
        max_chars=max_chars,
    )


def thai(action: str = "counter", text: str = "") -> Draft:
    return Draft(
        text=text or "ขอบคุณครับ ราคาต่ำสุดที่ให้ได้คือ 8,200 บาทครับ",
        language="th",
        action=action,
        allowed_amounts=PRICES,
        history=(("buyer", "7,000 ได้ไหมครับ"),),
    )


@pytest.mark.parametrize(
    "text",
    [
        "Appreciate the offer! I could let it go for $8,200 though.",
        "Thanks! $8,200 is my lowest, it's listed at $9,000.",
        "I can't accept that, sorry, but $8,200 works.",
        "Thanks for the offer! The best I can do is $8,200.",
    ],
)
def test_good_english_rephrasings_pass(text: str) -> None:
    assert check(english(), text) is None


@pytest.mark.parametrize(
    "text",
    [
        "ขอบคุณที่สนใจนะครับ ลดให้ได้ที่ 8,200 บาทครับ",
        "ราคาตั้งไว้ 9,000 บาท ลดให้เหลือ 8,200 บาทครับ",
        "8,200 บาท ตกลงไหมครับ",
        "ขอบคุณครับ ราคาต่ำสุดที่ให้ได้คือ 8,200 บาทครับ",
    ],
)
def test_good_thai_rephrasings_pass(text: str) -> None:
    assert check(thai(), text) is None


def test_a_thai_draft_naming_a_car_in_english_keeps_its_own_script_share() -> None:
    draft = thai(text="Honda Civic Hybrid คันนี้ ราคาต่ำสุด 8,200 บาทครับ")
    assert check(draft, "Honda Civic Hybrid คันนี้ ลดได้ถึง 8,200 บาทครับ") is None


def test_an_empty_text_is_refused() -> None:
    assert check(english(), "") == Reason.EMPTY
    assert check(thai(), " \n\t ") == Reason.EMPTY


def test_a_text_over_max_chars_is_refused() -> None:
    draft = english(max_chars=60)
    text = "Thanks so much for the offer! The very best I can do is $8,200."
    assert len(text) > 60
    assert check(draft, text) == Reason.TOO_LONG
    assert check(english(max_chars=len(text)), text) is None


def test_no_text_is_ever_over_2000_chars_whatever_the_draft_allows() -> None:
    text = "The best I can do is $8,200. " + "Really. " * 300
    assert check(english(max_chars=5000), text) == Reason.TOO_LONG


@pytest.mark.parametrize(
    "text",
    [
        "The best I can do is $7,500.",
        "I could do 8.5k.",
        "Make it 8 grand and we're good.",
        "I'd go to eight thousand.",
        "$8,200, or $8,000 if you pick it up today.",
    ],
)
def test_an_english_amount_that_is_not_allowed_is_refused(text: str) -> None:
    assert check(english(), text) == Reason.AMOUNT


@pytest.mark.parametrize(
    "text", ["ลดให้ได้ 7,500 บาทครับ", "ลดให้เหลือแปดพันครับ", "8,200 บาท หรือ 1.5 แสนก็ได้ครับ"]
)
def test_a_thai_amount_that_is_not_allowed_is_refused(text: str) -> None:
    assert check(thai(), text) == Reason.AMOUNT


def test_leaving_out_the_decided_price_is_refused() -> None:
    assert check(english(), "Sorry, I can't go that low.") == Reason.MISSING_AMOUNT
    assert check(thai(), "ขอโทษครับ ลดไม่ไหวจริงๆ") == Reason.MISSING_AMOUNT


@pytest.mark.parametrize("action", ["counter", "answer", "hold", "decline", "handover", "flag"])
def test_accepting_when_the_decision_is_not_accept_is_refused(action: str) -> None:
    assert check(english(action), "Deal! $8,200 and it's yours.") == Reason.ACCEPTANCE
    assert check(thai(action), "ตกลงครับ 8,200 บาท") == Reason.ACCEPTANCE
    assert check(thai(action), "ได้เลยครับ 8,200 บาท") == Reason.ACCEPTANCE


def test_accepting_is_fine_when_the_decision_is_accept() -> None:
    draft = english("accept", "Deal! $8,200 it is. When can you pick it up?")
    assert check(draft, "Deal, $8,200 works for me. When would you like to pick it up?") is None
    draft = thai("accept", "ตกลงครับ 8,200 บาท จะมารับวันไหนครับ")
    assert check(draft, "ได้เลยครับ 8,200 บาท สะดวกมารับวันไหนครับ") is None


def test_an_acceptance_phrase_the_draft_itself_uses_stays_allowed() -> None:
    draft = english("answer", "We already agreed on $8,200; that still stands.")
    assert check(draft, "As agreed, $8,200 still stands.") is None
    assert check(draft, "As agreed, $8,200. Deal!") == Reason.ACCEPTANCE
    draft = thai(text="ราคานั้นยังไม่ไหวครับ แต่ลดให้เหลือ 8,200 ได้ครับ")
    assert check(draft, "ได้ครับ ลดให้เหลือ 8,200 บาท") is None
    assert check(draft, "ตกลงครับ ลดให้เหลือ 8,200 บาท") == Reason.ACCEPTANCE


def test_thai_text_for_an_english_draft_is_refused() -> None:
    assert check(english(), "ขอบคุณครับ ราคาต่ำสุด 8,200 บาทครับ") == Reason.LANGUAGE


def test_english_text_for_a_thai_draft_is_refused() -> None:
    assert check(thai(), "Thanks! The lowest I can go is 8,200 baht.") == Reason.LANGUAGE


def test_another_script_for_an_english_draft_is_refused() -> None:
    assert check(english(), "Спасибо! Лучшая цена $8,200.") == Reason.LANGUAGE


def test_a_link_the_draft_does_not_have_is_refused() -> None:
    assert check(english(), "$8,200, pay at https://pay.example/x") == Reason.LINK
    assert check(english(), "$8,200, write to me at dana@example.org") == Reason.LINK
    assert check(english(), "$8,200 firm, see bit.ly for photos") == Reason.LINK


def test_the_drafts_own_link_may_stay() -> None:
    draft = english("answer", "Photos are at https://photos.example/civic, price $8,200.")
    assert check(draft, "Sure, photos: https://photos.example/civic. Price is $8,200.") is None


def test_clean_strips_wrapping_quotes_whitespace_and_invisible_characters() -> None:
    assert clean('  "Best I can do is $8,200."\n') == "Best I can do is $8,200."
    assert clean("\u201cBest is $8,200\u201d") == "Best is $8,200"
    assert clean("ตก\u200bลง") == "ตกลง"
    assert clean('"') == '"'


@given(st.text(max_size=300))
def test_any_model_text_gets_a_verdict(text: str) -> None:
    assert check(english(), text) in (None, *Reason)
    assert check(thai(), text) in (None, *Reason)
