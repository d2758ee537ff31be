"""Settings, listings and the preview on the dashboard, saved through the real tenants service."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from parley.tenants.v1 import tenants_pb2 as tpb

from .conftest import Mesh, corolla, form_token

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


def _form(page: httpx.Response) -> dict[str, str]:
    """The values of the page's form inputs, as a browser would send them back."""
    text = page.text
    values = {m[0]: html.unescape(m[1]) for m in re.findall(r'name="(\w+)" value="([^"]*)"', text)}
    for name in re.findall(
        r'<input type="checkbox" id="\w+" name="(\w+)" value="on"(?! checked)', text
    ):
        values.pop(name, None)
    for name, body in re.findall(
        r'<textarea id="\w+" name="(\w+)" rows="4">\n(.*?)</textarea>', text, re.S
    ):
        values[name] = html.unescape(body)
    for name, options in re.findall(r'<select id="\w+" name="(\w+)">(.*?)</select>', text, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        values[name] = html.unescape(chosen.group(1)) if chosen else ""
    return values


def _error(page: httpx.Response, field: str) -> str:
    match = re.search(rf'<span class="error" id="{field}-error">(.*?)</span>', page.text)
    assert match, f"no error shown beside {field}"
    return html.unescape(match.group(1))


async def test_settings_are_shown_changed_and_saved(mesh: Mesh) -> None:
    async with mesh.browser("seller-a") as browser:
        page = await browser.get("/dashboard/settings")
        form = _form(page)
        assert form["tone"] == "balanced" and form["languages"] == "en"
        form.update(
            languages="th, en",
            tone="firm",
            reply_pace="instant",
            takeover_keywords="manager, owner",
            viewing_availability="Sat 10:00-16:00\n7 09:00-12:00",
            time_zone="Asia/Bangkok",
            escrow_enabled="on",
        )
        saved = await browser.post("/dashboard/settings", data=form)
        assert (
            saved.status_code == 303 and saved.headers["location"] == "/dashboard/settings?saved=1"
        )
        shown = _form(await browser.get(saved.headers["location"]))
    stored = (
        await mesh.tenants.GetSellerSettings(tpb.GetSellerSettingsRequest(seller_id="seller-a"))
    ).settings
    assert list(stored.languages) == ["th", "en"] and stored.tone == "firm"
    assert stored.reply_pace == tpb.REPLY_PACE_INSTANT and stored.escrow_enabled
    assert list(stored.takeover_keywords) == ["manager", "owner"]
    assert [(s.weekday, s.start, s.end) for s in stored.viewing_availability] == [
        (6, "10:00", "16:00"),
        (7, "09:00", "12:00"),
    ]
    assert shown["viewing_availability"] == "Sat 10:00-16:00\nSun 09:00-12:00"
    assert shown["escrow_enabled"] == "on" and shown["time_zone"] == "Asia/Bangkok"


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("languages", "en, fr", "unknown language 'fr' (known: en, th)"),
        ("time_zone", "", "is required"),
        ("time_zone", "x" * 65, "an IANA time zone such as Asia/Bangkok is required"),
        ("max_concessions", "many", "enter a whole number"),
        ("max_concessions", "99", "must be between 0 and 20"),
        ("viewing_availability", "Sat 10:00-09:00", "must be after start"),
        ("viewing_availability", "weekends", "line 1: write a day and hours"),
        ("currency", "dollars", "'DOLLARS' is not an ISO 4217 code"),
    ],
)
async def test_a_settings_error_is_shown_beside_its_field(
    mesh: Mesh, field: str, value: str, problem: str
) -> None:
    async with mesh.browser("seller-b") as browser:
        form = _form(await browser.get("/dashboard/settings"))
        refused = await browser.post("/dashboard/settings", data={**form, field: value})
    assert refused.status_code == 400
    assert problem in _error(refused, field)
    assert _form(refused)[field] == value  # what the seller typed stays in the form
    stored = (
        await mesh.tenants.GetSellerSettings(tpb.GetSellerSettingsRequest(seller_id="seller-b"))
    ).settings
    assert stored.version == int(form["version"])  # nothing saved


async def test_settings_changed_elsewhere_meanwhile_are_not_overwritten(mesh: Mesh) -> None:
    async with mesh.browser("seller-c") as browser:
        form = _form(await browser.get("/dashboard/settings"))
        first = await browser.post("/dashboard/settings", data={**form, "tone": "firm"})
        stale = await browser.post("/dashboard/settings", data={**form, "tone": "flexible"})
    assert first.status_code == 303
    assert stale.status_code == 409 and "Reload the page" in stale.text
    stored = (
        await mesh.tenants.GetSellerSettings(tpb.GetSellerSettingsRequest(seller_id="seller-c"))
    ).settings
    assert stored.tone == "firm"


