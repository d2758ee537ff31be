"""Money amounts written in buyer messages, in English and Thai, with their spans."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal

from parley_negotiation.domain.language import (
    ENGLISH_NUMBER,
    ENGLISH_NUMBER_WORDS,
    THAI_NUMBER,
    THAI_NUMBER_WORDS,
    english_value,
    normalise,
    phrases,
    thai_value,
)
from parley_negotiation.domain.reading import OfferKind, OfferReading, ReadContext


@dataclass(frozen=True)
class Amount:
    """One money-like amount found in a text; `text[start:end]` is how it was written."""

    value: Decimal
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Mention:
    """A money-like amount as the offer reader needs it (spans index the folded text)."""

    value: Decimal
    start: int
    end: int
    # Written with a currency ("$", "บาท", "bucks"): certainly money.
    marked: bool = False
    # The unit the digits were multiplied by ("8.5k": 1000, "1.5 แสน": 100000), else 1.
    scale: int = 1
    # Bare digits that could be a model year ("2009", "2552" in the Buddhist era).
    year_like: bool = False
    # How it joins the amount before it: "range" ("7-7.5k"), "or" ("7000 or 7200"), or "".
    link: str = ""


_PHONE = (
    r"(?<![\d.,])(?:\+?\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)\s?|\d{2,4}[\s.-])\d{3}[\s.-]?\d{3,4}(?![\d.,])"
    r"|(?<![\d.,])\+?\d{9,}(?![\d.,])"
)
_TIME = (
    r"\b\d{1,2}(?:[:.]\d{2})?\s?(?:-|to|or)\s?\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)"
    r"|\b\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.|o'?clock)(?![a-z])"
    r"|\b\d{1,2}:\d{2}\b"
    r"|\d{1,2}(?:[.:]\d{2})?\s?(?:น\.|นาฬิกา|โมง|ทุ่ม)|บ่าย\s?\d{1,2}(?:[.:]\d{2})?"
)
_SKIP = r"https?://\S+|www\.\S+|\b\d{1,4}/\d{1,4}(?:/\d{2,4})?\b|#\d+"
# Tried where `_STARTS` finds something that may begin a number, in this order.
_NUMBER = re.compile(
    rf"(?P<skip>{_SKIP}|{_PHONE})|(?P<time>{_TIME})|(?P<thai>{THAI_NUMBER})"
    rf"|(?P<words>{ENGLISH_NUMBER})|(?P<num>\d+(?:[.,]\d+)*)"
)
_STARTS = phrases(
    [
        r"\d+|\(\d|\+\d|https?://|www\.|#\d|บ่าย",
        r"\ban? (?:grand|thousand|hundred)\b",
        *(rf"\b{word}\b" for word in ENGLISH_NUMBER_WORDS),
        *THAI_NUMBER_WORDS,
    ]
)

_US_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_EU_GROUPED = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?")
_DECIMAL = re.compile(r"\d+(?:[.,]\d+)?")
_SCALE_AFTER = re.compile(
    r"\s?(?:(?P<k>k)(?P<kd>\d(?![\d.,]))?(?![a-z])|(?P<word>grand|thousand|thou|hundred|million)\b)"
)
_DIGIT_SCALES = {"grand": 1000, "thousand": 1000, "thou": 1000, "hundred": 100}
_DIGIT_SCALES |= {"million": 1_000_000}
_CURRENCY_AFTER = re.compile(r"\s?(?:\$|dollars?\b|bucks\b|usd\b|thb\b|baht\b|บาท|บ\.|฿|\.-)|\.-")
_CURRENCY_BEFORE = phrases([r"\$|\busd|\bthb|฿|\bus\$"], suffix=r"\s?\Z")

_EN_QUANTITY = (
    r"keys?|tires?|tyres?|rims?|wheels?|owners?|doors?|seats?|seater|people|persons?|kids?"
    r"|days?|weeks?|months?|years?|yrs?|yr|hours?|hrs?|mins?|minutes?|secs?|seconds?|times?"
    r"|cyl(?:inders?)?|speeds?|spd|gb|tb|mb|inch(?:es)?|ft|feet|lbs?|kg|cc|hp|l|liters?"
    r"|litres?|mpg|mph|pics?|photos?|pictures?|pcs|pieces?|units?|items?|bikes?|cars?|trucks?"
    r"|phones?|pairs?|sets?|batteries|nights?|spots?|blocks?|exits?|stars?|scratch(?:es)?"
    r"|dents?|more (?:pics|photos)|of (?:them|those|these)|x\b|st\b|nd\b|rd\b|th\b|turbo"
    r"|liter|litre|ecoboost|hybrid|diesel|engine|motor|v6|v8|v-?tec|cylinder|passengers?"
    r"|(?:[a-z]+\s){1,2}(?:st|street|ave|avenue|rd|road|blvd|dr|drive|ln|lane|ct|court|pkwy|hwy)"
)
_TH_QUANTITY = (
    r"ดอก|เส้น|คน|วัน(?!นี้|ไหน|เสาร์|อาทิตย์|จันทร์|อังคาร|พุธ|พฤหัส|ศุกร์)|เดือน|ปี|ชั่วโมง|ชม|นาที"
    r"|คัน(?!นี้|นั้น)|ชิ้น|อัน|เครื่อง|ตัว(?!นี้|นั้น)|ลูก|ใบ|รอบ|ครั้ง|ประตู|ที่นั่ง|สูบ|จุด|ข้อ"
    r"|รูป|ซีซี|เท่า|สปีด|นิ้ว|กรัม|ลิตร|แรง|เกียร์|กิ๊ก|จีบี|โมง|ทุ่ม"
)
_YEAR_FOLLOWERS = (
    r"model|year|edition|honda|toyota|ford|chevy|chevrolet|nissan|bmw|mercedes|benz|audi|vw"
    r"|volkswagen|kia|hyundai|mazda|subaru|jeep|dodge|ram|gmc|lexus|acura|tesla|civic|camry"
    r"|corolla|accord|tacoma|mustang|altima|f-?150|silverado|sierra|rav4|cr-?v|prius|jetta"
    r"|wrangler|explorer|escape|fusion|focus|malibu|isuzu|mitsubishi|triton|d-?max|vios"
    r"|yaris|city|jazz|fit|fortuner|hilux|vigo|revo|almera|navara|ranger|everest|sedan"
    r"|hatchback|suv|truck|pickup|van|coupe|wagon|รุ่น|ฮอนด้า|โตโยต้า|อีซูซุ|นิสสัน|มาสด้า"
)
_UNIT_AFTER = re.compile(
    r"(?:\s?(?:or|-|to|/|หรือ)\s?\d+(?:\.\d+)?)?\s?\+?\s?(?:"
    r"(?P<mileage>(?:miles?|mi|kms?|kilomet(?:er|re)s?|klicks)\b|กม|ก\.ม|กิโล|โล(?!ก)|ไมล์)"
    r"|(?P<percent>%|percent\b|per ?cent\b|pct\b|เปอร์)"
    rf"|(?P<quantity>(?:(?:new|spare|extra|brand new|original|good|more|other|used|snow|winter"
    rf"|all|previous|total|different)\s)?(?:{_EN_QUANTITY})\b|{_TH_QUANTITY})"
    rf"|(?P<year>(?:{_YEAR_FOLLOWERS})\b)"
    r")"
)
_MILEAGE_BEFORE = phrases(
    [r"mileage|milage|odometer|\bodo|\bmiles|\bkms?|ไมล์|วิ่ง(?:มา|ไป)?(?:แล้ว)?|ระยะทาง"],
    suffix=r"\W{0,2}(?:(?:is|at|about|around|only|just|under|over|like|of|ประมาณ|แค่|เพียง"
    r"|เกือบ|กว่า)\s?){0,2}\Z",
)
_YEAR_BEFORE = phrases(
    [
        r"\b(?:year|yr|model|a|an|the|my|ur|your|its|it's|in|since|this|that)",
        r"ปี|รุ่น|พ\.ศ\.|ค\.ศ\.",
    ],
    suffix=r"\s?\Z",
)
_YEAR2_BEFORE = phrases([r"\b(?:year|yr|model year)|ปี|รุ่นปี|'"], suffix=r"\s?\Z")
_MODEL_BEFORE = phrases(
    [
        r"\b(?:iphone|ipad|pixel|galaxy|note|series|model|gen|generation|version|ver|mk|class"
        r"|size|grade|gear|speed|ps|xbox|ios|android|windows|number|no\.|im|i'm|age|aged|route"
        r"|hwy|highway|exit|apt|unit|room|zip|seats|seater|sleeps|fits|battery|health|bh)",
        r"ไอโฟน|ชั้น|เกียร์|มือ|ไซส์|เบอร์|รุ่น|อายุ|ซอย|หมู่|เลขที่|ตัว|แบต|เครื่อง(?:ยนต์)?|ล้อ|ยาง",
        r"จอ|ขนาด",
    ],
    suffix=r"\s?\Z",
)
_TIME_BEFORE = phrases(
    [r"\b(?:at|around|arnd|by|after|before|til|till|until|between|btwn|from|or|and|to)|@|-"],
    suffix=r"\s?\Z",
)
_TIME_CONTEXT = phrases(
    [
        r"today|tonight|tonite|tomorrow|tmrw?|tomoro|morning|afternoon|evening|noon|weekend",
        r"monday|tuesday|wednesday|thursday|friday|saturday|sunday",
        r"\b(?:sat|sun|mon|tue|wed|fri)\b|pick (?:it )?up|pickup|come (?:by|over|see|look)",
        r"stop by|see it|\bmeet|o'?clock|\bam\b|\bpm\b|\bfree\b|\bcome\b|coming|be there",
        r"see you|get there|arrive|on my way|swing by|drop by|off work|after work",
        r"วันนี้|พรุ่งนี้|มะรืน|เสาร์|อาทิตย์|จันทร์|อังคาร|พุธ|พฤหัส|ศุกร์|โมง|ทุ่ม|เช้า|บ่าย|เย็น|นัด",
        r"ไปดู|มาดู|เข้าไป|ไปรับ|มารับ",
    ]
)
_THAI_TEXT = re.compile(r"[\u0e01-\u0e5b]")
_STORAGE_SIZES = frozenset(Decimal(2**n) for n in range(4, 11))
_STORAGE = re.compile(r"\d\s?(?:gb|tb)\b|storage|\bgigs?\b|กิ๊ก|จีบี")
_ENGINE_SIZE = re.compile(r"\d\.\d")
_THE_BEFORE = re.compile(r"\bthe\s?\Z")
# A small number before a plural noun counts things: "2 controllers", "4 new tires".
_COUNT_AFTER = re.compile(
    r"(?:\s?(?:or|-|to)\s?\d+)?\s(?:(?!(?:for|and|or|if|with|cash|plus|but|so|to|at|on|in|is|was"
    r"|the|a|an|my|your|ur|u|you|ya|me|it|that|this|each|total|firm|max|obo|ok|tops|bucks"
    r"|dollars|usd)\b)[a-z]+\s)?(?!(?:is|was|bucks|dollars|plus|thanks|yes|this|its|us|has"
    r"|does|sounds|works|less|cos|as|guess|pls|plz|thx|tops|cuz|abs)\b)[a-z]{2,}s\b"
)
_RANGE_GAP = re.compile(r"\s*(?:-|~|to|ถึง|thru)\s*")
_OR_GAP = re.compile(r"\s*,?\s*(?:or|/|หรือ|or maybe|maybe)\s*")
_BETWEEN = re.compile(r"between\s?\Z|ระหว่าง\s?\Z")
_AND_GAP = re.compile(r"\s*(?:and|&|กับ)\s*")
_COMPOUND_GAP = re.compile(r"\s*(?:and\s*)?")


def amounts(text: str) -> list[Amount]:
    """Every money-like amount in `text` (prices, offers, "8.5k", "แปดพัน"), in order."""
    return [
        Amount(mention.value, mention.start, mention.end, text[mention.start : mention.end])
        for mention in mentions(normalise(text))
    ]


def mentions(folded: str) -> list[Mention]:
    """The money-like amounts of a folded text (see `language.normalise`), in order."""
    found: list[Mention] = []
    covered, dropped = 0, -1
    for start in _STARTS.finditer(folded):
        match = None if start.start() < covered else _NUMBER.match(folded, start.start())
        if match is None:
            continue
        mention = None if match.lastgroup in ("skip", "time") else _mention(folded, match)
        covered = match.end() if mention is None else mention.end
        if mention is None:
            continue
        if _excluded(folded, mention, match) or _paired_with_dropped(folded, dropped, mention):
            dropped = mention.end
        else:
            found.append(mention)
    return _linked(folded, found)


def _paired_with_dropped(folded: str, dropped: int, mention: Mention) -> bool:
    """The second of "2.4 or 2.8", "128gb or 256": like the first, not money."""
    if dropped < 0 or mention.marked:
        return False
    gap = folded[dropped : mention.start]
    return bool(_OR_GAP.fullmatch(gap) or _RANGE_GAP.fullmatch(gap))


def _mention(folded: str, match: re.Match[str]) -> Mention | None:
    """The amount a number match stands for, with its scale and currency, if money-like."""
    parsed = _parsed(folded, match)
    if parsed is None:
        return None
    value, scale, end = parsed
    start, marked = match.start(), False
    after = _CURRENCY_AFTER.match(folded, end)
    if after:
        end, marked = after.end(), True
    before = _CURRENCY_BEFORE.search(folded, max(0, start - 5), start)
    if before:
        start, marked = before.start(), True
    if value <= 0 or not (marked or _money_shaped(match.lastgroup, value, scale)):
        return None
    year_like = match.lastgroup == "num" and scale == 1 and _is_year(match.group())
    return Mention(_tidy(value), start, end, marked=marked, scale=scale, year_like=year_like)


def _parsed(folded: str, match: re.Match[str]) -> tuple[Decimal, int, int] | None:
    """Value, scale and end of a number match: digits, English words or Thai words."""
    if match.lastgroup == "num":
        return _digits_with_scale(folded, match)
    words = thai_value(match.group()) if match.lastgroup == "thai" else english_value(match.group())
    return None if words is None else (words[0], words[1], match.end())


def _money_shaped(group: str | None, value: Decimal, scale: int) -> bool:
    """Whether an amount without a currency still reads as money rather than a count."""
    if group == "thai":
        return scale >= 100
    if group == "words":
        return scale > 1 or value >= 20
    return True


def _is_year(core: str) -> bool:
    """Four bare digits in the Gregorian or Buddhist-era range of car model years."""
    if len(core) != 4 or not core.isdigit():
        return False
    year = int(core)
    return 1950 <= year <= 2035 or 2490 <= year <= 2580


def _digits_value(core: str) -> Decimal | None:
    """Digits with US ("8,500.50") or European ("8.500", "7,5") separators."""
    if core.isdigit():
        return Decimal(core)
    if _US_GROUPED.fullmatch(core):
        return Decimal(core.replace(",", ""))
    if _EU_GROUPED.fullmatch(core):
        return Decimal(core.replace(".", "").replace(",", "."))
    if _DECIMAL.fullmatch(core):
        return Decimal(core.replace(",", "."))
    return None


def _digits_with_scale(folded: str, match: re.Match[str]) -> tuple[Decimal, int, int] | None:
    """Value, scale and end of digits with a "k", "grand", "hundred" after them ("8k5": 8,500)."""
    value = _digits_value(match.group())
    if value is None:
        return None
    scaled = _SCALE_AFTER.match(folded, match.end())
    if scaled is None or value >= 1000:
        return value, 1, match.end()
    if scaled.group("k"):
        return value * 1000 + Decimal(scaled.group("kd") or 0) * 100, 1000, scaled.end()
    unit = _DIGIT_SCALES[scaled.group("word")]
    return value * unit, unit, scaled.end()


def _excluded(folded: str, mention: Mention, match: re.Match[str]) -> bool:
    """Whether an amount is something else: mileage, a year, a count, a time, a model."""
    unit = _UNIT_AFTER.match(folded, mention.end)
    if unit and (unit.lastgroup != "year" or mention.year_like):
        if unit.lastgroup in ("mileage", "percent") or not mention.marked:
            return True
    if mention.marked:
        return False
    return _glued(folded, mention) or _cued_away(folded, mention, match)


def _glued(folded: str, mention: Mention) -> bool:
    """Digits stuck to letters are model names and ordinals: "f150", "v6", "328i", "2nd"."""
    after = folded[mention.end : mention.end + 1]
    if after.isascii() and after.isalpha():
        return True
    before = folded[max(0, mention.start - 2) : mention.start]
    if before[-1:] == "-":
        before = before[:-1]
    return before[-1:].isascii() and before[-1:].isalpha()


def _cued_away(folded: str, mention: Mention, match: re.Match[str]) -> bool:
    """Whether the words around a bare number make it a mileage, year, model, count or time."""
    before = folded[max(0, mention.start - 30) : mention.start]
    core = match.group()
    return (
        _MILEAGE_BEFORE.search(before) is not None
        or _year_cued(before, core, mention)
        or (mention.scale == 1 and _MODEL_BEFORE.search(before) is not None)
        or _odd_shape(folded, core, mention, before)
        or _clock_time(folded, mention, before)
    )


def _year_cued(before: str, core: str, mention: Mention) -> bool:
    """A year by the words before it: "a 2009", "ปี 2552", "'09", "ปี 60"."""
    if mention.year_like:
        return _YEAR_BEFORE.search(before) is not None
    return len(core) == 2 and core.isdigit() and _YEAR2_BEFORE.search(before) is not None


def _odd_shape(folded: str, core: str, mention: Mention, before: str) -> bool:
    """Thai laughter ("555"), storage sizes, engine sizes ("the 5.0") and small counts."""
    if mention.scale != 1:
        return False
    if _laughter(folded, core, mention):
        return True
    if mention.value in _STORAGE_SIZES and _STORAGE.search(folded):
        return True
    if _ENGINE_SIZE.fullmatch(core) and _THE_BEFORE.search(before):
        return True
    small = mention.value < 100 and mention.value == mention.value.to_integral_value()
    return small and _COUNT_AFTER.match(folded, mention.end) is not None


def _clock_time(folded: str, mention: Mention, before: str) -> bool:
    """An hour: "at 4", "between 3 and 5", in a message about a day or a visit."""
    value = mention.value
    if mention.scale != 1 or value != value.to_integral_value() or not 1 <= value <= 12:
        return False
    return bool(_TIME_BEFORE.search(before) and _TIME_CONTEXT.search(folded))


def _laughter(folded: str, core: str, mention: Mention) -> bool:
    """Thai laughter is written "555" (five is "ha"): not a number."""
    if len(core) < 3 or core.strip("5"):
        return False
    return (
        len(core) >= 4
        or folded[mention.end : mention.end + 1] == "+"
        or bool(_THAI_TEXT.search(folded))
    )


def _linked(folded: str, found: list[Mention]) -> list[Mention]:
    """Join "3 thousand 5 hundred", mark ranges and alternatives, carry a unit back."""
    linked: list[Mention] = []
    for mention in found:
        previous = linked[-1] if linked else None
        if previous is None:
            linked.append(mention)
        elif _compound(folded, previous, mention):
            linked[-1] = replace(previous, value=previous.value + mention.value, end=mention.end)
        else:
            link = _link(folded, previous, mention)
            if link:
                linked[-1] = _carried(previous, mention)
            linked.append(replace(mention, link=link))
    return linked


def _compound(folded: str, first: Mention, second: Mention) -> bool:
    """Whether two amounts are one written in parts: "3 thousand 5 hundred", "8k 500"."""
    if first.scale < 1000 or second.value >= first.scale or second.marked:
        return False
    return _COMPOUND_GAP.fullmatch(folded, first.end, second.start) is not None


def _carried(first: Mention, second: Mention) -> Mention:
    """The first of two joined amounts, with the second's unit when it has none: "7-7.5k"."""
    if first.scale == 1 and second.scale > 1 and first.value < 1000:
        if first.value * second.scale <= second.value * 2:
            return replace(first, value=first.value * second.scale, scale=second.scale)
    return first


