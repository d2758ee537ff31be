"""Proposed viewing days and times, resolved against the seller's local now."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from parley_negotiation.domain.reading import Intent, ReadContext
from parley_negotiation.domain.understanding import read
from parley_negotiation.domain.viewing import proposed_time

WEDNESDAY = datetime(2025, 6, 11, 10, 30)


def day(offset: int) -> datetime:
    return datetime(2025, 6, 11) + timedelta(days=offset)


@pytest.mark.parametrize(
    ("text", "expected_day", "expected_time"),
    [
        ("can I see it saturday", day(3), None),
        ("sat?", day(3), None),
        ("can i come tomorrow at 3pm", day(1), "15:00"),
        ("tmrw at 5 ok to test drive?", day(1), "17:00"),
        ("this weekend?", day(3), None),
        ("today after 6?", day(0), "18:00"),
        ("tonight at 7:30", day(0), "19:30"),
        ("next monday morning at 9", day(5), "09:00"),
        ("wednesday", day(0), None),
        ("next wednesday", day(7), None),
        ("day after tomorrow at noon", day(2), "12:00"),
        ("on the 15th at 10am", day(4), "10:00"),
        ("can I come by at 14:30", None, "14:30"),
        ("พรุ่งนี้บ่ายสองไปดูได้ไหม", day(1), "14:00"),
        ("วันเสาร์ขอไปดูรถครับ", day(3), None),
        ("เสาร์อาทิตย์นี้ว่างไหม", day(3), None),
        ("พรุ่งนี้ 10 โมงสะดวกไหมครับ", day(1), "10:00"),
        ("สี่โมงเย็นไปดูได้ไหม", None, "16:00"),
        ("คืนนี้สองทุ่ม", day(0), "20:00"),
        ("วันศุกร์หน้าบ่าย 3 ครึ่ง", day(9), "15:30"),
        ("14.30 น.", None, "14:30"),
        ("when can I come look at it", None, None),
    ],
)
def test_the_proposed_day_and_time_are_resolved(
    text: str, expected_day: datetime | None, expected_time: str | None
) -> None:
    assert proposed_time(text.lower(), WEDNESDAY) == (expected_day, expected_time)


def test_the_day_keeps_the_sellers_time_zone() -> None:
    bangkok = timezone(timedelta(hours=7))
    found, _ = proposed_time("tomorrow", datetime(2025, 6, 11, 23, 50, tzinfo=bangkok))
    assert found == datetime(2025, 6, 12, tzinfo=bangkok)


def test_without_a_local_now_only_the_time_is_known() -> None:
    assert proposed_time("saturday at 3pm", None) == (None, "15:00")


def test_a_viewing_request_carries_the_test_drive_wish() -> None:
    context = ReadContext(reference_price=Decimal(8500), now=WEDNESDAY)
    reading = read("can i come tomorrow at 3pm to test drive", context)
    assert reading.intent is Intent.VIEWING
    assert reading.viewing is not None
    assert (reading.viewing.day, reading.viewing.time) == (day(1), "15:00")
    assert reading.viewing.test_drive
    assert read("ขอลองขับได้ไหม", context).viewing is not None


def test_a_day_named_with_an_offer_is_not_a_viewing_request() -> None:
    context = ReadContext(reference_price=Decimal(8500), now=WEDNESDAY)
    reading = read("I'll pay 7600 tomorrow", context)
    assert reading.intent is Intent.OFFER
    assert reading.viewing is None
