"""Finds words that accept a buyer's offer, in English and Thai.

A phrase does not count when it is negated ("I can't accept 7,000", "ไม่ตกลง", "ตกลงไม่ได้"),
conditional ("if you accept 8,200", "ถ้าโอเค") or asked ("8,200, deal?", "ตกลงไหมครับ"): those
propose, they do not commit. Thai has no spaces between words, so Thai phrases are chosen not to
occur inside common words ("รับข้อเสนอ" would match "สำหรับข้อเสนอ"). Anything else counts: a
false alarm only means the template goes out instead of the model's text.
"""

from __future__ import annotations

import re

_EN_PHRASES = re.compile(
    r"\b(?:deal|accept(?:s|ed|ing)?|agree(?:s|d)?|it'?s yours|yours for|sold (?:it )?to you|"
    r"you(?:'ve)? got (?:it|a deal)|works for me|let'?s do it|sounds good|i'?ll take it)\b"
)
_EN_NEGATIONS = frozenset({"not", "no", "never", "cannot", "unable", "without", "nor"})
_EN_CONDITIONS = frozenset({"if", "unless", "whether"})
# Not acceptances: "no problem, deal" accepts; "a great deal at 9,000" praises the price.
_EN_HARMLESS = re.compile(
    r"\bno (?:problem|worries)\b|\b(?:good|great|fair|nice|fantastic|solid|sweet) deal\b"
)
_EN_WINDOW = 4  # a negation this many words before a phrase governs it
# Sentences end at . ! ? before a space ("8.5k" stays whole); clauses at , ; : before a space
# ("8,200" stays whole) and at spaced dashes.
_EN_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n")
_EN_CLAUSES = re.compile(r"[,;:](?=\s)|\s[-\u2013\u2014]\s")
_WORD = re.compile(r"[a-z']+")

_THAI_LETTER = "[\u0e00-\u0e7f]"
_TH_PHRASES = re.compile(
    "ตกลง|โอเค|ดีล(?!เลอร์)|จัดไป|เอาเลย|ยินดีขาย|ยอมรับ|ขายให้เลย|ขายเลย|เอาไปได้เลย|ราคานี้ได้"
    # "ได้เลย"/"ได้ครับ" opening a sentence is "sure!"; after a verb ("นัดดูได้เลย") it is
    # "feel free to", and after "ไม่" a refusal.
    f"|(?<!{_THAI_LETTER})ได้(?:เลย|ครับ|ค่ะ)"
)
_TH_NEGATED_BEFORE = re.compile("ไม่\\s*$")
_TH_NEGATED_AFTER = re.compile("^\\s*(?:ไม่ได้|ไม่ไหว)")
_TH_CONDITIONS = ("ถ้า", "หาก")
_TH_QUESTION = re.compile(
    "^(?:\\s|ครับ|ค่ะ|คะ|นะ|จ้ะ|จ้า)*(?:\\?|ไหม|มั้ย|มั๊ย|ไม๊|หรือเปล่า|รึเปล่า|หรือไม่|ป่ะ|หรือยัง)"
)
_TH_CHUNKS = re.compile(r"[^\s.!?,;:]+")
_CANONICAL = (("accept", "accept"), ("agree", "agree"), ("ได้", "ได้"))


def accepts(text: str) -> bool:
    """Whether the text accepts an offer, in English or Thai."""
    return bool(acceptance_phrases(text))


def acceptance_phrases(text: str) -> frozenset[str]:
    """The acceptance phrases the text commits with, in one spelling each ("accepted": "accept")."""
    english = _english(text.lower().replace("\u2019", "'"))
    return frozenset(_canonical(phrase) for phrase in [*english, *_thai(text)])


def _canonical(phrase: str) -> str:
    phrase = phrase.replace("'", "")
    return next((name for prefix, name in _CANONICAL if phrase.startswith(prefix)), phrase)


def _english(text: str) -> list[str]:
    found: list[str] = []
    for sentence in _EN_SENTENCES.split(_EN_HARMLESS.sub(" ", text)):
        if sentence.rstrip().rstrip("!.").endswith("?"):
            continue
        for clause in _EN_CLAUSES.split(sentence):
            matches = _EN_PHRASES.finditer(clause)
            found += [m.group() for m in matches if not _en_governed(clause[: m.start()])]
    return found


def _en_governed(before: str) -> bool:
    """Whether the words before a phrase, in its clause, negate it or make it a condition."""
    words = _WORD.findall(before)
    if _EN_CONDITIONS.intersection(words):
        return True
    near = words[-_EN_WINDOW:]
    return any(word in _EN_NEGATIONS or word.endswith("n't") for word in near)


def _thai(text: str) -> list[str]:
    found: list[str] = []
    for chunk in _TH_CHUNKS.finditer(text):
        for match in _TH_PHRASES.finditer(chunk.group()):
            before = chunk.group()[: match.start()]
            after = text[chunk.start() + match.end() :]
            if not _th_governed(before, after):
                found.append(match.group())
    return found


def _th_governed(before: str, after: str) -> bool:
    """Whether a Thai phrase is negated, conditional or asked, from the text around it."""
    if _TH_NEGATED_BEFORE.search(before) or any(word in before for word in _TH_CONDITIONS):
        return True
    return bool(_TH_NEGATED_AFTER.match(after) or _TH_QUESTION.match(after))