def _link(folded: str, first: Mention, second: Mention) -> str:
    """How two neighbouring amounts are joined: "range", "or", or not at all ("")."""
    gap = folded[first.end : second.start]
    if _RANGE_GAP.fullmatch(gap):
        return "range"
    if _OR_GAP.fullmatch(gap):
        return "or"
    between = _BETWEEN.search(folded, max(0, first.start - 10), first.start)
    if between and _AND_GAP.fullmatch(gap):
        return "range"
    return ""


# --- the buyer's offer among the amounts ---------------------------------------------------

_BEFORE_WINDOW = 40
_NEVER = re.compile(r"(?!)")


def _any(*phrases: str) -> str:
    """Phrase patterns as one non-capturing alternation."""
    return "(?:" + "|".join(phrases) + ")"


# Refused: "not 8,500", "can't pay 8500", "8500 is way too much", "8500 แพงไป".
_NEGATED_BEFORE = phrases(
    [
        r"\bnot|\bnever|can'?t|cannot|can not|won'?t|\bwont|couldn'?t|wouldn'?t|don'?t|\bdont",
        r"instead of|rather than|(?:down|drop|come|coming) from|ไม่ใช่|ไม่เอา|ไม่ให้|แทน",
    ],
    suffix=r"\s?(?:"
    + _any(
        r"do|doing|pay|paying|spend|spending|afford|give|giving|offer|offering|going|gonna|go",
        r"at|for|it|that|want|wanna|to|be|you",
    )
    + r"\s){0,3}\Z",
)
_NEGATED_AFTER = re.compile(
    r"\s?(?:is|was|seems|sounds|'s|its|it's|ก็|มัน)?\s?(?:"
    + _any(r"way|a bit|a little|bit|kinda|kind of|just|really|pretty|very|so|still|waaay")
    + r"\s)?"
    + _any(
        r"too (?:much|high|steep|expensive|pricey|rich)|a lot\b|steep|high|overpriced|crazy",
        r"ridiculous|a joke|out of my budget|more than i|over my budget",
        r"แพง|สูงไป|เกินงบ|ไม่ไหว",
    )
)
# Not the price of the item: a deposit, a monthly payment, delivery.
_PER_BEFORE = phrases(
    [
        r"deposit(?: of)?|down(?: ?payment)?(?: of)?|monthly(?: payment)?(?: of)?",
        r"installments?(?: of)?|shipping(?: is| of)?|delivery(?: fee)?(?: is| of)?|gas money",
        r"มัดจำ|ดาวน์|ผ่อน(?:เดือนละ|งวดละ)?|เดือนละ|งวดละ|ค่างวด|ค่าส่ง|ค่าน้ำมัน",
    ],
    suffix=r"\s?\Z",
)
_PER_AFTER = re.compile(
    r"\s?"
    + _any(
        r"deposit|down(?: ?payment)?\b|(?:a|per|/|each)\s?(?:month|mo|week|wk)\b|monthly",
        r"for (?:shipping|delivery|gas)|shipping|delivery fee",
        r"ต่อเดือน|/เดือน|ต่องวด|มัดจำ|ดาวน์|ค่าส่ง|ค่ามัดจำ",
    )
)
# Someone else's price: "saw one for 7000", "kbb says 6900", "I paid 200".
_COMPARE_BEFORE = phrases(
    [
        r"saw (?:one|it|another|them|the same|a)\b[^\d]{0,20}?(?:for|at)",
        r"(?:sold|sells|goes|going|went|listed) for|worth|valued? (?:at|is)",
        r"kbb(?: says| is)?|blue ?book(?: says| is)?|kelley|edmunds",
        r"market (?:value|price)(?: is)?|retails?(?: for| at)?",
        r"new (?:ones? )?(?:is|are|cost|costs|for|at)|brand new (?:is|for|costs)",
        r"paid|bought (?:it |mine |one )?(?:for|at)",
        r"dealers? (?:want|wants|asking|price|sell)[^\d]{0,6}|carvana|carmax",
        r"others? (?:are|is|for|at|want)|other (?:ones|listings|sellers)[^\d]{0,15}",
        r"(?:ที่อื่น|ร้านอื่น|คันอื่น|ของใหม่|มือหนึ่ง|ราคากลาง|ตลาด)[^\d]{0,12}|ซื้อมา",
    ],
    suffix=r"\s?\Z",
)
# The seller's price said back: "you said 8200?", "is 8500 your lowest?", "ราคา 8500 ลดได้ไหม".
_QUOTED_BEFORE = phrases(
    [
        r"you said|u said|you say|u say|you're asking|youre asking|ur asking|you are asking",
        r"your asking|asking(?: price)?(?: is| of)?|listed (?:at|as)|list price(?: is)?",
        r"listing says|ad says|post says|it says|you want|u want|you wanted|priced at",
        r"\bwhy|\bstill|\bis (?:the|ur|your|it)",
        r"ตั้ง(?:ไว้|ราคา)?|บอกว่า|ขายอยู่|ที่ขาย",
    ],
    suffix=r"\s?(?:(?:is|was|for|at|of|it|the|like|only|just|ไว้|ที่)\s?)?\Z",
)
_QUOTED_AFTER = re.compile(
    r"\s?(?:(?:is|'s|the|it)\s?)?(?:(?:your|ur|yr|the|ya)\s)?"
    + _any(
        r"lowest|bottom|best price|final price|last price|min\b|minimum|asking",
        r"best (?:you|u) can (?:do|go)|most you can do",
    )
    + r"|\s?"
    + _any(
        r"obo|o\.b\.o|or best|neg\b|negotiable|firm\s?\?|final\s?\?|right\s?\?|correct\s?\?",
        r"still\s?\?|is it firm",
        r"ลด|ต่อ(?!เดือน|งวด|ปี)|หรอ|เหรอ|ใช่ไหม|ใช่มั้ย|ใช่ป่ะ|ใช่ปะ|ใช่มั๊ย|จริงไหม|ยังลด|ยังต่อ",
        r"คือราคา|ราคาสุดท้าย(?:แล้ว)?\s?(?:หรอ|เหรอ|ไหม|มั้ย|\?)",
    )
)
# Money off the price: "$500 off", "ลด 20,000".
_DISCOUNT_BEFORE = phrases(
    [r"knock(?: off)?|take off|discount(?: of)?|shave(?: off)?", r"ลด(?:ให้)?(?:อีก)?(?:สัก)?"],
    suffix=r"\s?\Z",
)
_DISCOUNT_AFTER = re.compile(r"\s?(?:off\b|discount|less\b|ส่วนลด)")
# Words of offering: "would you take 7000", "7000 cash", "ขอ 2.5 แสน", "3 แสนได้ไหม".
_OFFER_BEFORE = phrases(
    [
        r"take|do|offer(?:ing)?|give|giving|pay|paying|how about|what about|hows|how's|for|at",
        r"would|could|can|\bi'?ll|\bill|will|budget(?: is)?|max(?: is)?|\bok(?:ay)?|deal",
        r"settle|meet(?: me)?|let it go|\bgo|sell(?: it)?(?: to me)?|have|got|cash|only|just",
        r"like|maybe|say|up ?to|around|about|is",
        r"ตกลง|โอเค|ดีล|เหลือ|ให้|จ่าย|เสนอ|ขอ|ได้|เอา|รับ|สู้|ไหว|ที่|สัก|แค่|ประมาณ",
    ],
    suffix=r"\s?(?:(?:it|you|u|ya|me|for|at|like|around|about|maybe|cash|ไป)\s?){0,2}\Z",
)
_OFFER_AFTER = re.compile(
    r"\s?"
    + _any(
        r"cash|ok\b|okay|k\s?\?|work|works|deal|firm|final|max|tops|today|tonight|now|would",
        r"for (?:it|the|ur|your|both)|and i'?ll|i can",
        r"ได้|ไหว|ไหม|มั้ย|มั๊ย|ละกัน|แล้วกัน|เลย|ขาดตัว|สด|เงินสด|จบ|พอ",
    )
)
# The first frame whose words stand before or after an amount decides, in this order.
_FRAMES = (
    (_NEGATED_BEFORE, _NEGATED_AFTER, "drop"),
    (_PER_BEFORE, _PER_AFTER, "drop"),
    (_COMPARE_BEFORE, _NEVER, "drop"),
    (_QUOTED_BEFORE, _QUOTED_AFTER, "quoted"),
    (_DISCOUNT_BEFORE, _DISCOUNT_AFTER, "discount"),
    (_OFFER_BEFORE, _OFFER_AFTER, "cued"),
)
_FIRM = phrases(
    [
        r"\bfirm\b(?!\s?\?)|\bfinal\b(?!\s?(?:\?|price))|last offer|take it or leave it",
        r"best i can do|\bmax\b|\btops\b|that'?s it\b|all i (?:have|got|can do)",
        r"not a (?:penny|cent|dollar) more|no more than|non.?negotiable",
        r"ราคาสุดท้าย(?!\s?(?:เท่า|ได้|ไหม|มั้ย|\?|หรอ|เหรอ))|ขาดตัว|สุดแล้ว|ได้แค่นี้|มีแค่นี้",
        r"ไม่เกิน|ไม่เพิ่ม",
    ]
)
# "is it firm?", "your final price": the buyer asking about the seller's firmness.
_FIRM_ASKED = re.compile(r"(?:\bis|\bit|price|your|\bur|\bthe)\s?(?:\w+\s)?\Z")
_CASH = phrases(
    [
        r"\bcash\b|\btoday\b|\btonight\b|right now|\basap\b",
        r"เงินสด|จ่ายสด|สดๆ|วันนี้|คืนนี้|ตอนนี้|เดี๋ยวนี้|โอนเลย",
    ]
)
# An amount is judged against the asking price: from 15% to 150% of it, it is an offer; a
# number that fits only when scaled ("7" on 8,000) or that is a very low ball is implausible.
_LOW, _HIGH, _LOWBALL, _PLAIN_LOW = (Decimal(x) for x in ("0.15", "1.5", "0.05", "0.4"))
# A number read as shorthand ("7" for 7,000) is taken only when it lands near the asking price.
_GUESS_LOW, _GUESS_HIGH = Decimal("0.4"), Decimal("1.1")
_SCALES = (100, 1000, 10_000, 100_000)


