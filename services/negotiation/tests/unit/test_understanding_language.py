"""Folding keeps every index, Thai is told from English, number words have their value."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley_negotiation.domain.language import (
    detect_language,
    english_value,
    normalise,
    phrases,
    thai_value,
)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Is this still available?", "en"),
        ("ยังอยู่ไหมครับ", "th"),
        ("ok ครับ 2.7 แสน deal", "th"),
        ("lowest เท่าไหร่", "th"),
        ("$8,500 cash", "en"),
        ("👍", "en"),
    ],
)
def test_language_is_thai_when_any_thai_word_is_written(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_folding_maps_thai_digits_quotes_and_case_one_to_one() -> None:
    assert normalise("I’LL PAY ๘,๕๐๐") == "i'll pay 8,500"


@given(st.text(max_size=100))
def test_folding_keeps_the_length_so_spans_index_the_original(text: str) -> None:
    assert len(normalise(text)) == len(text)


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("eight thousand five hundred", 8500),
        ("eighty-five hundred", 8500),
        ("seven and a half grand", 7500),
        ("twelve thousand", 12_000),
        ("a grand", 1000),
    ],
)
def test_english_number_words_have_their_value(words: str, value: int) -> None:
    assert english_value(words)[0] == Decimal(value)


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("แปดพัน", 8000),
        ("ห้าหมื่นห้า", 55_000),
        ("แสนสอง", 120_000),
        ("แสนห้าพัน", 105_000),
        ("หนึ่งแสนห้าหมื่น", 150_000),
        ("1.5 แสน", 150_000),
        ("ล้านห้าหมื่น", 1_050_000),
        ("ยี่สิบห้า", 25),
    ],
)
def test_thai_number_words_have_their_value(words: str, value: int) -> None:
    result = thai_value(words)
    assert result is not None and result[0] == Decimal(value)


def test_two_thai_digits_in_a_row_are_not_one_number() -> None:
    assert thai_value("สองสามพัน") is None


def test_phrase_patterns_match_like_the_plain_alternation() -> None:
    pattern = phrases([r"\bhi\b|hello", r"(?:do|would) (?:you|u) take", r"(?<!a )deal"])
    found = [m.group() for m in pattern.finditer("hi, would u take it? chi hello a deal")]
    assert found == ["hi", "would u take", "hello"]
