"""Validation of settings and listings, and the rules in force for a listing. Pure."""

from __future__ import annotations

import re
from typing import TypeVar

from parley_kit.errors import InvalidArgument
from parley_tenants.domain.model import (
    Listing,
    ListingRules,
    ListingStatus,
    RuleOverrides,
    SellerSettings,
    ViewingSlot,
)

T = TypeVar("T")

# Languages the negotiation engine parses and answers in.
LANGUAGES = frozenset({"en", "th"})
# How the bot concedes: firm slowly, flexible faster.
TONES = frozenset({"firm", "balanced", "flexible"})
CONDITIONS = frozenset({"", "new", "used", "damaged"})
MILEAGE_UNITS = frozenset({"km", "mi"})
MAX_CONCESSIONS = 20
# m.me refs: at most 2083 characters of A-Z a-z 0-9 - _ = (MESSENGER.md).
_REF = re.compile(r"[A-Za-z0-9_=-]{1,2083}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_KEYWORD_MAX = 64


def _fail(field: str, problem: str) -> InvalidArgument:
    return InvalidArgument(f"{field}: {problem}")


def validate_settings(settings: SellerSettings) -> None:
    """InvalidArgument naming the first bad field."""
    _check_languages("languages", settings.languages, required=True)
    _check_tone("tone", settings.tone)
    _check_concessions("max_concessions", settings.max_concessions)
    if not _CURRENCY.fullmatch(settings.currency):
        raise _fail("currency", f"{settings.currency!r} is not an ISO 4217 code")
    if not settings.time_zone or len(settings.time_zone) > 64:
        raise _fail("time_zone", "an IANA time zone such as Asia/Bangkok is required")
    for index, slot in enumerate(settings.viewing_availability):
        _check_slot(f"viewing_availability[{index}]", slot)
    _check_keywords("takeover_keywords", settings.takeover_keywords)


def _check_languages(field: str, languages: tuple[str, ...], *, required: bool) -> None:
    if required and not languages:
        raise _fail(field, "at least one language is required")
    for language in languages:
        if language not in LANGUAGES:
            known = ", ".join(sorted(LANGUAGES))
            raise _fail(field, f"unknown language {language!r} (known: {known})")
    if len(set(languages)) != len(languages):
        raise _fail(field, "a language is listed twice")


def _check_tone(field: str, tone: str) -> None:
    if tone not in TONES:
        raise _fail(field, f"unknown tone {tone!r} (known: {', '.join(sorted(TONES))})")


def _check_concessions(field: str, count: int) -> None:
    if not 0 <= count <= MAX_CONCESSIONS:
        raise _fail(field, f"must be between 0 and {MAX_CONCESSIONS}")


def _check_slot(field: str, slot: ViewingSlot) -> None:
    if not 1 <= slot.weekday <= 7:
        raise _fail(f"{field}.weekday", "must be 1 (Monday) to 7 (Sunday)")
    for name, value in (("start", slot.start), ("end", slot.end)):
        if not _TIME.fullmatch(value):
            raise _fail(f"{field}.{name}", f"{value!r} is not a time HH:MM")
    if slot.start >= slot.end:
        raise _fail(f"{field}.end", "must be after start")


def _check_keywords(field: str, keywords: tuple[str, ...]) -> None:
    for keyword in keywords:
        if not keyword.strip() or len(keyword) > _KEYWORD_MAX:
            raise _fail(field, f"keywords are 1 to {_KEYWORD_MAX} characters")


def validate_listing(listing: Listing) -> None:
    """InvalidArgument naming the first bad field."""
    if not listing.title.strip():
        raise _fail("title", "is required")
    if not _CURRENCY.fullmatch(listing.currency):
        raise _fail("asking_price.currency", f"{listing.currency!r} is not an ISO 4217 code")
    _check_prices(listing)
    if listing.max_concessions is not None:
        _check_concessions("max_concessions", listing.max_concessions)
    if not _REF.fullmatch(listing.ref):
        raise _fail("ref", "use 1 to 2083 characters of A-Z a-z 0-9 - _ =")
    _check_vehicle(listing)
    _check_overrides(listing.overrides)


def _check_prices(listing: Listing) -> None:
    if listing.asking_minor <= 0:
        raise _fail("asking_price", "must be above zero")
    if listing.floor_minor <= 0:
        raise _fail("floor_price", "must be above zero")
    if listing.floor_minor > listing.asking_minor:
        raise _fail("floor_price", "must not be above the asking price")
    accept = listing.auto_accept_minor
    if accept is not None and not listing.floor_minor <= accept <= listing.asking_minor:
        raise _fail("auto_accept_price", "must be between the floor and the asking price")


def _check_vehicle(listing: Listing) -> None:
    vehicle = listing.vehicle
    if vehicle.year is not None and not 1886 <= vehicle.year <= 2100:
        raise _fail("vehicle.year", f"{vehicle.year} is not a plausible model year")
    if vehicle.mileage is not None and vehicle.mileage < 0:
        raise _fail("vehicle.mileage", "must not be negative")
    if vehicle.mileage_unit not in MILEAGE_UNITS:
        raise _fail("vehicle.mileage_unit", "use km or mi")
    if vehicle.condition not in CONDITIONS:
        raise _fail("vehicle.condition", "use new, used or damaged")


def _check_overrides(overrides: RuleOverrides) -> None:
    if overrides.tone is not None:
        _check_tone("overrides.tone", overrides.tone)
    if overrides.max_concessions is not None:
        _check_concessions("overrides.max_concessions", overrides.max_concessions)
    _check_languages("overrides.languages", overrides.languages, required=False)
    _check_keywords("overrides.extra_takeover_keywords", overrides.extra_takeover_keywords)


def effective_rules(settings: SellerSettings, listing: Listing) -> ListingRules:
    """The seller's settings with the listing's overrides and prices applied."""
    over = listing.overrides
    concessions = _first(over.max_concessions, listing.max_concessions, settings.max_concessions)
    keywords = tuple(dict.fromkeys(settings.takeover_keywords + over.extra_takeover_keywords))
    return ListingRules(
        listing_id=listing.listing_id,
        seller_id=listing.seller_id,
        currency=listing.currency,
        asking_minor=listing.asking_minor,
        floor_minor=listing.floor_minor,
        auto_accept_minor=listing.auto_accept_minor,
        max_concessions=concessions,
        tone=over.tone if over.tone is not None else settings.tone,
        languages=over.languages or settings.languages,
        reply_pace=over.reply_pace if over.reply_pace is not None else settings.reply_pace,
        escrow_enabled=_first(over.escrow_enabled, settings.escrow_enabled),
        human_takeover_enabled=_first(over.human_takeover_enabled, settings.human_takeover_enabled),
        takeover_keywords=keywords,
        viewing_availability=settings.viewing_availability,
        time_zone=settings.time_zone,
        available=listing.status is ListingStatus.AVAILABLE,
    )


def _first(*values: T | None) -> T:
    for value in values:
        if value is not None:
            return value
    raise ValueError("no value given")
