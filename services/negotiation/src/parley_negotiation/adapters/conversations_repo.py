"""Conversations, transcripts, handled events and comment replies in PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import asyncpg

from parley_kit.db import Pool, PoolConnection


class State(StrEnum):
    """Who answers the buyer."""

    BOT = "bot"
    HUMAN = "human"
    PAUSED = "paused"
    CLOSED = "closed"


@dataclass(frozen=True)
class Conversation:
    """One buyer talking to one Page."""

    conversation_id: str
    page_id: str
    buyer_id: str
    seller_id: str
    listing_id: str
    state: State
    state_reason: str
    negotiation: dict[str, Any]
    last_event_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Line:
    """One transcript line."""

    direction: str
    author: str
    text: str
    decision: str
    at: datetime


def conversation_id(page_id: str, buyer_id: str) -> str:
    """The stable id of a buyer's conversation with a Page."""
    return f"{page_id}-{buyer_id}"


def _conversation(row: asyncpg.Record) -> Conversation:
    negotiation = row["negotiation"]
    if isinstance(negotiation, str):
        negotiation = json.loads(negotiation)
    return Conversation(
        conversation_id=row["conversation_id"],
        page_id=row["page_id"],
        buyer_id=row["buyer_id"],
        seller_id=row["seller_id"],
        listing_id=row["listing_id"],
        state=State(row["state"]),
        state_reason=row["state_reason"],
        negotiation=dict(negotiation),
        last_event_at=row["last_event_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def mark_handled(conn: PoolConnection, event_id: str) -> bool:
    """Remember an inbound event; False when it was handled before (a redelivery)."""
    done = await conn.fetchval(
        "INSERT INTO handled_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING 1",
        event_id,
    )
    return done is not None


async def lock_conversation(
    conn: PoolConnection, *, page_id: str, buyer_id: str, seller_id: str, now: datetime
) -> Conversation:
    """The conversation, created if new, locked until the transaction ends (one writer)."""
    # One round trip: a conflicting insert turns into a no-op update, which locks the existing
    # row until the transaction ends (as SELECT ... FOR UPDATE would) and returns it.
    row = await conn.fetchrow(
        "INSERT INTO conversations (conversation_id, page_id, buyer_id, seller_id, created_at, "
        "updated_at) VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (conversation_id) "
        "DO UPDATE SET updated_at = conversations.updated_at RETURNING *",
        conversation_id(page_id, buyer_id),
        page_id,
        buyer_id,
        seller_id,
        now,
    )
    assert row is not None  # RETURNING always yields the inserted or the locked row
    return _conversation(row)


async def save_conversation(conn: PoolConnection, conversation: Conversation) -> None:
    """Write back a locked conversation."""
    await conn.execute(
        "UPDATE conversations SET seller_id = $2, listing_id = $3, state = $4, "
        "state_reason = $5, negotiation = $6, last_event_at = $7, updated_at = $8 "
        "WHERE conversation_id = $1",
        conversation.conversation_id,
        conversation.seller_id,
        conversation.listing_id,
        conversation.state.value,
        conversation.state_reason,
        json.dumps(conversation.negotiation),
        conversation.last_event_at,
        conversation.updated_at,
    )


async def add_line(
    conn: PoolConnection,
    *,
    conversation_id: str,
    direction: str,
    author: str,
    text: str,
    at: datetime,
    decision: str = "",
    event_id: str = "",
) -> None:
    """Append to the transcript."""
    await conn.execute(
        "INSERT INTO transcript (conversation_id, direction, author, text, decision, event_id, "
        "at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        conversation_id,
        direction,
        author,
        text,
        decision,
        event_id,
        at,
    )


async def get_conversation(
    conn: PoolConnection | Pool, conversation_id: str, *, lock: bool = False
) -> Conversation | None:
    """A conversation by id."""
    sql = "SELECT * FROM conversations WHERE conversation_id = $1"
    row = await conn.fetchrow(sql + (" FOR UPDATE" if lock else ""), conversation_id)
    return None if row is None else _conversation(row)


async def transcript(conn: PoolConnection | Pool, conversation_id: str) -> list[Line]:
    """The conversation's lines, oldest first."""
    rows = await conn.fetch(
        "SELECT direction, author, text, decision, at FROM transcript "
        "WHERE conversation_id = $1 ORDER BY at, line_id",
        conversation_id,
    )
    return [Line(r["direction"], r["author"], r["text"], r["decision"], r["at"]) for r in rows]


async def recent_lines(conn: PoolConnection, conversation_id: str, limit: int) -> list[Line]:
    """The last `limit` lines, oldest first."""
    rows = await conn.fetch(
        "SELECT direction, author, text, decision, at FROM transcript "
        "WHERE conversation_id = $1 ORDER BY at DESC, line_id DESC LIMIT $2",
        conversation_id,
        limit,
    )
    return [Line(r["direction"], r["author"], r["text"], r["decision"], r["at"]) for r in rows][
        ::-1
    ]


async def list_conversations(
    pool: Pool,
    *,
    page_id: str,
    state: State | None,
    limit: int,
    before: tuple[datetime, str] | None,
) -> list[Conversation]:
    """A Page's conversations, most recently active first, after a keyset cursor."""
    rows = await pool.fetch(
        "SELECT * FROM conversations WHERE page_id = $1 AND ($2::text IS NULL OR state = $2) "
        "AND ($3::timestamptz IS NULL OR (updated_at, conversation_id) < ($3, $4)) "
        "ORDER BY updated_at DESC, conversation_id DESC LIMIT $5",
        page_id,
        None if state is None else state.value,
        None if before is None else before[0],
        "" if before is None else before[1],
        limit,
    )
    return [_conversation(row) for row in rows]


async def claim_comment(
    conn: PoolConnection, *, comment_id: str, page_id: str, listing_id: str
) -> bool:
    """True the first time a comment is claimed for its one private reply."""
    done = await conn.fetchval(
        "INSERT INTO comment_replies (comment_id, page_id, listing_id) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING RETURNING 1",
        comment_id,
        page_id,
        listing_id,
    )
    return done is not None


async def forget_buyer(conn: PoolConnection, *, buyer_id: str) -> int:
    """Delete a buyer's conversations and transcripts (data deletion); how many."""
    result = await conn.execute("DELETE FROM conversations WHERE buyer_id = $1", buyer_id)
    return int(result.split()[-1])


async def forget_pages(conn: PoolConnection, *, page_ids: list[str]) -> int:
    """Delete every conversation of these Pages (their seller's data was deleted)."""
    result = await conn.execute("DELETE FROM conversations WHERE page_id = ANY($1)", page_ids)
    return int(result.split()[-1])
