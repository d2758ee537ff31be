"""Deleting what analytics holds of sellers and their Pages, and anonymising a buyer.

A seller's hourly figures are exactly their share of the platform's (every contribution goes to
both), so they are subtracted from the platform's before they are deleted: reports then read as
if the seller had never been here.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from parley_analytics.domain.model import COUNTERS, SUMS, ScopeKind
from parley_kit.db import PoolConnection

_COLUMNS = (*COUNTERS, *SUMS)
_PLATFORM = f"p.scope = '{ScopeKind.PLATFORM.value}' AND p.scope_id = ''"
_SELLERS = f"scope = '{ScopeKind.SELLER.value}' AND scope_id = ANY($1)"


async def scopes_of(conn: PoolConnection, seller_ids: Sequence[str]) -> tuple[list[str], list[str]]:
    """The Pages and listings analytics saw for these sellers."""
    pages = await conn.fetch(
        "SELECT page_id FROM pages WHERE seller_id = ANY($1) "
        "UNION SELECT page_id FROM conversations WHERE seller_id = ANY($1) AND page_id <> ''",
        list(seller_ids),
    )
    listings = await conn.fetch(
        "SELECT listing_id FROM conversations WHERE seller_id = ANY($1) AND listing_id <> '' "
        "UNION SELECT listing_id FROM events WHERE seller_id = ANY($1) AND listing_id <> ''",
        list(seller_ids),
    )
    return [row["page_id"] for row in pages], [row["listing_id"] for row in listings]


async def subtract_from_platform(conn: PoolConnection, seller_ids: Sequence[str]) -> None:
    """Take the sellers' figures out of the platform's."""
    sums = ", ".join(f"sum({name}) AS {name}" for name in _COLUMNS)
    sets = ", ".join(f"{name} = p.{name} - s.{name}" for name in _COLUMNS)
    await conn.execute(
        f"UPDATE hourly AS p SET {sets} FROM (SELECT hour, {sums} FROM hourly WHERE {_SELLERS} "
        f"GROUP BY hour) AS s WHERE {_PLATFORM} AND p.hour = s.hour",
        list(seller_ids),
    )
    for table, detail in (("hourly_classes", "family, class"), ("hourly_latency", "metric, bin")):
        first, second = (part.strip() for part in detail.split(","))
        await conn.execute(
            f"UPDATE {table} AS p SET count = p.count - s.n FROM (SELECT hour, {detail}, "
            f"sum(count) AS n FROM {table} WHERE {_SELLERS} GROUP BY hour, {detail}) AS s "
            f"WHERE {_PLATFORM} AND p.hour = s.hour "
            f"AND p.{first} = s.{first} AND p.{second} = s.{second}",
            list(seller_ids),
        )
        await conn.execute(f"DELETE FROM {table} AS p WHERE {_PLATFORM} AND p.count = 0")


async def delete_figures(
    conn: PoolConnection, seller_ids: Sequence[str], page_ids: Sequence[str], listings: list[str]
) -> None:
    """Delete the hourly figures of these sellers, Pages and listings."""
    for table in ("hourly", "hourly_classes", "hourly_latency"):
        await conn.execute(
            f"DELETE FROM {table} WHERE ({_SELLERS}) "
            "OR (scope = 'page' AND scope_id = ANY($2)) "
            "OR (scope = 'listing' AND scope_id = ANY($3))",
            list(seller_ids),
            list(page_ids),
            listings,
        )


async def delete_records(
    conn: PoolConnection, seller_ids: Sequence[str], page_ids: Sequence[str]
) -> int:
    """Delete the sellers' and Pages' events, conversations, owners and waiting contributions,
    and remember the sellers (their events still on the way are dropped); events deleted."""
    sellers, pages = list(seller_ids), list(page_ids)
    deleted = await conn.fetch(
        "DELETE FROM events WHERE seller_id = ANY($1) OR page_id = ANY($2) RETURNING 1",
        sellers,
        pages,
    )
    await conn.execute(
        "DELETE FROM conversations WHERE seller_id = ANY($1) OR page_id = ANY($2)", sellers, pages
    )
    await conn.execute(
        "DELETE FROM deferred WHERE seller_id = ANY($1) OR page_id = ANY($2)", sellers, pages
    )
    await conn.execute("DELETE FROM pages WHERE page_id = ANY($1)", pages)
    await conn.execute(
        "INSERT INTO forgotten_sellers (seller_id) SELECT unnest($1::text[]) "
        "ON CONFLICT DO NOTHING",
        sellers,
    )
    return len(deleted)


async def anonymise_buyer(conn: PoolConnection, buyer_id: str) -> int:
    """Remove a buyer's id from the log and give their conversations opaque ids; how many
    conversations."""
    rows = await conn.fetch(
        "SELECT conversation_id FROM conversations WHERE buyer_id = $1 "
        "UNION SELECT conversation_id FROM events WHERE buyer_id = $1 AND conversation_id <> ''",
        buyer_id,
    )
    old = sorted(row["conversation_id"] for row in rows)
    new = [f"erased-{uuid.uuid4().hex}" for _ in old]
    renamed = "FROM unnest($1::text[], $2::text[]) AS m(old, new)"
    await conn.execute(
        f"UPDATE conversations AS c SET conversation_id = m.new, buyer_id = '' {renamed} "
        "WHERE c.conversation_id = m.old",
        old,
        new,
    )
    await conn.execute(
        f"UPDATE events AS e SET conversation_id = m.new {renamed} WHERE e.conversation_id = m.old",
        old,
        new,
    )
    await conn.execute(
        f"UPDATE deferred AS d SET conversation_id = m.new, key_id = CASE "
        f"WHEN d.key_kind = 'conversation' THEN m.new ELSE d.key_id END {renamed} "
        "WHERE d.conversation_id = m.old OR (d.key_kind = 'conversation' AND d.key_id = m.old)",
        old,
        new,
    )
    await conn.execute("UPDATE events SET buyer_id = '' WHERE buyer_id = $1", buyer_id)
    return len(old)
