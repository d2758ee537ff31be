"""The day and time a buyer proposes to see the item, resolved against the seller's local now."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from parley_negotiation.domain.language import phrases

_WEEKDAYS = (
    ("mon", "จันทร์"),
    ("tue", "อังคาร"),
    ("wed", "พุธ"),
    ("thu", "พฤหัส"),
    ("fri", "ศุกร์"),
    ("sat", "เสาร์"),
    ("sun", "อาทิตย์"),
)
_EN_DAY = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|sday|nesday|rsday|urday)?\b"
_TH_DAY = r"จันทร์|อังคาร|พุธ|พฤหัส(?:บดี)?|ศุกร์|เสาร์"
_DAY = re.compile(
    r"(?P<after>day after (?:tomorrow|tmrw?)|มะรืน)"
    r"|(?P<tomorrow>tomm?orr?ow|tomoro|\btmrw?\b|\btmrow\b|2moro|2morrow|พรุ่งนี้|พรุ้งนี้)"
    r"|(?P<today>today|tonight|tonite|this (?:morning|afternoon|evening)|วันนี้|คืนนี้|เย็นนี้|บ่ายนี้)"
    r"|(?P<weekend>weekend|เสาร์[ -]?อาทิตย์|สุดสัปดาห์|วีคเอนด์|วันหยุด)"
    rf"|(?P<next>next {_EN_DAY}|(?:วัน)?(?:{_TH_DAY})หน้า|วันอาทิตย์หน้า)"
    rf"|(?P<weekday>\b{_EN_DAY}|วัน(?:{_TH_DAY}|อาทิตย์)|{_TH_DAY})"
    r"|(?P<date>\bthe (?P<dom>\d{1,2})(?:st|nd|rd|th)\b|วันที่\s?(?P<thdom>\d{1,2}))"
)
_TH_HOURS = {"หนึ่ง": 1, "สอง": 2, "สาม": 3, "สี่": 4, "ห้า": 5, "หก": 6, "เจ็ด": 7, "แปด": 8}
_TH_HOURS |= {"เก้า": 9, "สิบ": 10, "สิบเอ็ด": 11, "สิบสอง": 12, "โมง": 1}
_TH_HOUR = r"\d{1,2}|สิบเอ็ด|สิบสอง|หนึ่ง|สอง|สาม|สี่|ห้า|หก|เจ็ด|แปด|เก้า|สิบ"
_AMPM = re.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s?(am|pm|a\.m\.|p\.m\.)")
_CLOCK = re.compile(r"\b(\d{1,2})[:.](\d{2})\s?(?:น|hrs?\b)|\b(\d{1,2}):(\d{2})\b")
_NOON = re.compile(r"\bnoon\b|midday|เที่ยง(?!คืน)")
_TH_AFTERNOON = re.compile(rf"บ่าย\s?({_TH_HOUR}|โมง)(?:\s?โมง)?(\s?ครึ่ง)?")
_TH_MONG = re.compile(rf"({_TH_HOUR})\s?โมง\s?(เย็น|เช้า)?(\s?ครึ่ง)?")
_TH_THUM = re.compile(rf"({_TH_HOUR})\s?ทุ่ม(\s?ครึ่ง)?")
_AT_HOUR = re.compile(
    r"\b(?:at|around|arnd|by|after|about|@)\s?(\d{1,2})(?:[:.](\d{2}))?\b"
    r"(?!\s?(?:k\b|grand|\$|dollars|bucks|miles|%|,\d|\.\d{3}|\d))"
)
_MORNING = re.compile(r"morning|\bam\b|เช้า")
_EVENING = re.compile(r"evening|tonight|tonite|afternoon|after work|เย็น|บ่าย|ค่ำ")


# Anything that may name a day or a time; most messages have none and are done at once.
_ANY = phrases(
    [
        r"\d|noon|midday|tomm?orr?ow|tomoro|\btmr|2mor|today|tonight|tonite|this |weekend",
        r"day after|next |\b(?:mon|tue|wed|thu|fri|sat|sun)|the \d",
        r"มะรืน|พรุ่งนี้|พรุ้งนี้|วันนี้|คืนนี้|เย็นนี้|บ่าย|เสาร์|อาทิตย์|จันทร์|อังคาร|พุธ|พฤหัส|ศุกร์",
        r"สุดสัปดาห์|วีคเอนด์|วันหยุด|วันที่|โมง|ทุ่ม|เที่ยง",
    ]
)


def proposed_time(folded: str, now: datetime | None) -> tuple[datetime | None, str | None]:
    """The day (local midnight, from `now`) and "HH:MM" time a folded message names, if any."""
    if _ANY.search(folded) is None:
        return None, None
    return _day(folded, now), _time(folded)


def _day(folded: str, now: datetime | None) -> datetime | None:
    """The calendar day named: today, tomorrow, a weekday, the weekend, "the 15th"."""
    match = _DAY.search(folded)
    if match is None or now is None:
        return None
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    offset = _offset(match, midnight)
    return None if offset is None else midnight + timedelta(days=offset)


def _offset(match: re.Match[str], today: datetime) -> int | None:
    """Days from today to the day a `_DAY` match names."""
    kind = match.lastgroup
    fixed = {"today": 0, "tomorrow": 1, "after": 2}
    if kind in fixed:
        return fixed[kind]
    if kind == "weekend":
        return 0 if today.weekday() >= 5 else 5 - today.weekday()
    if kind == "date":
        return _days_to_date(today, int(match.group("dom") or match.group("thdom")))
    weekday = _weekday(match.group())
    ahead = (weekday - today.weekday()) % 7
    if kind != "next":
        return ahead  # "saturday" said on a Saturday is today
    # "next friday", "ศุกร์หน้า": the Friday of next week (weeks start on Monday).
    return ahead + 7 if ahead == 0 or today.weekday() + ahead <= 6 else ahead


def _weekday(name: str) -> int:
    """Monday is 0: the weekday an English or Thai day name stands for."""
    for index, (english, thai) in enumerate(_WEEKDAYS):
        if english in name or thai in name:
            return index
    return 0


def _days_to_date(today: datetime, day_of_month: int) -> int | None:
    """Days until the next date with that day of the month ("the 15th"), within two months."""
    for ahead in range(62):
        if (today + timedelta(days=ahead)).day == day_of_month:
            return ahead
    return None


def _time(folded: str) -> str | None:
    """The clock time named, as "HH:MM": "3pm", "15:00", "บ่ายสอง", "สองทุ่ม", "at 4"."""
    for pattern, reader, hint in _TIME_READERS:
        if hint.search(folded) is None:
            continue
        match = pattern.search(folded)
        if match is not None:
            clock = reader(match, folded)
            if clock is not None:
                return f"{clock[0]:02d}:{clock[1]:02d}"
    return None


def _valid(hour: int, minute: int) -> tuple[int, int] | None:
    """An hour and minute of a real clock, or None."""
    return (hour, minute) if 0 <= hour <= 23 and 0 <= minute <= 59 else None


def _read_ampm(match: re.Match[str], folded: str) -> tuple[int, int] | None:
    """ "3pm", "10:30 am"."""
    hour, minute = int(match.group(1)) % 12, int(match.group(2) or 0)
    return _valid(hour + (12 if match.group(3).startswith("p") else 0), minute)


def _read_clock(match: re.Match[str], folded: str) -> tuple[int, int] | None:
    """ "14.30 น." on the 24-hour clock; "7:30" read like "at 7" ("tonight at 7:30" is 19:30)."""
    if match.group(1):
        return _valid(int(match.group(1)), int(match.group(2)))
    return _day_hour(int(match.group(3)), int(match.group(4)), folded)


def _read_noon(match: re.Match[str], folded: str) -> tuple[int, int] | None:
    """ "noon", "เที่ยง"."""
    return 12, 0


def _thai_hour(word: str) -> int:
    """A Thai hour word or digits as a number."""
    return int(word) if word.isdigit() else _TH_HOURS[word]


def _read_thai_afternoon(match: re.Match[str], folded: str) -> tuple[int, int] | None:
    """ "บ่ายสอง" 14:00, "บ่ายโมง" 13:00, "บ่าย 3 ครึ่ง" 15:30."""
    hour = _thai_hour(match.group(1))
    return _valid(hour + 12 if hour < 12 else hour, 30 if match.group(2) else 0)


def _read_thai_mong(match: re.Match[str], folded: str) -> tuple[int, int] | None:
    """ "สี่โมงเย็น" 16:00, "สิบโมง" 10:00, "5 โมงเช้า" 05:00."""
    hour, part = _thai_hour(match.group(1)), match.group(2)
    if part == "เย็น" or (part is None and 1 <= hour <= 5):
        hour = hour + 12 if hour < 12 else hour
    return _valid(hour, 30 if match.group(3) else 0)


def _read_thai_thum(match: re.Match[str], folded: str) -> tuple[int, int] | None:
    """ "สองทุ่ม" 20:00: the evening hours count from 18:00."""
    return _valid(18 + _thai_hour(match.group(1)), 30 if match.group(2) else 0)


def _read_at_hour(match: re.Match[str], folded: str) -> tuple[int, int] | None:
    """ "at 4": an afternoon hour from 1 to 7 unless the morning is named, 8 to 11 the reverse."""
    return _day_hour(int(match.group(1)), int(match.group(2) or 0), folded)


def _day_hour(hour: int, minute: int, folded: str) -> tuple[int, int] | None:
    """An hour said without am or pm, placed in the part of the day a viewing happens."""
    if not 1 <= hour <= 12:
        return _valid(hour, minute) if hour > 12 else None
    if hour <= 7 and not _MORNING.search(folded):
        hour += 12
    elif 8 <= hour <= 11 and _EVENING.search(folded):
        hour += 12
    return _valid(hour, minute)


_DIGIT = re.compile(r"\d")
_THAI_CLOCK = re.compile(r"บ่าย|โมง|ทุ่ม")
_NOON_HINT = re.compile(r"noon|midday|เที่ยง")
_Reader = Callable[[re.Match[str], str], tuple[int, int] | None]
# Each reader with a quick test of whether its pattern can match at all.
_TIME_READERS: tuple[tuple[re.Pattern[str], _Reader, re.Pattern[str]], ...] = (
    (_AMPM, _read_ampm, _DIGIT),
    (_CLOCK, _read_clock, _DIGIT),
    (_TH_AFTERNOON, _read_thai_afternoon, _THAI_CLOCK),
    (_TH_THUM, _read_thai_thum, _THAI_CLOCK),
    (_TH_MONG, _read_thai_mong, _THAI_CLOCK),
    (_NOON, _read_noon, _NOON_HINT),
    (_AT_HOUR, _read_at_hour, _DIGIT),
)
