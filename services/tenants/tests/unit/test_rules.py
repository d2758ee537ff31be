"""Settings and listing validation, and the rules in force for a listing."""

from __future__ import annotations

import dataclasses

import pytest

from parley_kit.errors import InvalidArgument
from parley_tenants.domain.model import (
    Listing,
    ListingStatus,
    ReplyPace,
    RuleOverrides,
    SellerSettings,
    Vehicle,
    ViewingSlot,
)
from parley_tenants.domain.rules import effective_rules, validate_listing, validate_settings

SETTINGS = SellerSettings(seller_id="s1", takeover_keywords=("manager",))
COROLLA = Listing(
    listing_id="l1",
    seller_id="s1",
    page_id=None,
    title="2015 Toyota Corolla",
    currency="USD",
    asking_minor=850_000,
    floor_minor=760_000,
    auto_accept_minor=820_000,
    ref="corolla-2015",
    vehicle=Vehicle(year=2015, make="Toyota", model="Corolla", mileage=98_000),
)


def field_of(error: pytest.ExceptionInfo[InvalidArgument]) -> str:
    return error.value.message.split(":")[0]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"languages": ("en", "xx")}, "languages"),
        ({"languages": ()}, "languages"),
        ({"languages": ("en", "en")}, "languages"),
        ({"tone": "rude"}, "tone"),
        ({"max_concessions": -1}, "max_concessions"),
        ({"currency": "usd"}, "currency"),
        ({"time_zone": ""}, "time_zone"),
        ({"takeover_keywords": ("",)}, "takeover_keywords"),
        (
            {"viewing_availability": (ViewingSlot(0, "10:00", "12:00"),)},
            "viewing_availability[0].weekday",
        ),
        (
            {"viewing_availability": (ViewingSlot(1, "25:00", "26:00"),)},
            "viewing_availability[0].start",
        ),
        (
            {"viewing_availability": (ViewingSlot(1, "12:00", "10:00"),)},
            "viewing_availability[0].end",
        ),
    ],
)
def test_bad_settings_are_refused_naming_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        validate_settings(dataclasses.replace(SETTINGS, **change))  # type: ignore[arg-type]
    assert field_of(raised) == field


def test_good_settings_pass() -> None:
    validate_settings(
        dataclasses.replace(SETTINGS, languages=("th", "en"), reply_pace=ReplyPace.INSTANT)
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"floor_minor": 900_000}, "floor_price"),
        ({"asking_minor": -1}, "asking_price"),
        ({"floor_minor": 0}, "floor_price"),
        ({"auto_accept_minor": 700_000}, "auto_accept_price"),
        ({"auto_accept_minor": 900_000}, "auto_accept_price"),
        ({"title": " "}, "title"),
        ({"currency": "DOLLARS"}, "asking_price.currency"),
        ({"ref": "has space"}, "ref"),
        ({"ref": "x" * 2084}, "ref"),
        ({"max_concessions": 99}, "max_concessions"),
        ({"vehicle": Vehicle(year=1700)}, "vehicle.year"),
        ({"vehicle": Vehicle(mileage=-3)}, "vehicle.mileage"),
        ({"vehicle": Vehicle(condition="shiny")}, "vehicle.condition"),
        ({"overrides": RuleOverrides(languages=("fr",))}, "overrides.languages"),
        ({"overrides": RuleOverrides(tone="shouty")}, "overrides.tone"),
    ],
)
def test_bad_listings_are_refused_naming_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        validate_listing(dataclasses.replace(COROLLA, **change))  # type: ignore[arg-type]
    assert field_of(raised) == field


def test_the_demo_corolla_is_valid() -> None:
    validate_listing(COROLLA)


def test_rules_take_the_seller_s_settings_when_nothing_is_overridden() -> None:
    rules = effective_rules(SETTINGS, COROLLA)
    assert (rules.max_concessions, rules.tone, rules.languages) == (3, "balanced", ("en",))
    assert rules.floor_minor == 760_000 and rules.available


def test_overrides_win_over_settings_and_keywords_add_up() -> None:
    listing = dataclasses.replace(
        COROLLA,
        max_concessions=2,
        status=ListingStatus.SOLD,
        overrides=RuleOverrides(
            tone="flexible",
            reply_pace=ReplyPace.INSTANT,
            languages=("th",),
            escrow_enabled=True,
            extra_takeover_keywords=("lawyer", "manager"),
        ),
    )
    rules = effective_rules(SETTINGS, listing)
    assert (rules.tone, rules.reply_pace, rules.languages) == (
        "flexible",
        ReplyPace.INSTANT,
        ("th",),
    )
    assert rules.max_concessions == 2 and rules.escrow_enabled and not rules.available
    assert rules.takeover_keywords == ("manager", "lawyer")
    assert (
        effective_rules(
            SETTINGS, dataclasses.replace(listing, overrides=RuleOverrides(max_concessions=0))
        ).max_concessions
        == 0
    )
