"""Submitted forms: reading them, and turning the settings and listing forms into requests."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

from parley.tenants.v1 import tenants_pb2 as pb
from parley_gateway.dashboard.money import major, to_minor

MAX_FORM_BYTES = 64 * 1024
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TONES = (("firm", "Firm"), ("balanced", "Balanced"), ("flexible", "Flexible"))
PACES = (("human", "Like a person (typing, short delays)"), ("instant", "At once"))
STATUSES = (("available", "For sale"), ("sold", "Sold"))
_SLOT = re.compile(r"^(\S+)\s+(\S+)\s*-\s*(\S+)$")
_REF_DROP = re.compile(r"[^a-z0-9]+")


class FormTooLarge(Exception):
    """The body is larger than any dashboard form."""


class Invalid(Exception):
    """What is wrong with a form, by field name."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


@dataclass(frozen=True)
class Form:
    """A submitted `application/x-www-form-urlencoded` form."""

    fields: dict[str, list[str]]

    @classmethod
    def parse(cls, body: bytes) -> Form:
        """Read a form body (FormTooLarge above MAX_FORM_BYTES)."""
        if len(body) > MAX_FORM_BYTES:
            raise FormTooLarge
        text = body.decode("utf-8", "replace")
        return cls(parse_qs(text, keep_blank_values=True, max_num_fields=200))

    def get(self, name: str) -> str:
        """The first value of a field, "" when absent."""
        return self.fields.get(name, [""])[0]

    def flag(self, name: str) -> bool:
        """Whether a checkbox was ticked."""
        return self.get(name) == "on"

    def values(self) -> dict[str, str]:
        """The first value of every field, to show the form again as it was sent."""
        return {name: values[0] for name, values in self.fields.items() if values}


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _integer(text: str, field: str, errors: dict[str, str], default: int = 0) -> int:
    if not text.strip():
        return default
    try:
        return int(text.strip())
    except ValueError:
        errors[field] = "enter a whole number"
        return default


def _weekday(text: str) -> int:
    if text.isdigit():
        return int(text)
    for index, name in enumerate(WEEKDAYS, start=1):
        if text[:3].lower() == name.lower():
            return index
    raise ValueError(f"{text!r} is not a day (Mon ... Sun)")


def _slots(text: str, errors: dict[str, str]) -> list[pb.ViewingSlot]:
    slots = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _SLOT.match(line.strip())
        try:
            if match is None:
                raise ValueError("write a day and hours, like Sat 10:00-16:00")
            day, start, end = match.groups()
            slots.append(pb.ViewingSlot(weekday=_weekday(day), start=start, end=end))
        except ValueError as exc:
            errors["viewing_availability"] = f"line {number}: {exc}"
    return slots


def settings_values(settings: pb.SellerSettings) -> dict[str, str]:
    """The settings as the form shows them."""
    slots = "\n".join(
        f"{WEEKDAYS[s.weekday - 1] if 1 <= s.weekday <= 7 else s.weekday} {s.start}-{s.end}"
        for s in settings.viewing_availability
    )
    return {
        "languages": ", ".join(settings.languages),
        "tone": settings.tone,
        "reply_pace": "instant" if settings.reply_pace == pb.REPLY_PACE_INSTANT else "human",
        "escrow_enabled": "on" if settings.escrow_enabled else "",
        "human_takeover_enabled": "on" if settings.human_takeover_enabled else "",
        "takeover_keywords": ", ".join(settings.takeover_keywords),
        "max_concessions": str(settings.max_concessions),
        "currency": settings.currency,
        "time_zone": settings.time_zone,
        "viewing_availability": slots,
        "version": str(settings.version),
    }


