"""Viewing times: offered inside the seller's weekly availability, booked only when they fit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from parley_negotiation.domain.model import InvalidRules, WeeklyWindow
from parley_negotiation.domain.reading import ViewingRequest
from parley_negotiation.domain.scheduling import (
    LEAD,
    ViewingPlan,
    fits,
    local_time,
    next_slots,
    plan,
    zone,
)

BANGKOK = zone("Asia/Bangkok")
# Saturdays 10:00-16:00 and Wednesdays 17:00-19:00.
WINDOWS = (WeeklyWindow(6, "10:00", "16:00"), WeeklyWindow(3, "17:00", "19:00"))
# Friday 1 May 2026, 09:00 in Bangkok.
NOW = datetime(2026, 5, 1, 9, 0, tzinfo=BANGKOK)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, day, hour, minute, tzinfo=BANGKOK)


def test_next_slots_are_the_soonest_free_times_one_a_day() -> None:
    assert next_slots(WINDOWS, NOW) == (at(2, 10), at(6, 17), at(9, 10))


def test_a_slot_needs_the_lead_time() -> None:
    saturday_late = at(2, 14, 10)
    assert next_slots(WINDOWS, saturday_late)[0] == at(2, 15, 30)
    assert next_slots(WINDOWS, at(2, 15, 0))[0] == at(6, 17)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (at(2, 10), True),
        (at(2, 15, 30), True),  # ends exactly at 16:00
        (at(2, 15, 31), False),
        (at(2, 9, 59), False),
        (at(3, 11), False),  # Sunday
        (NOW + LEAD - timedelta(minutes=1), False),
    ],
)
def test_fits_only_inside_a_window_and_ahead_of_the_lead_time(
    when: datetime, expected: bool
) -> None:
    assert fits(when, WINDOWS, NOW) is expected


def test_a_requested_time_inside_availability_is_booked() -> None:
    request = ViewingRequest(day=at(2, 0), time="14:00")
    assert plan(WINDOWS, request, NOW) == ViewingPlan(booked=at(2, 14))


def test_a_requested_time_outside_availability_gets_alternatives_that_day_first() -> None:
    request = ViewingRequest(day=at(2, 0), time="18:00")
    result = plan(WINDOWS, request, NOW)
    assert result.booked is None
    assert result.refused == at(2, 18)
    assert result.options == (at(2, 10), at(2, 11), at(2, 12))


def test_a_requested_day_without_availability_gets_the_next_slots() -> None:
    result = plan(WINDOWS, ViewingRequest(day=at(3, 0)), NOW)
    assert result.refused_day == at(3, 0).date()
    assert result.options == (at(2, 10), at(6, 17), at(9, 10))


def test_a_requested_day_with_availability_offers_times_that_day() -> None:
    result = plan(WINDOWS, ViewingRequest(day=at(6, 0)), NOW)
    assert result == ViewingPlan(options=(at(6, 17), at(6, 18)))


def test_a_requested_time_without_a_day_finds_the_days_it_fits_within_the_horizon() -> None:
    result = plan(WINDOWS, ViewingRequest(time="17:30"), NOW)
    assert result.options == (at(6, 17, 30), at(13, 17, 30))  # the 20th is beyond 14 days


def test_no_request_details_offers_the_next_slots() -> None:
    assert plan(WINDOWS, None, NOW).options == next_slots(WINDOWS, NOW)
    assert plan(WINDOWS, ViewingRequest(test_drive=True), NOW).options == next_slots(WINDOWS, NOW)


def test_without_availability_nothing_is_offered() -> None:
    assert plan((), ViewingRequest(day=at(2, 0), time="14:00"), NOW) == ViewingPlan()


def test_local_time_converts_aware_times_and_keeps_naive_ones_local() -> None:
    utc = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
    assert local_time(utc, "Asia/Bangkok") == NOW
    assert local_time(utc, "Asia/Bangkok").utcoffset() == timedelta(hours=7)
    assert local_time(datetime(2026, 5, 1, 9, 0), "Asia/Bangkok") == NOW
    assert local_time(utc, "Not/AZone").utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("weekday", "start", "end"),
    [(0, "10:00", "12:00"), (8, "10:00", "12:00"), (1, "9:00", "12:00"), (1, "12:00", "10:00")],
)
def test_malformed_windows_are_refused(weekday: int, start: str, end: str) -> None:
    with pytest.raises(InvalidRules, match="availability"):
        WeeklyWindow(weekday, start, end)
