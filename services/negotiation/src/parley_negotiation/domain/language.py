"""Buyer text in English and Thai: folding it for matching, telling the languages apart, and
reading numbers written in words."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

# One character in, one character out, so that spans found in the folded text index the
# original: Thai digits become ASCII digits, typographic quotes and odd spaces plain ones.
_FOLD = str.maketrans(
    {
        **{chr(0x0E50 + digit): str(digit) for digit in range(10)},
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00a0": " ",
        "\u200b": " ",  # zero-width space, common in Thai typing
        "\uff04": "$",
        "\u2013": "-",
        "\u2014": "-",
    }
)
_THAI_WORD = re.compile(r"[\u0e01-\u0e5b]{2}")


def normalise(text: str) -> str:
    """Lower-case `text` with Thai digits, quotes and spaces folded, same length as `text`."""
    folded = text.translate(_FOLD)
    lowered = folded.lower()
    if len(lowered) == len(folded):
        return lowered
    # A few characters ("İ") lower-case to two; keep those as they are to keep every index.
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in folded)


def detect_language(text: str) -> str:
    """Say "th" when the message holds any Thai word (mixed Thai and English too), else "en"."""
    return "th" if _THAI_WORD.search(text) else "en"


# --- phrase patterns --------------------------------------------------------------------------
# Python's `re` tries the branches of an alternation one by one at every position, skipping a
# branch at once only when it starts with a literal character. Long phrase lists are therefore
# compiled with their alternatives grouped by first character (\bword becomes w(?<!\ww)ord),
# which makes scanning a message several times faster.

_QUANTIFIERS = frozenset("?*+{")
_NOT_LITERAL = frozenset("\\([.^$|?*+{")


def phrases(alternatives: Iterable[str], suffix: str = "") -> re.Pattern[str]:
    """One pattern for phrase patterns (each may hold top-level "|"), each followed by `suffix`."""
    groups: dict[str, list[str]] = {}
    others: list[str] = []
    for alternative in alternatives:
        for branch in _split(alternative):
            for flat in _expanded(branch):
                head = flat[0] if flat else ""
                if head and head not in _NOT_LITERAL and flat[1:2] not in _QUANTIFIERS:
                    groups.setdefault(head, []).append(flat[1:] + suffix)
                else:
                    others.append(flat + suffix)
    heads = [f"{re.escape(head)}(?:{'|'.join(tails)})" for head, tails in groups.items()]
    return re.compile("|".join(heads + others))


def branches(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern source: "a|(b|c)" has "a" and "(b|c)"."""
    return _split(pattern)


def heads(pattern: re.Pattern[str]) -> frozenset[str]:
    """The first characters a `phrases` pattern can match (every one of them is a literal)."""
    branches = _split(pattern.pattern)
    if any(branch[:1] in _NOT_LITERAL for branch in branches):
        raise ValueError(f"a branch does not start with a literal: {pattern.pattern}")
    return frozenset(branch[0] for branch in branches)


