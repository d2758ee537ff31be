"""The event log: one row per event id, so an event seen again changes nothing."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from parley_analytics.domain.facts import Fact
from parley_kit.db import PoolConnection


async def record(conn: PoolConnection, facts: Sequence[Fact]) -> list[Fact]:
    """Log the facts not logged before; those, in their order (each event id once)."""
    if not facts:
        return []
    inserted = await conn.fetch(
        "INSERT INTO events (event_id, source, kind, occurred_at, seller_id, page_id, "
        "listing_id, conversation_id, buyer_id, details) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], "
        "$5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::jsonb[]) "
        "ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
        [f.event_id for f in facts],
        [f.source.value for f in facts],
        [f.kind for f in facts],
        [f.at for f in facts],
        [f.seller_id for f in facts],
        [f.page_id for f in facts],
        [f.listing_id for f in facts],
        [f.conversation_id for f in facts],
        [f.buyer_id for f in facts],
        [f.details() for f in facts],
    )
    fresh = {row["event_id"] for row in inserted}
    found = []
    for fact in facts:
        if fact.event_id in fresh:
            fresh.discard(fact.event_id)  # the first of two copies in one batch counts
            found.append(fact)
    return found


async def forgotten_sellers(conn: PoolConnection, seller_ids: Collection[str]) -> set[str]:
    """Which of these sellers had their data deleted."""
    if not seller_ids:
        return set()
    rows = await conn.fetch(
        "SELECT seller_id FROM forgotten_sellers WHERE seller_id = ANY($1)", list(seller_ids)
    )
    return {row["seller_id"] for row in rows}
