"""Long replies split at sentence boundaries, never inside a word."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley_delivery.domain.splitting import split_text


def test_a_text_within_the_limit_is_one_part() -> None:
    assert split_text("  Still available, 8,500 THB.  ") == ["Still available, 8,500 THB."]
    assert split_text("   ") == []


def test_a_long_text_splits_between_sentences() -> None:
    sentences = [f"Sentence number {i} is here." for i in range(10)]
    parts = split_text(" ".join(sentences), limit=60)
    assert all(len(part) <= 60 for part in parts)
    assert all(part.endswith(".") for part in parts)
    assert " ".join(parts) == " ".join(sentences)


def test_line_breaks_are_boundaries_too() -> None:
    assert split_text("first line\nsecond line", limit=12) == ["first line", "second line"]


def test_a_sentence_longer_than_the_limit_splits_between_words() -> None:
    parts = split_text("word " * 30 + "end.", limit=22)
    assert all(len(p) <= 22 for p in parts)
    assert all(w in ("word", "end.") for p in parts for w in p.split())


def test_a_word_longer_than_the_limit_is_cut_without_orphaning_a_combining_mark() -> None:
    thai = "ก่" * 60  # every second character is a tone mark that belongs to the letter before
    parts = split_text(thai, limit=51)
    assert "".join(parts) == thai
    assert all(len(p) <= 51 and not unicodedata.combining(p[0]) for p in parts)


def test_the_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        split_text("x", limit=0)


words = st.text(
    alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Nd")), min_size=1, max_size=15
)


@given(st.lists(words, min_size=1, max_size=200), st.integers(min_value=20, max_value=300))
def test_parts_are_within_the_limit_and_keep_every_word_whole(
    tokens: list[str], limit: int
) -> None:
    text = " ".join(f"{t}." if i % 7 == 6 else t for i, t in enumerate(tokens))
    parts = split_text(text, limit)
    assert all(0 < len(part) <= limit for part in parts)
    assert [w for part in parts for w in part.split()] == text.split()
