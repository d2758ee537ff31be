"""The settings form, the listing form and list, and the preview form and its answer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from parley.negotiation.v1 import negotiation_pb2 as npb
from parley.tenants.v1 import tenants_pb2 as pb
from parley_gateway.dashboard.forms import PACES, STATUSES, TONES
from parley_gateway.dashboard.html import (
    Html,
    checkbox,
    fmt,
    hidden,
    join,
    link,
    notice,
    post_form,
    select,
    table,
    text_area,
    text_input,
)
from parley_gateway.dashboard.money import money

SETTINGS_FIELDS = frozenset(
    {
        "languages",
        "tone",
        "reply_pace",
        "escrow_enabled",
        "human_takeover_enabled",
        "takeover_keywords",
        "max_concessions",
        "currency",
        "time_zone",
        "viewing_availability",
    }
)
LISTING_FIELDS = frozenset(
    {
        "title",
        "description",
        "page_id",
        "currency",
        "asking_price",
        "floor_price",
        "auto_accept_price",
        "max_concessions",
        "ref",
        "location",
        "status",
    }
)
# Where tenants' field paths land on the listing form.
LISTING_ALIASES = {
    "asking_price.currency": "currency",
    "floor_price.currency": "currency",
    "auto_accept_price.currency": "currency",
}
PREVIEW_FIELDS = frozenset({"listing_id", "messages"})
Values = Mapping[str, str]
Errors = Mapping[str, str]


def _top(errors: Errors) -> Html:
    """Errors that belong to no field of the form ("" key)."""
    return notice(errors[""], "error") if errors.get("") else Html("")


def settings_form(values: Values, errors: Errors, csrf: str) -> Html:
    """The seller's settings, with each error beside its field."""
    v, e = values.get, errors.get
    fields = join(
        [
            text_input(
                "languages",
                "Languages",
                v("languages", ""),
                e("languages", ""),
                hint="Most preferred first: en, th",
            ),
            select("tone", "How the bot negotiates", TONES, v("tone", ""), e("tone", "")),
            select("reply_pace", "Reply pace", PACES, v("reply_pace", ""), e("reply_pace", "")),
            text_input(
                "max_concessions",
                "Counter-offers at most",
                v("max_concessions", ""),
                e("max_concessions", ""),
                hint="For listings that set none",
                kind="number",
            ),
            text_input(
                "currency",
                "Currency of new listings",
                v("currency", ""),
                e("currency", ""),
                hint="ISO 4217, like USD or THB",
            ),
            text_input(
                "time_zone",
                "Time zone",
                v("time_zone", ""),
                e("time_zone", ""),
                hint="Like Asia/Bangkok",
            ),
            text_area(
                "viewing_availability",
                "Viewing hours",
                v("viewing_availability", ""),
                e("viewing_availability", ""),
                hint="One per line, like Sat 10:00-16:00",
            ),
            checkbox(
                "human_takeover_enabled",
                "Hand conversations to me when asked",
                v("human_takeover_enabled") == "on",
                e("human_takeover_enabled", ""),
            ),
            text_input(
                "takeover_keywords",
                "Words that hand a conversation to me",
                v("takeover_keywords", ""),
                e("takeover_keywords", ""),
                hint="Comma-separated",
            ),
            checkbox(
                "escrow_enabled",
                "Offer payment through escrow",
                v("escrow_enabled") == "on",
                e("escrow_enabled", ""),
            ),
            hidden("version", v("version", "0")),
        ]
    )
    return fmt("{}{}", _top(errors), post_form("/dashboard/settings", csrf, fields, "Save"))


def listing_form(
    action: str, values: Values, errors: Errors, pages: Sequence[pb.Page], csrf: str
) -> Html:
    """A listing's form (prices in major units), with each error beside its field."""
    v, e = values.get, errors.get
    page_options = [("", "No Page yet"), *((p.page_id, p.name) for p in pages)]
    fields = join(
        [
            text_input("title", "Title", v("title", ""), e("title", "")),
            text_area("description", "Description", v("description", ""), e("description", "")),
            select("page_id", "Page", page_options, v("page_id", ""), e("page_id", "")),
            text_input(
                "currency",
                "Currency",
                v("currency", ""),
                e("currency", ""),
                hint="ISO 4217, like USD or THB",
            ),
            text_input(
                "asking_price",
                "Asking price",
                v("asking_price", ""),
                e("asking_price", ""),
                hint="Like 8500 or 8500.50",
            ),
            text_input(
                "floor_price",
                "Lowest price the bot may agree to",
                v("floor_price", ""),
                e("floor_price", ""),
            ),
            text_input(
                "auto_accept_price",
                "Accept offers from",
                v("auto_accept_price", ""),
                e("auto_accept_price", ""),
                hint="Optional",
            ),
            text_input(
                "max_concessions",
                "Counter-offers at most",
                v("max_concessions", ""),
                e("max_concessions", ""),
                hint="Empty: your settings' default",
                kind="number",
            ),
            text_input(
                "ref",
                "Link name (m.me ref)",
                v("ref", ""),
                e("ref", ""),
                hint="Letters, digits, - _ =; empty: made from the title",
            ),
            text_input("location", "Where it can be seen", v("location", ""), e("location", "")),
            select("status", "Status", STATUSES, v("status", "available"), e("status", "")),
            hidden("version", v("version", "0")),
        ]
    )
    return fmt("{}{}", _top(errors), post_form(action, csrf, fields, "Save"))


def _price(money_value: pb.Money) -> str:
    return money(money_value.amount_minor, money_value.currency)


def listings_table(listings: Sequence[pb.Listing], pages: Sequence[pb.Page]) -> Html:
    """Every listing of the seller."""
    names = {page.page_id: page.name for page in pages}
    rows = [
        (
            link(f"/dashboard/listings/{item.listing_id}", item.title),
            names.get(item.page_id, "-"),
            _price(item.asking_price),
            _price(item.floor_price),
            "Sold" if item.status == pb.LISTING_STATUS_SOLD else "For sale",
            link(item.m_me_url, item.m_me_url) if item.m_me_url else "-",
        )
        for item in listings
    ]
    headers = ("Title", "Page", "Asking", "Floor", "Status", "Messenger link")
    return table(headers, rows, "No listings yet.")


def preview_form(values: Values, errors: Errors, listings: Sequence[pb.Listing], csrf: str) -> Html:
    """Pick a listing, write buyer messages, see what the bot would say."""
    options = [(item.listing_id, item.title) for item in listings]
    fields = join(
        [
            select(
                "listing_id",
                "Listing",
                options,
                values.get("listing_id", ""),
                errors.get("listing_id", ""),
            ),
            text_area(
                "messages",
                "Buyer messages",
                values.get("messages", ""),
                errors.get("messages", ""),
                hint="One per line, in order",
            ),
        ]
    )
    return fmt("{}{}", _top(errors), post_form("/dashboard/preview", csrf, fields, "Try"))


def preview_table(answer: npb.PreviewResponse) -> Html:
    """What the bot understood of each message and what it would answer."""
    currency = answer.currency

    def amount(value: int | None) -> str:
        return "-" if value is None else money(value, currency)

    rows = [
        (
            t.message,
            t.intent,
            amount(t.offer_minor if t.HasField("offer_minor") else None),
            t.action,
            amount(t.price_minor if t.HasField("price_minor") else None),
            t.reply,
        )
        for t in answer.turns
    ]
    headers = ("Buyer says", "Understood", "Offer", "Bot does", "Price", "Bot replies")
    return fmt("<h2>What the bot would do</h2>{}", table(headers, rows, "No messages."))
