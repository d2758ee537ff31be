"""Conversations, Page owners and waiting contributions, locked for the batch that changes them.

Rows are locked in one order by every batch (conversations, then Pages, each sorted by id; the
hourly figures last, sorted too), so concurrent batches wait for each other and never deadlock.
A row is created empty before it is locked, so a batch that learns something about a
conversation or a Page always finds what an earlier batch left waiting for it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

import asyncpg

from parley_analytics.domain.books import Deferral, WaitsFor
from parley_analytics.domain.model import Delta
from parley_analytics.domain.tally import Contribution, Conversation, Target
from parley_kit.db import PoolConnection

_CONVERSATION_COLUMNS = (
    "conversation_id, seller_id, page_id, listing_id, buyer_id, known, started_at, "
    "first_sent_at, deal_at, human_at"
)


async def lock_conversations(conn: PoolConnection, ids: Collection[str]) -> dict[str, Conversation]:
    """The conversations (empty ones for those never seen), locked until the transaction ends."""
    ordered = sorted(ids)
    if not ordered:
        return {}
    await conn.execute(
        "INSERT INTO conversations (conversation_id) SELECT unnest($1::text[]) "
        "ON CONFLICT DO NOTHING",
        ordered,
    )
    rows = await conn.fetch(
        f"SELECT {_CONVERSATION_COLUMNS} FROM conversations WHERE conversation_id = ANY($1) "
        "ORDER BY conversation_id FOR UPDATE",
        ordered,
    )
    return {row["conversation_id"]: Conversation(**dict(row)) for row in rows}


async def lock_pages(conn: PoolConnection, ids: Collection[str]) -> dict[str, str]:
    """Page -> seller ('' when unknown), locked until the transaction ends."""
    ordered = sorted(ids)
    if not ordered:
        return {}
    await conn.execute(
        "INSERT INTO pages (page_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING", ordered
    )
    rows = await conn.fetch(
        "SELECT page_id, seller_id FROM pages WHERE page_id = ANY($1) ORDER BY page_id FOR UPDATE",
        ordered,
    )
    return {row["page_id"]: row["seller_id"] for row in rows}


async def save_conversations(conn: PoolConnection, conversations: Iterable[Conversation]) -> None:
    """Write back locked conversations."""
    rows = sorted(conversations, key=lambda c: c.conversation_id)
    if not rows:
        return
    await conn.execute(
        "UPDATE conversations AS c SET seller_id = u.seller_id, page_id = u.page_id, "
        "listing_id = u.listing_id, buyer_id = u.buyer_id, known = u.known, "
        "started_at = u.started_at, first_sent_at = u.first_sent_at, deal_at = u.deal_at, "
        "human_at = u.human_at "
        "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[], "
        "$7::timestamptz[], $8::timestamptz[], $9::timestamptz[], $10::timestamptz[]) "
        "AS u(conversation_id, seller_id, page_id, listing_id, buyer_id, known, started_at, "
        "first_sent_at, deal_at, human_at) "
        "WHERE c.conversation_id = u.conversation_id",
        [c.conversation_id for c in rows],
        [c.seller_id for c in rows],
        [c.page_id for c in rows],
        [c.listing_id for c in rows],
        [c.buyer_id for c in rows],
        [c.known for c in rows],
        [c.started_at for c in rows],
        [c.first_sent_at for c in rows],
        [c.deal_at for c in rows],
        [c.human_at for c in rows],
    )


async def save_owners(conn: PoolConnection, owners: dict[str, str]) -> None:
    """Write back the sellers of locked Pages."""
    if not owners:
        return
    pages = sorted(owners)
    await conn.execute(
        "UPDATE pages AS p SET seller_id = u.seller_id "
        "FROM unnest($1::text[], $2::text[]) AS u(page_id, seller_id) "
        "WHERE p.page_id = u.page_id",
        pages,
        [owners[page] for page in pages],
    )


async def take_deferred(
    conn: PoolConnection, *, pages: Collection[str], conversations: Collection[str]
) -> list[Deferral]:
    """Remove and return what waited for these (locked) Pages and conversations."""
    if not pages and not conversations:
        return []
    rows = await conn.fetch(
        "DELETE FROM deferred WHERE (key_kind = 'page' AND key_id = ANY($1)) "
        "OR (key_kind = 'conversation' AND key_id = ANY($2)) RETURNING *",
        sorted(pages),
        sorted(conversations),
    )
    return [_deferral(row) for row in sorted(rows, key=lambda row: row["id"])]


def _deferral(row: asyncpg.Record) -> Deferral:
    target = Target(row["seller_id"], row["page_id"], row["listing_id"], row["conversation_id"])
    contribution = Contribution(row["hour"], target, Delta.from_json(row["delta"]))
    return Deferral(WaitsFor(row["key_kind"]), row["key_id"], row["only_listing"], contribution)


async def add_deferred(conn: PoolConnection, deferrals: Sequence[Deferral]) -> None:
    """Store contributions that must wait."""
    if not deferrals:
        return
    await conn.executemany(
        "INSERT INTO deferred (key_kind, key_id, only_listing, hour, seller_id, page_id, "
        "listing_id, conversation_id, delta) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        [
            (
                d.waits_for.value,
                d.key,
                d.only_listing,
                d.contribution.hour,
                d.contribution.target.seller_id,
                d.contribution.target.page_id,
                d.contribution.target.listing_id,
                d.contribution.target.conversation_id,
                d.contribution.delta.to_json(),
            )
            for d in deferrals
        ],
    )
