"""Settings and listings: read the seller's own, validate, save through tenants, and show
tenants' refusals beside the field they name."""

from __future__ import annotations

import asyncio

import grpc
from starlette.responses import Response

from parley.tenants.v1 import tenants_pb2 as pb
from parley_gateway.adapters.calls import Refused
from parley_gateway.dashboard.catalog_html import (
    LISTING_ALIASES,
    LISTING_FIELDS,
    SETTINGS_FIELDS,
    listing_form,
    listings_table,
    settings_form,
)
from parley_gateway.dashboard.forms import (
    Invalid,
    field_error,
    listing_from_form,
    listing_values,
    settings_from_form,
    settings_values,
)
from parley_gateway.dashboard.html import Html, fmt, link, notice
from parley_gateway.dashboard.layout import see_other
from parley_gateway.dashboard.visit import Visit

SAVED = notice("Saved.", "ok")


def refusal_errors(
    exc: Refused, fields: frozenset[str], aliases: dict[str, str] | None = None
) -> tuple[dict[str, str], int]:
    """A tenants refusal as form errors ("" for the form as a whole) and the status to answer."""
    if exc.code is grpc.StatusCode.FAILED_PRECONDITION:
        return {"": f"Not saved: {exc.details}. Reload the page to see the latest."}, 409
    name, problem = field_error(exc.details, fields, aliases)
    return {name: problem if name else f"Not saved: {problem}"}, 400


def _settings_page(
    visit: Visit, values: dict[str, str], errors: dict[str, str], status: int
) -> Response:
    saved = SAVED if visit.query("saved") == "1" and not errors else Html("")
    body = fmt("{}{}", saved, settings_form(values, errors, visit.csrf))
    return visit.page("Settings", body, status)


async def settings_page(visit: Visit) -> Response:
    """The seller's settings form."""
    settings = await visit.scope.settings()
    return _settings_page(visit, settings_values(settings), {}, 200)


async def save_settings(visit: Visit) -> Response:
    """Replace the seller's settings with the form's."""
    values = visit.form.values()
    try:
        wanted = settings_from_form(visit.form, visit.seller_id)
        await visit.services.tenants.update_settings(wanted)
    except Invalid as exc:
        return _settings_page(visit, values, exc.errors, 400)
    except Refused as exc:
        errors, status = refusal_errors(exc, SETTINGS_FIELDS)
        return _settings_page(visit, values, errors, status)
    return see_other("/dashboard/settings?saved=1")


async def listings(visit: Visit) -> Response:
    """Every listing of the seller."""
    pages, items = await asyncio.gather(visit.scope.pages(), visit.scope.listings())
    body = fmt(
        "<p>{}</p>{}",
        link("/dashboard/listings/new", "Add a listing"),
        listings_table(items, pages),
    )
    return visit.page("Listings", body)


def _listing_page(
    visit: Visit,
    title: str,
    action: str,
    values: dict[str, str],
    errors: dict[str, str],
    pages: list[pb.Page],
    status: int = 200,
) -> Response:
    saved = SAVED if visit.query("saved") == "1" and not errors else Html("")
    body = fmt("{}{}", saved, listing_form(action, values, errors, pages, visit.csrf))
    return visit.page(title, body, status)


async def new_listing(visit: Visit) -> Response:
    """An empty listing form, in the seller's currency."""
    pages, settings = await asyncio.gather(visit.scope.pages(), visit.scope.settings())
    values = {"currency": settings.currency, "status": "available", "version": "0"}
    if len(pages) == 1:
        values["page_id"] = pages[0].page_id
    return _listing_page(visit, "New listing", "/dashboard/listings/new", values, {}, pages)


def _check_page(listing: pb.Listing, pages: list[pb.Page]) -> None:
    if listing.page_id and listing.page_id not in {page.page_id for page in pages}:
        raise Invalid({"page_id": "choose one of your Pages"})


async def _save(visit: Visit, base: pb.Listing, pages: list[pb.Page]) -> pb.Listing:
    listing = listing_from_form(visit.form, base)
    listing.seller_id = visit.seller_id
    _check_page(listing, pages)
    tenants = visit.services.tenants
    if base.listing_id:
        return await tenants.update_listing(listing)
    return await tenants.create_listing(listing)


async def _submit(visit: Visit, base: pb.Listing, title: str, action: str) -> Response:
    pages = await visit.scope.pages()
    try:
        saved = await _save(visit, base, pages)
    except Invalid as exc:
        return _listing_page(visit, title, action, visit.form.values(), exc.errors, pages, 400)
    except Refused as exc:
        errors, status = refusal_errors(exc, LISTING_FIELDS, LISTING_ALIASES)
        values = visit.form.values()
        return _listing_page(visit, title, action, values, errors, pages, status)
    return see_other(f"/dashboard/listings/{saved.listing_id}?saved=1")


async def create_listing(visit: Visit) -> Response:
    """Add the listing the form describes."""
    base = pb.Listing(seller_id=visit.seller_id)
    return await _submit(visit, base, "New listing", "/dashboard/listings/new")


async def edit_listing(visit: Visit) -> Response:
    """One of the seller's listings, in its form."""
    listing = await visit.scope.listing(visit.param("listing_id"))
    pages = await visit.scope.pages()
    action = f"/dashboard/listings/{listing.listing_id}"
    return _listing_page(visit, listing.title, action, listing_values(listing), {}, pages)


async def update_listing(visit: Visit) -> Response:
    """Change one of the seller's listings as the form says; the rest of it stays."""
    current = await visit.scope.listing(visit.param("listing_id"))
    action = f"/dashboard/listings/{current.listing_id}"
    return await _submit(visit, current, current.title, action)
