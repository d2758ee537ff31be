"""Checks a model's rephrasing against the engine's decision before anything is sent."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from parley_negotiation.domain.numbers import amounts
from parley_negotiation.phrasing.acceptance import acceptance_phrases
from parley_negotiation.phrasing.draft import Draft


class Reason(StrEnum):
    """Why a model's text was refused (short, fixed values: logged and put on spans)."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    LANGUAGE = "language"
    AMOUNT = "amount"  # an amount that is neither the decided price nor the listing's
    MISSING_AMOUNT = "missing_amount"  # an amount of the draft left out
    ACCEPTANCE = "acceptance"  # accepts when the decision is not "accept"
    LINK = "link"  # a link or e-mail address the draft does not have
    TIMEOUT = "timeout"
    ERROR = "error"


# Share of letters in the draft's script that a reply needs; lower when the draft itself mixes
# scripts (a Thai reply naming a "Honda Civic"), so a faithful rephrasing is never refused.
_SCRIPT_SHARE = {"en": 0.9, "th": 0.5}
_SCRIPT_SLACK = 0.1
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019", "\u00ab": "\u00bb"}
_LINK = re.compile(
    r"(?i)\b(?:https?://|www\.)\S+"  # web links
    r"|\b[\w.+-]+@[\w-]+\.[\w.]+"  # e-mail addresses
    r"|\b[\w-]+\.(?:com|net|org|co|me|ly|io|th)\b"  # bare domains
)


def clean(text: str) -> str:
    """The model's text without invisible characters, outer whitespace or wrapping quotes."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE).strip()
    if len(text) >= 2 and _QUOTES.get(text[0]) == text[-1]:
        text = text[1:-1].strip()
    return text


def check(draft: Draft, text: str) -> str | None:
    """None when the text may go out in place of the draft, otherwise the Reason it may not."""
    if not text.strip():
        return Reason.EMPTY
    if len(text) > draft.limit:
        return Reason.TOO_LONG
    if _script_share(text, draft.language) < _needed_share(draft):
        return Reason.LANGUAGE
    return _amount_reason(draft, text) or _decision_reason(draft, text)


def _amount_reason(draft: Draft, text: str) -> Reason | None:
    found = {amount.value for amount in amounts(text)}
    if any(value not in draft.allowed_amounts for value in found):
        return Reason.AMOUNT
    if any(amount.value not in found for amount in amounts(draft.text)):
        return Reason.MISSING_AMOUNT
    return None


def _decision_reason(draft: Draft, text: str) -> Reason | None:
    # Phrases the draft itself uses stay allowed ("we already agreed on 8,200", "ได้เลยครับ").
    new = acceptance_phrases(text) - acceptance_phrases(draft.text)
    if draft.action != "accept" and new:
        return Reason.ACCEPTANCE
    if _links(text) - _links(draft.text):
        return Reason.LINK
    return None


def _links(text: str) -> set[str]:
    return {link.rstrip(".,;:!?)") for link in _LINK.findall(text.lower())}


def _needed_share(draft: Draft) -> float:
    return min(
        _SCRIPT_SHARE[draft.language], _script_share(draft.text, draft.language) - _SCRIPT_SLACK
    )


def _script_share(text: str, language: str) -> float:
    """Share of the text's letters written in the language's script (0 when it has none)."""
    letters = [char for char in text if char.isalpha()]
    if not letters:
        return 0.0
    own = _is_thai if language == "th" else _is_latin
    return sum(1 for char in letters if own(char)) / len(letters)


def _is_thai(char: str) -> bool:
    return "\u0e00" <= char <= "\u0e7f"


def _is_latin(char: str) -> bool:
    return char < "\u0250"
