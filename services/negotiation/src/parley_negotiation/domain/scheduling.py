"""Viewing times inside the seller's weekly availability, in the seller's time zone.

A viewing lasts `VIEWING` and starts on the half hour; buyers need at least `LEAD` notice
and are offered times up to `HORIZON_DAYS` ahead, one per day, soonest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from parley_negotiation.domain.model import WeeklyWindow
from parley_negotiation.domain.reading import ViewingRequest

VIEWING = timedelta(minutes=30)
LEAD = timedelta(hours=1)
HORIZON_DAYS = 14
OFFERED = 3


@dataclass(frozen=True)
class ViewingPlan:
    """The answer to a viewing request: a booked time, or times to offer (and the asked time
    or day when it does not fit); nothing when the seller set no availability."""

    booked: datetime | None = None
    options: tuple[datetime, ...] = ()
    refused: datetime | None = None
    refused_day: date | None = None


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The time zone called `name`; UTC when the name is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(now: datetime, zone_name: str) -> datetime:
    """`now` in the seller's zone (aware); a naive `now` is taken as already local."""
    tz = zone(zone_name)
    return now.replace(tzinfo=tz) if now.tzinfo is None else now.astimezone(tz)


def fits(when: datetime, availability: tuple[WeeklyWindow, ...], now: datetime) -> bool:
    """Whether a viewing at local `when` lies inside a window and far enough ahead."""
    if when < now + LEAD:
        return False
    clock = when.strftime("%H:%M")
    finish = (when + VIEWING).strftime("%H:%M")
    return any(
        window.weekday == when.isoweekday() and window.start <= clock and finish <= window.end
        for window in availability
        if finish > clock
    )


def next_slots(
    availability: tuple[WeeklyWindow, ...], now: datetime, count: int = OFFERED
) -> tuple[datetime, ...]:
    """The soonest free times, at most one a day."""
    found: list[datetime] = []
    for offset in range(HORIZON_DAYS + 1):
        slots = _day_slots(availability, now.date() + timedelta(days=offset), now)
        found.extend(slots[:1])
        if len(found) >= count:
            break
    return tuple(found[:count])


def plan(
    availability: tuple[WeeklyWindow, ...], request: ViewingRequest | None, now: datetime
) -> ViewingPlan:
    """Book the buyer's time when it fits, else offer times near what they asked."""
    if not availability:
        return ViewingPlan()
    if request is None or (request.day is None and request.time is None):
        return ViewingPlan(options=next_slots(availability, now))
    if request.day is not None and request.time is not None:
        return _exact(availability, request.day.date(), _clock(request.time), now)
    if request.day is not None:
        return _on_day(availability, request.day.date(), now)
    return _at_time(availability, _clock(request.time or "00:00"), now)


def _exact(
    availability: tuple[WeeklyWindow, ...], day: date, clock: time, now: datetime
) -> ViewingPlan:
    when = datetime.combine(day, clock, tzinfo=now.tzinfo)
    if fits(when, availability, now):
        return ViewingPlan(booked=when)
    same_day = _day_slots(availability, day, now)[:OFFERED]
    return ViewingPlan(options=same_day or next_slots(availability, now), refused=when)


def _on_day(availability: tuple[WeeklyWindow, ...], day: date, now: datetime) -> ViewingPlan:
    same_day = _day_slots(availability, day, now)[:OFFERED]
    if same_day:
        return ViewingPlan(options=same_day)
    return ViewingPlan(options=next_slots(availability, now), refused_day=day)


def _at_time(availability: tuple[WeeklyWindow, ...], clock: time, now: datetime) -> ViewingPlan:
    """The next days on which the asked time fits."""
    found = []
    for offset in range(HORIZON_DAYS + 1):
        when = datetime.combine(now.date() + timedelta(days=offset), clock, tzinfo=now.tzinfo)
        if fits(when, availability, now):
            found.append(when)
        if len(found) >= OFFERED:
            break
    return ViewingPlan(options=tuple(found) or next_slots(availability, now))


def _day_slots(
    availability: tuple[WeeklyWindow, ...], day: date, now: datetime
) -> tuple[datetime, ...]:
    """Every half hour on `day` when a viewing fits, earliest first: one per window start and
    then hourly, so a day offers a spread of times."""
    found: set[datetime] = set()
    for window in availability:
        if window.weekday != day.isoweekday():
            continue
        start = datetime.combine(day, _clock(window.start), tzinfo=now.tzinfo)
        end = datetime.combine(day, _clock(window.end), tzinfo=now.tzinfo)
        when = max(start, _round_up(now + LEAD, start))
        while when + VIEWING <= end:
            found.add(when)
            when += timedelta(hours=1)
    return tuple(sorted(found))


def _round_up(moment: datetime, base: datetime) -> datetime:
    """The first half hour on or after `moment`, counted from `base`."""
    if moment <= base:
        return base
    steps = -(-(moment - base) // VIEWING)
    return base + steps * VIEWING


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))