def settings_from_form(form: Form, seller_id: str) -> pb.SellerSettings:
    """The settings a form asks for (Invalid for what cannot even be read)."""
    errors: dict[str, str] = {}
    pace = pb.REPLY_PACE_INSTANT if form.get("reply_pace") == "instant" else pb.REPLY_PACE_HUMAN
    settings = pb.SellerSettings(
        seller_id=seller_id,
        languages=[lang.lower() for lang in _split(form.get("languages"))],
        tone=form.get("tone").strip(),
        reply_pace=pace,
        pacing_enabled=pace == pb.REPLY_PACE_HUMAN,
        escrow_enabled=form.flag("escrow_enabled"),
        human_takeover_enabled=form.flag("human_takeover_enabled"),
        takeover_keywords=_split(form.get("takeover_keywords")),
        max_concessions=_integer(form.get("max_concessions"), "max_concessions", errors),
        currency=form.get("currency").strip().upper(),
        time_zone=form.get("time_zone").strip(),
        viewing_availability=_slots(form.get("viewing_availability"), errors),
        version=_integer(form.get("version"), "version", errors),
    )
    if settings.languages:
        settings.language = settings.languages[0]
    # Tenants would fill these in silently (USD, UTC); the seller must choose.
    for name in ("currency", "time_zone"):
        if not form.get(name).strip():
            errors[name] = "is required"
    if errors:
        raise Invalid(errors)
    return settings


def listing_values(listing: pb.Listing) -> dict[str, str]:
    """The listing as the form shows it (prices in major units)."""
    currency = listing.asking_price.currency or "USD"
    auto = listing.auto_accept_price.amount_minor if listing.HasField("auto_accept_price") else 0
    return {
        "title": listing.title,
        "description": listing.description,
        "page_id": listing.page_id,
        "currency": currency,
        "asking_price": major(listing.asking_price.amount_minor, currency),
        "floor_price": major(listing.floor_price.amount_minor, currency),
        "auto_accept_price": major(auto, currency) if auto else "",
        "max_concessions": str(listing.max_concessions or ""),
        "ref": listing.ref,
        "location": listing.location,
        "status": "sold" if listing.status == pb.LISTING_STATUS_SOLD else "available",
        "version": str(listing.version),
    }


def _price(form: Form, field: str, currency: str, errors: dict[str, str]) -> int | None:
    text = form.get(field)
    if not text.strip():
        return None
    try:
        return to_minor(text, currency)
    except ValueError as exc:
        errors[field] = str(exc)
        return None


def suggested_ref(title: str) -> str:
    """An m.me ref made from a title: lower-case letters and digits joined by dashes."""
    return _REF_DROP.sub("-", title.lower()).strip("-")[:60]


def listing_from_form(form: Form, base: pb.Listing) -> pb.Listing:
    """`base` (the stored listing, or a fresh one) changed as the form asks; every field the form
    does not show is kept. Invalid for what cannot even be read."""
    errors: dict[str, str] = {}
    currency = form.get("currency").strip().upper()
    listing = pb.Listing()
    listing.CopyFrom(base)
    listing.title = form.get("title").strip()
    listing.description = form.get("description").strip()
    listing.page_id = form.get("page_id").strip()
    listing.location = form.get("location").strip()
    listing.ref = form.get("ref").strip() or suggested_ref(listing.title)
    listing.max_concessions = _integer(form.get("max_concessions"), "max_concessions", errors)
    sold = form.get("status") == "sold"
    listing.status = pb.LISTING_STATUS_SOLD if sold else pb.LISTING_STATUS_AVAILABLE
    listing.available = not sold
    listing.version = _integer(form.get("version"), "version", errors)
    for field in ("asking_price", "floor_price"):
        amount = _price(form, field, currency, errors)
        getattr(listing, field).CopyFrom(pb.Money(currency=currency, amount_minor=amount or 0))
    auto = _price(form, "auto_accept_price", currency, errors)
    listing.ClearField("auto_accept_price")
    if auto is not None:
        listing.auto_accept_price.CopyFrom(pb.Money(currency=currency, amount_minor=auto))
    if errors:
        raise Invalid(errors)
    return listing


def field_error(
    details: str, fields: frozenset[str], aliases: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """(form field, problem) of a refusal `field.path: problem`; ("", details) when the field is
    not on the form."""
    path, sep, problem = details.partition(": ")
    if not sep:
        return "", details
    path = (aliases or {}).get(path, path)
    name = re.split(r"[.\[]", path, maxsplit=1)[0]
    return (name, problem) if name in fields else ("", details)
