"""Labelled buyer messages (English and Thai) with the offer each makes, to measure the reader."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any

from parley_negotiation.domain.numbers import read_offer
from parley_negotiation.domain.reading import OfferKind, ReadContext


@dataclass(frozen=True)
class OfferExample:
    """One labelled message: its listing, the prices said before it, and the expected offer."""

    text: str
    reference: Decimal  # the listing's asking price
    quoted: tuple[Decimal, ...]  # prices said before (the bot's counters)
    year: int | None
    mileage: int | None
    expect: Decimal | None  # the amount the reader should find (None for none or ambiguous)
    kind: OfferKind
    lang: str  # "en" or "th"

    def context(self) -> ReadContext:
        """The reading context this message is judged in."""
        return ReadContext(
            reference_price=self.reference,
            quoted_prices=self.quoted,
            listing_year=self.year,
            listing_mileage=self.mileage,
        )

    def read_correctly(self) -> bool:
        """Whether `read_offer` finds the expected kind and amount."""
        reading = read_offer(self.text, self.context())
        return reading.kind is self.kind and reading.amount == self.expect


def offer_examples() -> list[OfferExample]:
    """Every labelled message of `offers.jsonl`, in file order."""
    return list(_examples())


def offer_accuracy(lang: str | None = None) -> tuple[int, int]:
    """(correct, total) of `read_offer` on the labelled set, or on one language of it."""
    examples = [e for e in _examples() if lang is None or e.lang == lang]
    return sum(e.read_correctly() for e in examples), len(examples)


@cache
def _examples() -> tuple[OfferExample, ...]:
    """The labelled set, read once from the package."""
    text = files(__name__).joinpath("offers.jsonl").read_text(encoding="utf-8")
    return tuple(_example(json.loads(line)) for line in text.splitlines() if line.strip())


def _example(row: dict[str, Any]) -> OfferExample:
    """One JSON line as an example."""
    expect = row["expect"]
    return OfferExample(
        text=row["text"],
        reference=_money(row["reference"]),
        quoted=tuple(_money(price) for price in row["quoted"]),
        year=row["year"],
        mileage=row["mileage"],
        expect=None if expect is None else _money(expect),
        kind=OfferKind(row["kind"]),
        lang=row["lang"],
    )


def _money(number: int | float) -> Decimal:
    """A JSON number as an exact Decimal."""
    return Decimal(str(number))
