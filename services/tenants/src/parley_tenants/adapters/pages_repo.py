"""Connected Pages and their encrypted tokens in PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from parley_kit.db import PoolConnection
from parley_tenants.adapters.sql import returned
from parley_tenants.domain.model import Page, PageStatus

_COLUMNS = (
    "page_id, seller_id, name, status, status_reason, profile_setup_pending, "
    "webhooks_subscribed, connected_at, updated_at, token_checked_at, version"
)


@dataclass(frozen=True)
class StoredToken:
    """A Page's encrypted token and the key that wrote it."""

    page_id: str
    ciphertext: bytes
    key_id: str


def _page(row: asyncpg.Record) -> Page:
    return Page(
        page_id=row["page_id"],
        seller_id=row["seller_id"],
        name=row["name"],
        status=PageStatus(row["status"]),
        status_reason=row["status_reason"],
        profile_setup_pending=row["profile_setup_pending"],
        webhooks_subscribed=row["webhooks_subscribed"],
        connected_at=row["connected_at"],
        updated_at=row["updated_at"],
        token_checked_at=row["token_checked_at"],
        version=row["version"],
    )


async def get_page(conn: PoolConnection, *, page_id: str, lock: bool = False) -> Page | None:
    """A Page by id (locked for update when asked)."""
    suffix = " FOR UPDATE" if lock else ""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM pages WHERE page_id = $1{suffix}", page_id)
    return None if row is None else _page(row)


async def list_pages(
    conn: PoolConnection, *, seller_id: str | None = None, status: PageStatus | None = None
) -> list[Page]:
    """Pages of one seller, or all, optionally of one status, oldest first."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM pages WHERE ($1::text IS NULL OR seller_id = $1) "
        "AND ($2::text IS NULL OR status = $2) ORDER BY connected_at, page_id",
        seller_id,
        None if status is None else status.value,
    )
    return [_page(row) for row in rows]


async def upsert_page(
    conn: PoolConnection,
    *,
    page_id: str,
    seller_id: str,
    name: str,
    ciphertext: bytes,
    key_id: str,
    subscribed: bool,
    now: datetime,
) -> Page:
    """Connect a Page, or re-connect it: new token, active again, never a second row."""
    row = await conn.fetchrow(
        "INSERT INTO pages (page_id, seller_id, name, status, token_ciphertext, token_key_id, "
        "webhooks_subscribed, profile_setup_pending, connected_at, updated_at) "
        "VALUES ($1, $2, $3, 'active', $4, $5, $6, true, $7, $7) "
        "ON CONFLICT (page_id) DO UPDATE SET name = $3, status = 'active', status_reason = '', "
        "token_ciphertext = $4, token_key_id = $5, webhooks_subscribed = $6, "
        "profile_setup_pending = true, updated_at = $7, version = pages.version + 1 "
        f"WHERE pages.seller_id = $2 RETURNING {_COLUMNS}",
        page_id,
        seller_id,
        name,
        ciphertext,
        key_id,
        subscribed,
        now,
    )
    return _page(returned(row))


async def update_page_status(
    conn: PoolConnection,
    *,
    page_id: str,
    status: PageStatus,
    reason: str,
    expected_version: int,
    now: datetime,
) -> Page | None:
    """Change a Page's status; None when `expected_version` no longer matches."""
    row = await conn.fetchrow(
        "UPDATE pages SET status = $2, status_reason = $3, updated_at = $5, "
        "version = version + 1 WHERE page_id = $1 AND version = $4 "
        f"RETURNING {_COLUMNS}",
        page_id,
        status.value,
        reason,
        expected_version,
        now,
    )
    return None if row is None else _page(row)


async def update_token_checked(conn: PoolConnection, *, page_id: str, now: datetime) -> None:
    """Record that the token was found valid now."""
    await conn.execute("UPDATE pages SET token_checked_at = $2 WHERE page_id = $1", page_id, now)


async def mark_profile_set_up(conn: PoolConnection, *, page_id: str, version: int) -> bool:
    """Clear `profile_setup_pending` unless the Page changed (was re-connected) meanwhile."""
    done = await conn.fetchval(
        "UPDATE pages SET profile_setup_pending = false WHERE page_id = $1 AND version = $2 "
        "RETURNING 1",
        page_id,
        version,
    )
    return done is not None


async def mark_subscribed(conn: PoolConnection, *, page_id: str) -> None:
    """Record that the app is now subscribed to the Page's webhooks."""
    await conn.execute("UPDATE pages SET webhooks_subscribed = true WHERE page_id = $1", page_id)


async def try_lead(conn: PoolConnection, task: str) -> bool:
    """Take the session lock that makes this replica the one running `task` in this schema."""
    found = await conn.fetchval(
        "SELECT pg_try_advisory_lock(hashtext(current_schema() || '.' || $1))", task
    )
    return bool(found)


async def stop_leading(conn: PoolConnection, task: str) -> None:
    """Release the lock `try_lead` took."""
    await conn.execute("SELECT pg_advisory_unlock(hashtext(current_schema() || '.' || $1))", task)


async def get_token(conn: PoolConnection, *, page_id: str) -> StoredToken | None:
    """A Page's encrypted token."""
    row = await conn.fetchrow(
        "SELECT page_id, token_ciphertext, token_key_id FROM pages WHERE page_id = $1", page_id
    )
    return None if row is None else StoredToken(row[0], bytes(row[1]), row[2])


async def list_tokens_not_under(
    conn: PoolConnection, *, key_id: str, limit: int
) -> list[StoredToken]:
    """Tokens written with another key than `key_id`, locked for re-encryption."""
    rows = await conn.fetch(
        "SELECT page_id, token_ciphertext, token_key_id FROM pages WHERE token_key_id <> $1 "
        "ORDER BY page_id LIMIT $2 FOR UPDATE SKIP LOCKED",
        key_id,
        limit,
    )
    return [StoredToken(row[0], bytes(row[1]), row[2]) for row in rows]


async def update_token(
    conn: PoolConnection, *, page_id: str, ciphertext: bytes, key_id: str
) -> None:
    """Store a re-encrypted token (the Page's state does not change)."""
    await conn.execute(
        "UPDATE pages SET token_ciphertext = $2, token_key_id = $3 WHERE page_id = $1",
        page_id,
        ciphertext,
        key_id,
    )


async def delete_pages_of_seller(conn: PoolConnection, *, seller_id: str) -> list[str]:
    """Remove a seller's Pages and their tokens; their ids."""
    rows = await conn.fetch("DELETE FROM pages WHERE seller_id = $1 RETURNING page_id", seller_id)
    return [row["page_id"] for row in rows]
