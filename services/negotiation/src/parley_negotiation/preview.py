"""Dry-run a negotiation: buyer messages in, the engine's decisions out; nothing stored or sent.

`parley negotiation preview` reads one JSON document from stdin:

    {"listing": {"title": str, "year": int?, "make": str?, "model": str?, "mileage": int?,
                 "price": number, "currency": str?, "description": str?},
     "rules": {"asking_price": number, "price_floor": number, "auto_accept_at": number?,
               "max_concessions": int?, "tone": "firm"|"balanced"|"flexible"?,
               "language": "en"|"th"?},
     "messages": [str, ...]}

and writes `{"turns": [{"message", "intent", "offer", "action", "price", "reply"}, ...]}`, one
turn per message, in order, as one conversation (`offer` and `price` are numbers or null).
Without `language`, replies are in English and Thai buyers are answered in Thai; with it,
always in that language. One document gives one result back (indented when the document was,
on one line when it was compact); JSON Lines (one document per line) give one compact result
per line, in the same order. A document that cannot be previewed gives
`{"error": "<field>: <what is wrong>"}` in its place, and the others still run. The exit code
is 0 whenever stdin could be read, errors included, and 1 when it could not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TextIO

from parley_negotiation.domain.engine import respond
from parley_negotiation.domain.model import (
    LANGUAGES,
    Decision,
    InvalidRules,
    ListingFacts,
    NegotiationState,
    Rules,
    Tone,
)

_LISTING_FIELDS = {
    "title",
    "year",
    "make",
    "model",
    "mileage",
    "price",
    "currency",
    "description",
}
_RULE_FIELDS = {
    "asking_price",
    "price_floor",
    "auto_accept_at",
    "max_concessions",
    "tone",
    "language",
}
_TOP_FIELDS = {"listing", "rules", "messages"}


class PreviewError(ValueError):
    """A document that cannot be previewed; the message names the field."""


def main(stdin: TextIO, stdout: TextIO) -> int:
    """Preview every document on `stdin` and write the results to `stdout`."""
    try:
        text = stdin.read()
    except (OSError, UnicodeDecodeError) as error:
        stdout.write(json.dumps({"error": f"stdin: cannot be read ({error})"}) + "\n")
        return 1
    lines = _json_lines(text)
    if lines is None:
        # A pretty document gets a pretty answer; a compact one (a line) a compact line.
        indent = 2 if len(text.strip().splitlines()) > 1 else None
        stdout.write(json.dumps(run_text(text), ensure_ascii=False, indent=indent) + "\n")
        return 0
    for line in lines:
        stdout.write(json.dumps(run_text(line), ensure_ascii=False) + "\n")
    return 0


def run_text(text: str) -> dict[str, Any]:
    """The result of one document given as JSON text: its turns, or an error."""
    try:
        document = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        return {
            "error": f"input: not valid JSON ({error.msg} at line {error.lineno} "
            f"column {error.colno})"
        }
    return run(document)


def run(document: object) -> dict[str, Any]:
    """The turns of the conversation one parsed document describes, or an error."""
    try:
        listing, rules, messages = parse(document)
    except PreviewError as error:
        return {"error": str(error)}
    now = datetime.now(UTC)
    state = NegotiationState()
    turns = []
    for message in messages:
        decision = respond(state, message, listing, rules, now)
        turns.append(_turn(message, decision))
        state = decision.state
    return {"turns": turns}


def parse(document: object) -> tuple[ListingFacts, Rules, list[str]]:
    """The listing, rules and messages of a document; PreviewError names what is wrong."""
    top = _object(document, "input", _TOP_FIELDS)
    listing = _listing(_object(top.get("listing"), "listing", _LISTING_FIELDS))
    rules = _rules(_object(top.get("rules"), "rules", _RULE_FIELDS))
    return listing, rules, _messages(top.get("messages"))


def _json_lines(text: str) -> list[str] | None:
    """The lines of a JSON Lines input; None when the input is one (pretty) document."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return None
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return lines if any(_is_object(line) for line in lines) else None
    return None


def _is_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except json.JSONDecodeError:
        return False


def _turn(message: str, decision: Decision) -> dict[str, Any]:
    return {
        "message": message,
        "intent": decision.intent.value,
        "offer": _number(decision.offer),
        "action": decision.action.value,
        "price": _number(decision.price),
        "reply": decision.reply.text,
    }