async def test_a_listing_is_created_in_major_units_and_edited(mesh: Mesh) -> None:
    seller = mesh.seller("seller-a")
    async with mesh.browser("seller-a") as browser:
        form = _form(await browser.get("/dashboard/listings/new"))
        assert form["currency"] == "USD" and form["page_id"] == seller.page_id
        form.update(
            title="2018 Honda Civic <EX>",
            asking_price="12,500.50",
            floor_price="11000",
            auto_accept_price="12000",
            max_concessions="2",
            location="Dallas",
        )
        created = await browser.post("/dashboard/listings/new", data=form)
        assert created.status_code == 303, created.text
        location = created.headers["location"]
        listing_id = location.removeprefix("/dashboard/listings/").removesuffix("?saved=1")
        edit_page = await browser.get(location)
        assert "Saved." in edit_page.text and "2018 Honda Civic &lt;EX&gt;" in edit_page.text
        edit = _form(edit_page)
        assert edit["asking_price"] == "12500.50" and edit["ref"] == "2018-honda-civic-ex"
        edited = await browser.post(
            f"/dashboard/listings/{listing_id}",
            data={**edit, "floor_price": "11500", "status": "sold"},
        )
        assert edited.status_code == 303
        listed = await browser.get("/dashboard/listings")
    stored = (await mesh.tenants.GetListing(tpb.GetListingRequest(listing_id=listing_id))).listing
    assert stored.seller_id == "seller-a" and stored.page_id == seller.page_id
    assert (
        stored.asking_price.amount_minor == 1_250_050
        and stored.floor_price.amount_minor == 1_150_000
    )
    assert stored.auto_accept_price.amount_minor == 1_200_000 and stored.max_concessions == 2
    assert stored.status == tpb.LISTING_STATUS_SOLD and stored.version == 2
    assert "2018 Honda Civic &lt;EX&gt;" in listed.text and "Sold" in listed.text


async def test_editing_keeps_what_the_form_does_not_show(mesh: Mesh) -> None:
    seller = mesh.seller("seller-b")
    listing = (
        await mesh.tenants.CreateListing(
            tpb.CreateListingRequest(listing=corolla(seller.seller_id, seller.page_id))
        )
    ).listing
    async with mesh.browser("seller-b") as browser:
        form = _form(await browser.get(f"/dashboard/listings/{listing.listing_id}"))
        saved = await browser.post(
            f"/dashboard/listings/{listing.listing_id}", data={**form, "title": "Corolla, cheaper"}
        )
    assert saved.status_code == 303
    stored = (
        await mesh.tenants.GetListing(tpb.GetListingRequest(listing_id=listing.listing_id))
    ).listing
    assert stored.title == "Corolla, cheaper"
    assert dict(stored.attributes) == {"color": "silver"} and stored.vehicle.make == "Toyota"
    assert stored.asking_price.amount_minor == 850_000 and stored.ref == listing.ref


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        ({"floor_price": "9000"}, "floor_price", "must not be above the asking price"),
        ({"asking_price": "8500.555"}, "asking_price", "at most 2 digits after the point"),
        ({"asking_price": "lots"}, "asking_price", "enter an amount"),
        ({"auto_accept_price": "100"}, "auto_accept_price", "between the floor and the asking"),
        ({"title": " "}, "title", "is required"),
        ({"ref": "has spaces"}, "ref", "use 1 to 2083 characters"),
        ({"currency": "usd1"}, "currency", "is not an ISO 4217 code"),
    ],
)
async def test_a_listing_error_is_shown_beside_its_field(
    mesh: Mesh, changes: dict[str, str], field: str, problem: str
) -> None:
    listing_id = mesh.seller("seller-c").listing_id
    async with mesh.browser("seller-c") as browser:
        form = _form(await browser.get(f"/dashboard/listings/{listing_id}"))
        refused = await browser.post(f"/dashboard/listings/{listing_id}", data={**form, **changes})
    assert refused.status_code == 400, refused.text
    assert problem in _error(refused, field)
    stored = (await mesh.tenants.GetListing(tpb.GetListingRequest(listing_id=listing_id))).listing
    assert stored.version == int(form["version"])


async def test_a_stale_listing_form_is_refused(mesh: Mesh) -> None:
    seller = mesh.seller("seller-c")
    listing = (
        await mesh.tenants.CreateListing(
            tpb.CreateListingRequest(listing=corolla(seller.seller_id, seller.page_id))
        )
    ).listing
    path = f"/dashboard/listings/{listing.listing_id}"
    async with mesh.browser("seller-c") as browser:
        form = _form(await browser.get(path))
        first = await browser.post(path, data={**form, "title": "First"})
        second = await browser.post(path, data={**form, "title": "Second"})
    assert first.status_code == 303
    assert second.status_code == 409 and "changed since version" in second.text
    stored = (
        await mesh.tenants.GetListing(tpb.GetListingRequest(listing_id=listing.listing_id))
    ).listing
    assert stored.title == "First"


async def test_the_preview_runs_messages_against_a_listing(mesh: Mesh) -> None:
    listing_id = mesh.seller("seller-a").listing_id
    async with mesh.browser("seller-a") as browser:
        page = await browser.get("/dashboard/preview")
        answer = await browser.post(
            "/dashboard/preview",
            data={
                "csrf": form_token(page),
                "listing_id": listing_id,
                "messages": "is it still available?\nwould you take 7000",
            },
        )
        empty = await browser.post(
            "/dashboard/preview", data={"csrf": form_token(page), "listing_id": listing_id}
        )
    assert answer.status_code == 200
    assert "<td>is it still available?</td><td>availability</td>" in answer.text
    assert "<td>would you take 7000</td><td>offer</td><td>7,000 USD</td>" in answer.text
    assert empty.status_code == 400 and "write at least one buyer message" in _error(
        empty, "messages"
    )
