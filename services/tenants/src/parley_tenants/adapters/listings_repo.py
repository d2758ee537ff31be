"""Listings and their rule overrides in PostgreSQL."""

from __future__ import annotations

import asyncpg

from parley_kit.db import PoolConnection
from parley_tenants.adapters.sql import affected
from parley_tenants.domain.model import (
    Listing,
    ListingStatus,
    ReplyPace,
    RuleOverrides,
    Vehicle,
)

_SELECT = (
    "SELECT l.*, o.tone AS o_tone, o.max_concessions AS o_max_concessions, "
    "o.reply_pace AS o_reply_pace, o.escrow_enabled AS o_escrow, "
    "o.human_takeover_enabled AS o_takeover, o.languages AS o_languages, "
    "o.extra_takeover_keywords AS o_keywords "
    "FROM listings l LEFT JOIN listing_rule_overrides o USING (listing_id)"
)


def _overrides(row: asyncpg.Record) -> RuleOverrides:
    return RuleOverrides(
        tone=row["o_tone"],
        max_concessions=row["o_max_concessions"],
        reply_pace=None if row["o_reply_pace"] is None else ReplyPace(row["o_reply_pace"]),
        escrow_enabled=row["o_escrow"],
        human_takeover_enabled=row["o_takeover"],
        languages=tuple(row["o_languages"] or ()),
        extra_takeover_keywords=tuple(row["o_keywords"] or ()),
    )


def _listing(row: asyncpg.Record) -> Listing:
    vehicle = Vehicle(
        year=row["vehicle_year"],
        make=row["vehicle_make"],
        model=row["vehicle_model"],
        trim=row["vehicle_trim"],
        mileage=row["mileage"],
        mileage_unit=row["mileage_unit"],
        condition=row["condition"],
        features=tuple(row["features"]),
    )
    return Listing(
        listing_id=row["listing_id"],
        seller_id=row["seller_id"],
        page_id=row["page_id"],
        title=row["title"],
        description=row["description"],
        currency=row["currency"],
        asking_minor=row["asking_minor"],
        floor_minor=row["floor_minor"],
        auto_accept_minor=row["auto_accept_minor"],
        max_concessions=row["max_concessions"],
        ref=row["ref"],
        status=ListingStatus(row["status"]),
        vehicle=vehicle,
        location=row["location"],
        photo_urls=tuple(row["photo_urls"]),
        attributes=dict(row["attributes"]),
        overrides=_overrides(row),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
    )


def _values(listing: Listing) -> tuple[object, ...]:
    v = listing.vehicle
    return (
        listing.listing_id,
        listing.seller_id,
        listing.page_id,
        listing.title,
        listing.description,
        listing.currency,
        listing.asking_minor,
        listing.floor_minor,
        listing.auto_accept_minor,
        listing.max_concessions,
        listing.ref,
        listing.status.value,
        v.year,
        v.make,
        v.model,
        v.trim,
        v.mileage,
        v.mileage_unit,
        v.condition,
        list(v.features),
        listing.location,
        list(listing.photo_urls),
        listing.attributes,
    )


async def create_listing(conn: PoolConnection, *, listing: Listing) -> None:
    """Insert a listing and its overrides (unique ref: asyncpg.UniqueViolationError)."""
    await conn.execute(
        "INSERT INTO listings (listing_id, seller_id, page_id, title, description, currency, "
        "asking_minor, floor_minor, auto_accept_minor, max_concessions, ref, status, "
        "vehicle_year, vehicle_make, vehicle_model, vehicle_trim, mileage, mileage_unit, "
        "condition, features, location, photo_urls, attributes) VALUES ($1, $2, $3, $4, $5, "
        "$6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)",
        *_values(listing),
    )
    await _write_overrides(conn, listing)


async def update_listing(conn: PoolConnection, *, listing: Listing, expected_version: int) -> bool:
    """Replace a listing; False when `expected_version` no longer matches."""
    status = await conn.execute(
        "UPDATE listings SET seller_id = $2, page_id = $3, title = $4, description = $5, "
        "currency = $6, asking_minor = $7, floor_minor = $8, auto_accept_minor = $9, "
        "max_concessions = $10, ref = $11, status = $12, vehicle_year = $13, "
        "vehicle_make = $14, vehicle_model = $15, vehicle_trim = $16, mileage = $17, "
        "mileage_unit = $18, condition = $19, features = $20, location = $21, "
        "photo_urls = $22, attributes = $23, updated_at = now(), version = version + 1 "
        "WHERE listing_id = $1 AND version = $24",
        *_values(listing),
        expected_version,
    )
    if affected(status) == 0:
        return False
    await _write_overrides(conn, listing)
    return True


async def _write_overrides(conn: PoolConnection, listing: Listing) -> None:
    o = listing.overrides
    await conn.execute(
        "INSERT INTO listing_rule_overrides (listing_id, tone, max_concessions, reply_pace, "
        "escrow_enabled, human_takeover_enabled, languages, extra_takeover_keywords) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (listing_id) DO UPDATE SET "
        "tone = $2, max_concessions = $3, reply_pace = $4, escrow_enabled = $5, "
        "human_takeover_enabled = $6, languages = $7, extra_takeover_keywords = $8",
        listing.listing_id,
        o.tone,
        o.max_concessions,
        None if o.reply_pace is None else o.reply_pace.value,
        o.escrow_enabled,
        o.human_takeover_enabled,
        list(o.languages),
        list(o.extra_takeover_keywords),
    )


async def get_listing(conn: PoolConnection, *, listing_id: str) -> Listing | None:
    """A listing by id."""
    row = await conn.fetchrow(f"{_SELECT} WHERE l.listing_id = $1", listing_id)
    return None if row is None else _listing(row)


async def get_listing_by_ref(
    conn: PoolConnection, *, ref: str, page_id: str | None
) -> Listing | None:
    """The listing an m.me ref points to: on that Page when given, or on none of the Page's
    seller's (a listing without a Page is offered on all of them)."""
    row = await conn.fetchrow(
        f"{_SELECT} WHERE l.ref = $1 AND ($2::text IS NULL OR l.page_id = $2 OR "
        "(l.page_id IS NULL AND l.seller_id = (SELECT seller_id FROM pages WHERE page_id = $2)))",
        ref,
        page_id,
    )
    return None if row is None else _listing(row)


async def list_listings(
    conn: PoolConnection,
    *,
    seller_id: str | None,
    page_id: str | None,
    available_only: bool,
) -> list[Listing]:
    """Listings of a seller and/or Page, newest first."""
    rows = await conn.fetch(
        f"{_SELECT} WHERE ($1::text IS NULL OR l.seller_id = $1) "
        "AND ($2::text IS NULL OR l.page_id = $2) AND (NOT $3 OR l.status = 'available') "
        "ORDER BY l.created_at DESC, l.listing_id",
        seller_id,
        page_id,
        available_only,
    )
    return [_listing(row) for row in rows]


async def delete_listing(conn: PoolConnection, *, listing_id: str) -> bool:
    """Remove a listing; False when there was none."""
    return (
        affected(await conn.execute("DELETE FROM listings WHERE listing_id = $1", listing_id)) > 0
    )


async def delete_listings_of_seller(conn: PoolConnection, *, seller_id: str) -> int:
    """Remove a seller's listings; how many."""
    status = await conn.execute("DELETE FROM listings WHERE seller_id = $1", seller_id)
    return affected(status)
