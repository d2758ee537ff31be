"""What inbound events change in PostgreSQL: windows, echoes, statuses, comments, policy.

Every write is idempotent and order-independent (latest times win, statuses only move
forward), so a redelivered or reordered event changes nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeAlias

from parley_delivery.domain.inbound import Comment, Echo, PolicyChange, Receipt, WindowUpdate
from parley_delivery.domain.model import Window
from parley_kit.db import Pool, PoolConnection

Db: TypeAlias = "Pool | PoolConnection"


async def upsert_windows(db: Db, updates: list[WindowUpdate]) -> None:
    """Move each buyer's last action (and last turn) forward, never back."""
    if not updates:
        return
    await db.execute(
        "INSERT INTO windows AS w (page_id, psid, last_action_at, last_message_at) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[]) "
        "ON CONFLICT (page_id, psid) DO UPDATE SET "
        "last_action_at = greatest(w.last_action_at, excluded.last_action_at), "
        "last_message_at = greatest(w.last_message_at, excluded.last_message_at), "
        "updated_at = now()",
        [u.page_id for u in updates],
        [u.psid for u in updates],
        [u.last_action_at for u in updates],
        [u.last_message_at for u in updates],
    )


async def insert_echoes(db: Db, echoes: list[Echo]) -> None:
    """Remember that these sends of ours went out."""
    if not echoes:
        return
    await db.executemany(
        "INSERT INTO echoes (idempotency_key, part, message_id, echoed_at) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        [(e.idempotency_key, e.part, e.message_id, e.at) for e in echoes],
    )


async def apply_receipts(db: Db, receipts: list[Receipt]) -> None:
    """Delivered, then read: statuses only move forward."""
    for receipt in receipts:
        if receipt.read:
            await db.execute(
                "UPDATE outbound_messages SET status = 'read', read_at = $3, "
                "delivered_at = coalesce(delivered_at, $3) "
                "WHERE page_id = $1 AND recipient_id = $2 AND sent_at <= $3 AND read_at IS NULL",
                receipt.page_id,
                receipt.psid,
                receipt.watermark,
            )
            continue
        await db.execute(
            "UPDATE outbound_messages SET delivered_at = $3, "
            "status = CASE WHEN status = 'sent' THEN 'delivered' ELSE status END "
            "WHERE delivered_at IS NULL AND (message_id = ANY($4) "
            "OR (page_id = $1 AND recipient_id = $2 AND sent_at <= $3))",
            receipt.page_id,
            receipt.psid,
            receipt.watermark,
            list(receipt.message_ids),
        )


async def upsert_comments(db: Db, comments: list[Comment]) -> None:
    """Remember Page comments a private reply may answer."""
    if not comments:
        return
    await db.executemany(
        "INSERT INTO comments (comment_id, page_id, from_id, created_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (comment_id) DO NOTHING",
        [(c.comment_id, c.page_id, c.from_id, c.created_at) for c in comments],
    )


async def apply_policy(db: Db, changes: list[PolicyChange]) -> None:
    """Block or unblock Pages; the latest change wins."""
    for change in changes:
        await db.execute(
            "INSERT INTO page_policy AS p (page_id, blocked, reason, changed_at) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (page_id) DO UPDATE SET blocked = $2, "
            "reason = $3, changed_at = $4 WHERE p.changed_at <= $4",
            change.page_id,
            change.blocked,
            change.reason,
            change.at,
        )


async def get_window(db: Db, *, page_id: str, psid: str) -> Window:
    """The buyer's window as delivery knows it."""
    row = await db.fetchrow(
        "SELECT w.last_action_at, w.last_message_at, coalesce(p.blocked, false) AS blocked "
        "FROM (SELECT 1) AS one "
        "LEFT JOIN windows w ON w.page_id = $1 AND w.psid = $2 "
        "LEFT JOIN page_policy p ON p.page_id = $1",
        page_id,
        psid,
    )
    if row is None:
        return Window()
    return Window(row["last_action_at"], row["last_message_at"], row["blocked"])


async def last_turn_at(db: Db, *, page_id: str, psid: str) -> datetime | None:
    """When the buyer last wrote or tapped."""
    found: datetime | None = await db.fetchval(
        "SELECT last_message_at FROM windows WHERE page_id = $1 AND psid = $2", page_id, psid
    )
    return found
