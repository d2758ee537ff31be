"""Acceptance words in English and Thai, and the negations, conditions and questions that
keep a phrase from committing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley_negotiation.phrasing.acceptance import acceptance_phrases, accepts


@pytest.mark.parametrize(
    "text",
    [
        "Deal!",
        "ok deal, see you tomorrow",
        "I accept your offer.",
        "Agreed, $7,000 it is.",
        "It\u2019s yours.",
        "Sold to you!",
        "You've got a deal.",
        "You got it.",
        "That works for me.",
        "No problem, deal.",
        "No worries deal",
        "Sure thing. Let's do it!",
        "I can't believe it went so fast, sounds good.",
        "ตกลงครับ",
        "ได้เลยครับ 7,000 บาท",
        "โอเคครับ จัดไป",
        "ขายให้เลยครับ",
        "ยินดีขายครับ",
        "ยอมรับข้อเสนอครับ",
        "7,000ได้เลยครับ",
        "ได้ครับ 7,000 บาท",
        "เอาไปได้เลยครับ",
        "ไม่มีปัญหาครับ ตกลง",
    ],
)
def test_acceptance_phrases_are_found(text: str) -> None:
    assert accepts(text)


@pytest.mark.parametrize(
    "text",
    [
        "I can't accept 7,000, but I can do 8,200.",
        "Sorry, I cannot agree to that price.",
        "That's not a deal I can take.",
        "I won't go below 8,200.",
        "Can you do 8,200? Deal?",
        "8,200, deal?!",
        "Would you accept 8.5k?",
        "If you accept 8,200, let me know.",
        "It hasn't been sold yet.",
        "The best I can do is 8,200.",
        "ไม่ได้เลยครับ ขั้นต่ำ 8,200 บาท",
        "ยังไม่ตกลงนะครับ",
        "8,200 บาท ตกลงไหมครับ",
        "8,200 โอเค ไหมครับ",
        "ราคา 8,200 ถ้าโอเคแจ้งได้เลยครับ",
        "หากตกลงแจ้งนะครับ",
        "ราคาต่ำสุด 8,200 บาทครับ",
        "It's a great deal at $9,000.",
        "Ask the dealer about the service history.",
        "ขอบคุณสำหรับข้อเสนอครับ",
        "สอบถามหรือนัดดูได้เลยครับ",
        "ขอเช็กกับผู้ขายแล้วจะแจ้งกลับนะครับ",
        "ยอมรับไม่ได้ครับ",
        "ตกลงไม่ได้จริงๆ ครับ",
        "ไปถามดีลเลอร์ได้ครับ",
    ],
)
def test_negated_conditional_or_asked_phrases_do_not_accept(text: str) -> None:
    assert not accepts(text)


def test_phrases_are_named_in_one_spelling_each() -> None:
    assert acceptance_phrases("Accepted! I accept. Agreed.") == {"accept", "agree"}
    assert acceptance_phrases("It\u2019s yours") == acceptance_phrases("its yours")
    assert acceptance_phrases("ได้เลยครับ") == acceptance_phrases("ได้ครับ") == {"ได้"}


def test_zero_width_space_does_not_split_words_once_cleaned() -> None:
    from parley_negotiation.phrasing.check import clean

    assert accepts(clean("ตก\u200bลงครับ"))


@given(st.text())
def test_any_text_gets_an_answer(text: str) -> None:
    assert accepts(text) in (True, False)