@dataclass(frozen=True)
class OfferScan:
    """The offer in a message, and whether a price the seller said was only repeated."""

    reading: OfferReading
    quoted_back: bool


@dataclass(frozen=True, slots=True)
class _Candidate:
    kind: OfferKind
    amount: Decimal
    cued: bool
    link: str
    high: Decimal | None = None


def read_offer(text: str, context: ReadContext) -> OfferReading:
    """The buyer's offer in `text`, judged against the listing and the prices said so far."""
    return scan_offer(text, context).reading


def scan_offer(text: str, context: ReadContext) -> OfferScan:
    """Like `read_offer`, also telling whether the buyer repeated a price the seller said."""
    folded = normalise(text)
    said = frozenset((*context.quoted_prices, context.reference_price))
    candidates: list[_Candidate] = []
    quoted_back = False
    for mention in mentions(folded):
        if _not_an_offer(mention, context, said):
            continue
        frame, meaning = _judged(folded, mention, said, context.reference_price)
        keep, quoted = _kept(frame, mention.value in said, meaning, said)
        quoted_back = quoted_back or quoted
        if keep and meaning is not None:
            _add(candidates, _Candidate(meaning[0], meaning[1], frame == "cued", mention.link))
    return OfferScan(_decided(folded, candidates), quoted_back)