def _split(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern."""
    parts, start, depth, index, in_class = [], 0, 0, 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class or char == "[":
            in_class = char != "]" if in_class else True
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:index])
            start = index + 1
        index += 1
    return [*parts, pattern[start:]]


def _closing(pattern: str) -> int:
    """The index of the parenthesis closing the group that opens `pattern`."""
    depth, index, in_class = 0, 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class or char == "[":
            in_class = char != "]" if in_class else True
        elif char in "()":
            depth += 1 if char == "(" else -1
            if depth == 0:
                return index
        index += 1
    raise ValueError(f"unbalanced pattern: {pattern}")


def _expanded(branch: str) -> list[str]:
    """A branch with a leading "(?:a|b)" spread out and a leading \\b moved after a letter."""
    bounded = branch.startswith("\\b")
    body = branch[2:] if bounded else branch
    if body.startswith("(?:"):
        end = _closing(body)
        rest = body[end + 1 :]
        if rest[:1] not in _QUANTIFIERS:
            prefix = "\\b" if bounded else ""
            inner = _split(body[3:end])
            return [flat for part in inner for flat in _expanded(prefix + part + rest)]
    if bounded and body[:1].isalnum() and body[1:2] not in _QUANTIFIERS:
        return [f"{body[0]}(?<!\\w{body[0]}){body[1:]}"]
    return [branch]


# --- number words ---------------------------------------------------------------------------
# Patterns (sources, for the amount scanner to embed) and values of numbers written in words.

_ONES = "one two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_EN_VALUES: dict[str, int] = {
    **{word: n + 1 for n, word in enumerate(_ONES)},
    **{word: n + 10 for n, word in enumerate(_TEENS)},
    **{word: (n + 2) * 10 for n, word in enumerate(_TENS)},
    "fourty": 40,
}
# Longest first, so that "sixty" is tried before "six".
ENGLISH_NUMBER_WORDS = sorted(
    [*_EN_VALUES, "hundred", "thousand", "grand", "million", "half"], key=len, reverse=True
)
_EN_WORD = r"(?:{})\b".format("|".join(ENGLISH_NUMBER_WORDS))
_EN_JOIN = r"(?:\s+and\s+a\s+|\s+and\s+|[\s-]+|\s+a\s+)"
# "eight thousand five hundred", "eighty-five hundred", "eight and a half grand", "a grand".
ENGLISH_NUMBER = (
    rf"\b(?:an?\s+(?=(?:grand|thousand|hundred)\b))?{_EN_WORD}(?:{_EN_JOIN}{_EN_WORD})*"
)

_TH_DIGITS = {"หนึ่ง": 1, "เอ็ด": 1, "สอง": 2, "ยี่": 2, "สาม": 3, "สี่": 4, "ห้า": 5}
_TH_DIGITS |= {"หก": 6, "เจ็ด": 7, "แปด": 8, "เก้า": 9}
_TH_UNITS = {"สิบ": 10, "ร้อย": 100, "พัน": 1000, "หมื่น": 10_000, "แสน": 100_000}
THAI_NUMBER_WORDS = (*_TH_DIGITS, *_TH_UNITS, "ล้าน")
_MILLION = 1_000_000
_ONE = Decimal(1)
# Thai number words, with the everyday words that contain them kept out ("สามารถ" can,
# "ห้าง" mall, "เก้าอี้" chair, "เรียบร้อย" done, "แสนดี" lovely, "ยี่ห้อ" brand, "ล้านนา").
_TH_DIGIT = r"หนึ่ง|เอ็ด|สอง|ยี่(?=สิบ)|สาม(?!ารถ|ี)|สี่|ห้า(?!ง)|หก(?!ล้ม)|เจ็ด|แปด|เก้า(?!อี้)"
_TH_UNIT = (
    r"สิบ|(?<!เรียบ)ร้อย|พัน(?!ธ)|หมื่น|ล้าน(?!นา)"
    r"|แสน(?!\s?(?:ดี|สวย|ถูก|แพง|ง่าย|สบาย|รัก|นาน|เสียดาย|เบื่อ|สุข))"
)
_NUM = r"\d+(?:\.\d+)?"
# "แปดพัน", "1.5 แสน", "5หมื่น5", "สองแสนครึ่ง", "1 ล้าน 2 แสน".
THAI_NUMBER = (
    rf"(?:{_NUM}\s?(?={_TH_UNIT}))?(?:{_TH_DIGIT}|{_TH_UNIT})"
    rf"(?:\s?(?:{_TH_DIGIT}|{_TH_UNIT}|ครึ่ง|{_NUM}(?=\s?(?:{_TH_UNIT}))|\d(?![\d.,])))*"
)
_TH_TOKEN = re.compile(
    r"\d+(?:\.\d+)?|หนึ่ง|เอ็ด|สอง|ยี่|สาม|สี่|ห้า|หก|เจ็ด|แปด|เก้า|สิบ|ร้อย|พัน|หมื่น|แสน|ล้าน|ครึ่ง"
)


def english_value(words: str) -> tuple[Decimal, int]:
    """Value and largest unit of number words: "eight thousand five hundred" is 8,500."""
    total, current, top = Decimal(0), Decimal(0), 1
    for word in re.split(r"[\s-]+", words):
        if word in ("a", "an", "and"):
            continue
        if word == "half":
            current += Decimal("0.5")
        elif word == "hundred":
            current, top = (current or _ONE) * 100, max(top, 100)
        elif word in ("thousand", "grand"):
            total, current, top = total + (current or _ONE) * 1000, Decimal(0), max(top, 1000)
        elif word == "million":
            total, current, top = (total + (current or _ONE)) * _MILLION, Decimal(0), _MILLION
        else:
            current += _EN_VALUES[word]
    return total + current, top


def thai_value(words: str) -> tuple[Decimal, int] | None:
    """Value and largest unit of Thai number words and digits: "แปดพัน", colloquial "แสนสอง"."""
    total, pending, last, top = Decimal(0), list[Decimal](), 0, 1
    for token in _TH_TOKEN.findall(words):
        if token in _TH_UNITS or token in ("ล้าน", "ครึ่ง"):
            if len(pending) > 1:
                return None  # "สองสามพัน", two or three thousand: not one amount
            total, last = _thai_unit(total, pending[0] if pending else None, token, last)
            pending, top = [], max(top, last)
        else:
            pending.append(Decimal(_TH_DIGITS.get(token) or token))
    if pending and not last:
        return (pending[0], 1) if len(pending) == 1 else None
    # Digits after the last unit count in the units below it: "แสนสี่ห้า" is 145,000.
    for place, digit in enumerate(pending, start=1):
        total += digit * last / 10**place if digit < 10 else digit
    return total, top


def _thai_unit(
    total: Decimal, coefficient: Decimal | None, token: str, last: int
) -> tuple[Decimal, int]:
    """The running total and unit after one Thai unit word ("ล้าน" multiplies all before)."""
    if token == "ครึ่ง":
        return total + Decimal(last) / 2, last
    if token == "ล้าน":
        return (total + coefficient if coefficient else total or Decimal(1)) * _MILLION, _MILLION
    unit = _TH_UNITS[token]
    return total + (coefficient if coefficient is not None else 1) * unit, unit