def _number(amount: Decimal | None) -> int | float | None:
    if amount is None:
        return None
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _listing(raw: dict[str, Any]) -> ListingFacts:
    currency = _text(raw, "listing", "currency") or "USD"
    if len(currency) != 3 or not currency.isalpha():
        raise PreviewError(f"listing.currency: {currency!r} is not a 3-letter currency code")
    title = _text(raw, "listing", "title")
    if not title:
        raise PreviewError("listing.title: required, a non-empty string")
    return ListingFacts(
        title=title,
        price=_amount(raw, "listing", "price", required=True) or Decimal(0),
        currency=currency.upper(),
        year=_whole(raw, "listing", "year"),
        make=_text(raw, "listing", "make"),
        model=_text(raw, "listing", "model"),
        mileage=_whole(raw, "listing", "mileage"),
        mileage_unit="km" if currency.upper() == "THB" else "mi",
        description=_text(raw, "listing", "description"),
    )


def _rules(raw: dict[str, Any]) -> Rules:
    tone = _text(raw, "rules", "tone") or Tone.BALANCED.value
    language = _text(raw, "rules", "language")
    if language is not None and language not in LANGUAGES:
        raise PreviewError(f"rules.language: {language!r} is not one of {', '.join(LANGUAGES)}")
    concessions = _whole(raw, "rules", "max_concessions")
    try:
        return Rules(
            asking_price=_amount(raw, "rules", "asking_price", required=True) or Decimal(0),
            price_floor=_amount(raw, "rules", "price_floor", required=True) or Decimal(0),
            auto_accept_at=_amount(raw, "rules", "auto_accept_at"),
            max_concessions=3 if concessions is None else concessions,
            tone=tone,  # type: ignore[arg-type]  # Rules checks and converts it
            languages=(language,) if language else LANGUAGES,
        )
    except InvalidRules as error:
        raise PreviewError("; ".join(f"rules.{part}" for part in str(error).split("; "))) from None


def _messages(raw: object) -> list[str]:
    if not isinstance(raw, list):
        raise PreviewError("messages: required, a list of strings")
    for index, message in enumerate(raw):
        if not isinstance(message, str):
            raise PreviewError(f"messages[{index}]: expected a string, got {_kind(message)}")
    return list(raw)


def _object(raw: object, where: str, allowed: set[str]) -> dict[str, Any]:
    if raw is None and where != "input":
        raise PreviewError(f"{where}: required, an object")
    if not isinstance(raw, dict):
        raise PreviewError(f"{where}: expected an object, got {_kind(raw)}")
    unknown = sorted(set(raw) - allowed)
    if unknown:
        prefix = "" if where == "input" else f"{where}."
        expected = ", ".join(sorted(allowed))
        raise PreviewError(f"{prefix}{unknown[0]}: unknown field (expected {expected})")
    return raw


def _field(raw: dict[str, Any], where: str, name: str, check: Callable[[Any], bool]) -> Any:
    value = raw.get(name)
    if value is not None and not check(value):
        raise PreviewError(f"{where}.{name}: unexpected {_kind(value)} {value!r}")
    return value


def _text(raw: dict[str, Any], where: str, name: str) -> str | None:
    value: str | None = _field(raw, where, name, lambda value: isinstance(value, str))
    return value


def _whole(raw: dict[str, Any], where: str, name: str) -> int | None:
    value = _field(raw, where, name, _is_number)
    if value is None:
        return None
    if value != int(value) or value < 0:
        raise PreviewError(f"{where}.{name}: expected a whole number of 0 or more, got {value}")
    return int(value)


def _amount(
    raw: dict[str, Any], where: str, name: str, *, required: bool = False
) -> Decimal | None:
    value = _field(raw, where, name, _is_number)
    if value is None:
        if required:
            raise PreviewError(f"{where}.{name}: required, a number above 0")
        return None
    amount = Decimal(value)
    if not amount.is_finite() or amount <= 0:
        raise PreviewError(f"{where}.{name}: expected a number above 0, got {value}")
    return amount


def _is_number(value: object) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number" if _is_number(value) else type(value).__name__)