def _kept(
    frame: str,
    said_as_written: bool,
    meaning: tuple[OfferKind, Decimal] | None,
    said: frozenset[Decimal],
) -> tuple[bool, bool]:
    """Whether an amount stays a candidate, and whether it repeats a price the seller said.

    A price the seller said, written again without words of offering ("8500?"), is repeated,
    not offered; so is anything quoted ("you said 8200?") or refused ("not 8,500").
    """
    meant_said = meaning is not None and meaning[1] in said
    if frame == "quoted":
        return False, True
    if frame == "drop":
        return False, said_as_written or meant_said
    if frame == "plain" and said_as_written:
        return False, True
    return meaning is not None, False


def _not_an_offer(mention: Mention, context: ReadContext, said: frozenset[Decimal]) -> bool:
    """An amount that is the listing's year or mileage, or a bare year that fits no price."""
    if mention.marked or mention.value in said:
        return False
    value, year, mileage = mention.value, context.listing_year, context.listing_mileage
    if year is not None and value in (year, year + 543):
        return True
    if mileage and value >= 1000 and abs(value - mileage) <= Decimal("0.03") * mileage:
        return True
    reference = context.reference_price
    return mention.year_like and not _LOW * reference <= value <= _HIGH * reference


def _judged(
    folded: str, mention: Mention, said: frozenset[Decimal], reference: Decimal
) -> tuple[str, tuple[OfferKind, Decimal] | None]:
    """How an amount is framed ("drop", "cued", "plain") and what it most likely means."""
    frame = _frame(folded, mention)
    value = mention.value
    if frame == "discount":
        current = min(said)
        frame = "cued"
        if value < current / 2:  # "500 off": off the lowest price said so far
            return frame, (OfferKind.OFFER, current - value)
    # A bare number with no words of offering is an offer only near the asking price: "90?"
    # after a battery question, or "2015?", is not a low ball.
    low = _LOW if frame == "cued" or mention.marked else _PLAIN_LOW
    return frame, _meaning(value, mention.scale == 1, reference, low)


