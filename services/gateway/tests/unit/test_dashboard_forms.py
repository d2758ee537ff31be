"""Reading dashboard forms: money in major units, settings, listings, tenants' field errors."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley.tenants.v1 import tenants_pb2 as pb
from parley_gateway.dashboard.forms import (
    MAX_FORM_BYTES,
    Form,
    FormTooLarge,
    Invalid,
    field_error,
    listing_from_form,
    listing_values,
    settings_from_form,
    settings_values,
    suggested_ref,
)
from parley_gateway.dashboard.money import major, money, to_minor


def form(**fields: str) -> Form:
    return Form.parse(urlencode(fields).encode())


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("8500", "USD", 850_000),
        ("8,500.50", "USD", 850_050),
        (" 8 500.5 ", "THB", 850_050),
        ("1500000", "JPY", 1_500_000),
        ("0.01", "USD", 1),
    ],
)
def test_amounts_in_major_units_become_minor_units(text: str, currency: str, minor: int) -> None:
    assert to_minor(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "problem"),
    [
        ("8500.555", "USD", "at most 2 digits"),
        ("1500.5", "JPY", "at most 0 digits"),
        ("eight grand", "USD", "enter an amount"),
        ("-5", "USD", "zero or more"),
        ("NaN", "USD", "zero or more"),
        ("1e30", "USD", "too large"),
    ],
)
def test_bad_amounts_say_what_is_wrong(text: str, currency: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        to_minor(text, currency)


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["USD", "THB", "JPY"]))
def test_major_units_shown_read_back_the_same(minor: int, currency: str) -> None:
    assert to_minor(major(minor, currency), currency) == minor


def test_money_is_shown_with_separators() -> None:
    assert money(850_050, "USD") == "8,500.50 USD"
    assert money(850_000, "USD") == "8,500 USD"
    assert money(1_500_000, "JPY") == "1,500,000 JPY"


def test_a_form_larger_than_any_dashboard_form_is_refused() -> None:
    with pytest.raises(FormTooLarge):
        Form.parse(b"a=" + b"x" * MAX_FORM_BYTES)


def test_settings_round_trip_through_their_form() -> None:
    settings = pb.SellerSettings(
        seller_id="s-1",
        languages=["th", "en"],
        tone="firm",
        reply_pace=pb.REPLY_PACE_INSTANT,
        escrow_enabled=True,
        human_takeover_enabled=False,
        takeover_keywords=["manager", "owner"],
        max_concessions=4,
        currency="THB",
        time_zone="Asia/Bangkok",
        viewing_availability=[pb.ViewingSlot(weekday=6, start="10:00", end="16:00")],
        version=7,
    )
    values = settings_values(settings)
    assert values["viewing_availability"] == "Sat 10:00-16:00"
    back = settings_from_form(Form({k: [v] for k, v in values.items() if v}), "s-1")
    settings.language = "th"
    assert back == settings


def test_unreadable_settings_name_their_fields() -> None:
    with pytest.raises(Invalid) as invalid:
        settings_from_form(
            form(max_concessions="a few", viewing_availability="Sat 10:00-16:00\nsometime"),
            "s-1",
        )
    assert invalid.value.errors == {
        "max_concessions": "enter a whole number",
        "viewing_availability": "line 2: write a day and hours, like Sat 10:00-16:00",
        "currency": "is required",
        "time_zone": "is required",
    }


def test_weekdays_are_read_by_name_or_number() -> None:
    settings = settings_from_form(
        form(
            viewing_availability="monday 09:00-10:00\n7 11:00 - 12:00",
            currency="USD",
            time_zone="UTC",
        ),
        "s-1",
    )
    assert [(s.weekday, s.start, s.end) for s in settings.viewing_availability] == [
        (1, "09:00", "10:00"),
        (7, "11:00", "12:00"),
    ]
    with pytest.raises(Invalid, match="'Someday' is not a day"):
        settings_from_form(form(viewing_availability="Someday 09:00-10:00"), "s-1")


def _stored() -> pb.Listing:
    return pb.Listing(
        listing_id="l-1",
        seller_id="s-1",
        page_id="p-1",
        title="Corolla",
        asking_price=pb.Money(currency="USD", amount_minor=850_000),
        floor_price=pb.Money(currency="USD", amount_minor=760_000),
        auto_accept_price=pb.Money(currency="USD", amount_minor=820_000),
        ref="corolla",
        vehicle=pb.Vehicle(year=2015, make="Toyota"),
        attributes={"color": "silver"},
        photo_urls=["https://example.test/1.jpg"],
        version=3,
    )


def test_a_listing_form_changes_only_what_it_shows() -> None:
    stored = _stored()
    values = {**listing_values(stored), "asking_price": "9,000", "auto_accept_price": ""}
    changed = listing_from_form(Form({k: [v] for k, v in values.items()}), stored)
    assert changed.asking_price.amount_minor == 900_000
    assert not changed.HasField("auto_accept_price")
    assert changed.vehicle.make == "Toyota" and dict(changed.attributes) == {"color": "silver"}
    assert list(changed.photo_urls) == ["https://example.test/1.jpg"]
    assert changed.version == 3 and changed.listing_id == "l-1"
    assert stored.asking_price.amount_minor == 850_000  # the stored one is untouched


def test_a_listing_without_a_ref_gets_one_from_its_title() -> None:
    listing = listing_from_form(
        form(title="2018 Honda <Civic> EX!", currency="usd", asking_price="1", floor_price="1"),
        pb.Listing(seller_id="s-1"),
    )
    assert listing.ref == "2018-honda-civic-ex" and listing.asking_price.currency == "USD"
    assert suggested_ref("รถยนต์") == ""


def test_unreadable_prices_name_their_fields() -> None:
    with pytest.raises(Invalid) as invalid:
        listing_from_form(
            form(title="x", currency="USD", asking_price="lots", floor_price="1.234"),
            pb.Listing(seller_id="s-1"),
        )
    assert set(invalid.value.errors) == {"asking_price", "floor_price"}


@pytest.mark.parametrize(
    ("details", "field", "problem"),
    [
        ("languages: unknown language 'fr'", "languages", "unknown language 'fr'"),
        (
            "viewing_availability[1].end: must be after start",
            "viewing_availability",
            "must be after start",
        ),
        (
            "asking_price.currency: 'X' is not an ISO 4217 code",
            "currency",
            "'X' is not an ISO 4217 code",
        ),
        (
            "vehicle.year: 3000 is not a plausible model year",
            "",
            "vehicle.year: 3000 is not a plausible model year",
        ),
        ("no field here", "", "no field here"),
    ],
)
def test_tenants_refusals_land_beside_their_field(details: str, field: str, problem: str) -> None:
    fields = frozenset({"languages", "viewing_availability", "currency"})
    aliases = {"asking_price.currency": "currency"}
    assert field_error(details, fields, aliases) == (field, problem)
