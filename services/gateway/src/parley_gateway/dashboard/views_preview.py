"""The preview: buyer messages tried against one of the seller's listings; nothing is sent."""

from __future__ import annotations

from starlette.responses import Response

from parley_gateway.adapters.calls import Refused
from parley_gateway.dashboard.catalog_html import preview_form, preview_table
from parley_gateway.dashboard.html import fmt
from parley_gateway.dashboard.visit import Visit

MAX_MESSAGES = 30


async def preview_page(visit: Visit) -> Response:
    """The empty preview form."""
    listings = await visit.scope.listings()
    body = preview_form({}, {}, listings, visit.csrf)
    return visit.page("Preview", body)


def _problems(listing_id: str, messages: list[str]) -> dict[str, str]:
    errors = {}
    if not listing_id:
        errors["listing_id"] = "choose a listing"
    if not messages:
        errors["messages"] = "write at least one buyer message"
    elif len(messages) > MAX_MESSAGES:
        errors["messages"] = f"at most {MAX_MESSAGES} messages"
    return errors


async def run_preview(visit: Visit) -> Response:
    """What the bot would answer, turn by turn, under the listing's rules."""
    listings = await visit.scope.listings()
    values = visit.form.values()
    listing_id = visit.form.get("listing_id")
    messages = [line.strip() for line in visit.form.get("messages").splitlines() if line.strip()]
    errors = _problems(listing_id, messages)
    if errors:
        return visit.page("Preview", preview_form(values, errors, listings, visit.csrf), 400)
    listing = await visit.scope.listing(listing_id)
    try:
        answer = await visit.services.negotiation.preview(listing.listing_id, messages)
    except Refused as exc:
        errors = {"": f"The preview did not run: {exc.details}"}
        return visit.page("Preview", preview_form(values, errors, listings, visit.csrf), 400)
    body = fmt("{}{}", preview_form(values, {}, listings, visit.csrf), preview_table(answer))
    return visit.page("Preview", body)