def _frame(folded: str, mention: Mention) -> str:
    """The words around an amount: refused, a deposit, a comparison, quoted, off, offered."""
    window = max(0, mention.start - _BEFORE_WINDOW)
    for before, after, frame in _FRAMES:
        if before.search(folded, window, mention.start) or after.match(folded, mention.end):
            return frame
    return "plain"


def _meaning(
    value: Decimal, rescalable: bool, reference: Decimal, low: Decimal
) -> tuple[OfferKind, Decimal] | None:
    """Offer as written, implausible with its likely meaning, or nothing like a price."""
    if reference <= 0 or low * reference <= value <= _HIGH * reference:
        return OfferKind.OFFER, value
    guess = _rescaled(value, reference) if rescalable else None
    if guess is not None:
        return OfferKind.IMPLAUSIBLE, guess
    if low == _LOW and _LOWBALL * reference <= value < _LOW * reference:
        return OfferKind.IMPLAUSIBLE, value
    return None


def _rescaled(value: Decimal, reference: Decimal) -> Decimal | None:
    """The scaling of a bare number nearest the asking price: "7.5" is 7,500 on 8,000."""
    if value < 1000:
        options = [value * scale for scale in _SCALES]
    elif value > reference * _HIGH and value % 100 == 0:
        options = [value / 10]  # a zero too many: 85,000 on 8,500
    else:
        return None
    fitting = [o for o in options if _GUESS_LOW * reference <= o <= _GUESS_HIGH * reference]
    best = min(fitting, key=lambda o: max(o / reference, reference / o), default=None)
    return None if best is None else _tidy(best)


def _add(candidates: list[_Candidate], candidate: _Candidate) -> None:
    """Append a candidate, folding a range into the one before it ("7-7.5k")."""
    if candidate.link != "range" or not candidates:
        candidates.append(candidate)
        return
    first = candidates[-1]
    low, high = sorted((first.amount, candidate.amount))
    kind = first.kind if low == first.amount else candidate.kind
    candidates[-1] = _Candidate(kind, low, first.cued or candidate.cued, first.link, high)


def _decided(folded: str, candidates: list[_Candidate]) -> OfferReading:
    """One offer, several to ask about, or none; with its firmness and cash conditions."""
    pool = [c for c in candidates if c.cued] or candidates
    # One candidate per amount, a plain offer preferred to the same amount found implausible.
    by_amount = {c.amount: c for c in sorted(pool, key=lambda c: c.kind is OfferKind.OFFER)}
    if not by_amount:
        return OfferReading()
    firm, cash = _is_firm(folded), _CASH.search(folded) is not None
    if len(by_amount) > 1:
        ordered = tuple(dict.fromkeys(c.amount for c in pool))
        return OfferReading(OfferKind.AMBIGUOUS, None, ordered, firm=firm, cash=cash)
    chosen = next(iter(by_amount.values()))
    span = () if chosen.high is None else (chosen.amount, chosen.high)
    return OfferReading(chosen.kind, chosen.amount, span, firm=firm, cash=cash)


def _is_firm(folded: str) -> bool:
    """The buyer calls their price final ("firm", "last offer", "ราคาสุดท้าย"), not asking."""
    for match in _FIRM.finditer(folded):
        start = match.start()
        if match.group() not in ("firm", "final") or not _FIRM_ASKED.search(
            folded, max(0, start - 16), start
        ):
            return True
    return False


def _tidy(value: Decimal) -> Decimal:
    """Whole amounts without a trailing ".0" ("8.5k" is 8500, not 8500.0)."""
    if value.as_tuple().exponent == 0:
        return value
    return Decimal(int(value)) if value == value.to_integral_value() else value
