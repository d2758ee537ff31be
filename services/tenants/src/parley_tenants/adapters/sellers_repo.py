"""Sellers, their settings, OAuth states, platform flags and deletion requests in PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from parley_kit.db import PoolConnection
from parley_tenants.adapters.sql import returned
from parley_tenants.domain.model import (
    DeletionRequest,
    DeletionStatus,
    KillSwitch,
    ReplyPace,
    Seller,
    SellerSettings,
    SellerStatus,
    ViewingSlot,
)

KILL_SWITCH = "kill_switch"


def _seller(row: asyncpg.Record) -> Seller:
    return Seller(
        seller_id=row["seller_id"],
        name=row["name"],
        email=row["email"],
        status=SellerStatus(row["status"]),
        facebook_user_id=row["facebook_user_id"],
        created_at=row["created_at"],
    )


async def create_seller(conn: PoolConnection, *, seller_id: str, name: str, email: str) -> Seller:
    """Insert a seller and its default settings."""
    row = await conn.fetchrow(
        "INSERT INTO sellers (seller_id, name, email) VALUES ($1, $2, $3) RETURNING *",
        seller_id,
        name,
        email,
    )
    await conn.execute("INSERT INTO seller_settings (seller_id) VALUES ($1)", seller_id)
    return _seller(returned(row))


async def get_seller(conn: PoolConnection, *, seller_id: str, lock: bool = False) -> Seller | None:
    """A seller by id (locked for update when asked)."""
    suffix = " FOR UPDATE" if lock else ""
    row = await conn.fetchrow(f"SELECT * FROM sellers WHERE seller_id = $1{suffix}", seller_id)
    return None if row is None else _seller(row)


async def find_seller_by_name(conn: PoolConnection, *, name: str) -> Seller | None:
    """The oldest seller with this name (seed-demo finds its seller again)."""
    row = await conn.fetchrow(
        "SELECT * FROM sellers WHERE name = $1 AND status <> 'deleted' ORDER BY created_at LIMIT 1",
        name,
    )
    return None if row is None else _seller(row)


async def list_sellers_of_facebook_user(conn: PoolConnection, *, user_id: str) -> list[Seller]:
    """Every seller whose Pages this Facebook user connected."""
    rows = await conn.fetch(
        "SELECT * FROM sellers WHERE facebook_user_id = $1 ORDER BY created_at FOR UPDATE", user_id
    )
    return [_seller(row) for row in rows]


async def update_seller_status(
    conn: PoolConnection, *, seller_id: str, status: SellerStatus
) -> Seller:
    """Set a seller's status."""
    row = await conn.fetchrow(
        "UPDATE sellers SET status = $2, updated_at = now(), version = version + 1 "
        "WHERE seller_id = $1 RETURNING *",
        seller_id,
        status.value,
    )
    return _seller(returned(row))


async def update_seller_facebook_user(
    conn: PoolConnection, *, seller_id: str, user_id: str
) -> None:
    """Remember which Facebook user connected the seller's Pages."""
    await conn.execute(
        "UPDATE sellers SET facebook_user_id = $2, updated_at = now(), version = version + 1 "
        "WHERE seller_id = $1",
        seller_id,
        user_id,
    )


async def anonymise_seller(conn: PoolConnection, *, seller_id: str) -> None:
    """Forget who the seller is; the id stays so that references do not dangle."""
    await conn.execute(
        "UPDATE sellers SET name = 'deleted seller', email = '', facebook_user_id = NULL, "
        "status = 'deleted', updated_at = now(), version = version + 1 WHERE seller_id = $1",
        seller_id,
    )
    await conn.execute("DELETE FROM seller_settings WHERE seller_id = $1", seller_id)
    await conn.execute("DELETE FROM oauth_states WHERE seller_id = $1", seller_id)


def _settings(row: asyncpg.Record) -> SellerSettings:
    slots = tuple(
        ViewingSlot(int(slot["weekday"]), str(slot["start"]), str(slot["end"]))
        for slot in row["viewing_availability"]
    )
    return SellerSettings(
        seller_id=row["seller_id"],
        languages=tuple(row["languages"]),
        tone=row["tone"],
        reply_pace=ReplyPace(row["reply_pace"]),
        escrow_enabled=row["escrow_enabled"],
        human_takeover_enabled=row["human_takeover_enabled"],
        viewing_availability=slots,
        takeover_keywords=tuple(row["takeover_keywords"]),
        max_concessions=row["max_concessions"],
        currency=row["currency"],
        time_zone=row["time_zone"],
        version=row["version"],
    )


async def get_settings(conn: PoolConnection, *, seller_id: str) -> SellerSettings | None:
    """A seller's settings."""
    row = await conn.fetchrow("SELECT * FROM seller_settings WHERE seller_id = $1", seller_id)
    return None if row is None else _settings(row)


async def update_settings(
    conn: PoolConnection, *, settings: SellerSettings, expected_version: int | None
) -> SellerSettings | None:
    """Replace a seller's settings; None when `expected_version` no longer matches."""
    slots = [
        {"weekday": s.weekday, "start": s.start, "end": s.end}
        for s in settings.viewing_availability
    ]
    row = await conn.fetchrow(
        "UPDATE seller_settings SET languages = $2, tone = $3, reply_pace = $4, "
        "escrow_enabled = $5, human_takeover_enabled = $6, viewing_availability = $7, "
        "takeover_keywords = $8, max_concessions = $9, currency = $10, time_zone = $11, "
        "updated_at = now(), version = version + 1 "
        "WHERE seller_id = $1 AND ($12::bigint IS NULL OR version = $12) RETURNING *",
        settings.seller_id,
        list(settings.languages),
        settings.tone,
        settings.reply_pace.value,
        settings.escrow_enabled,
        settings.human_takeover_enabled,
        slots,
        list(settings.takeover_keywords),
        settings.max_concessions,
        settings.currency,
        settings.time_zone,
        expected_version,
    )
    return None if row is None else _settings(row)


async def create_oauth_state(
    conn: PoolConnection, *, nonce: str, seller_id: str, expires_at: datetime
) -> None:
    """Remember a state so it can be used once."""
    await conn.execute(
        "INSERT INTO oauth_states (nonce, seller_id, expires_at) VALUES ($1, $2, $3)",
        nonce,
        seller_id,
        expires_at,
    )


async def use_oauth_state(
    conn: PoolConnection, *, nonce: str, seller_id: str, now: datetime
) -> str:
    """Mark a state used: 'used' now, 'replayed' if it was before, 'unknown' if never issued."""
    row = await conn.fetchrow(
        "SELECT used_at FROM oauth_states WHERE nonce = $1 AND seller_id = $2 FOR UPDATE",
        nonce,
        seller_id,
    )
    if row is None:
        return "unknown"
    if row["used_at"] is not None:
        return "replayed"
    await conn.execute("UPDATE oauth_states SET used_at = $2 WHERE nonce = $1", nonce, now)
    return "used"


async def get_kill_switch(conn: PoolConnection) -> KillSwitch:
    """The platform kill switch (off when never set)."""
    row = await conn.fetchrow("SELECT * FROM platform_flags WHERE name = $1", KILL_SWITCH)
    if row is None:
        return KillSwitch(False, "", None)
    return KillSwitch(row["enabled"], row["reason"], row["changed_at"])


async def update_kill_switch(conn: PoolConnection, *, engaged: bool, reason: str) -> KillSwitch:
    """Engage or release the kill switch."""
    row = await conn.fetchrow(
        "INSERT INTO platform_flags (name, enabled, reason, changed_at) "
        "VALUES ($1, $2, $3, now()) ON CONFLICT (name) DO UPDATE "
        "SET enabled = $2, reason = $3, changed_at = now() RETURNING *",
        KILL_SWITCH,
        engaged,
        reason,
    )
    flag = returned(row)
    return KillSwitch(flag["enabled"], flag["reason"], flag["changed_at"])


def _deletion(row: asyncpg.Record) -> DeletionRequest:
    return DeletionRequest(
        confirmation_code=row["confirmation_code"],
        status=DeletionStatus(row["status"]),
        progress=tuple(row["progress"]),
        requested_at=row["requested_at"],
        updated_at=row["updated_at"],
    )


async def create_deletion(
    conn: PoolConnection, *, code: str, user_id_sha256: str, progress: list[str]
) -> DeletionRequest:
    """Record a deletion request."""
    row = await conn.fetchrow(
        "INSERT INTO deletion_requests (confirmation_code, user_id_sha256, status, progress) "
        "VALUES ($1, $2, 'in_progress', $3) RETURNING *",
        code,
        user_id_sha256,
        progress,
    )
    return _deletion(returned(row))


async def get_deletion(conn: PoolConnection, *, code: str) -> DeletionRequest | None:
    """A deletion request by confirmation code."""
    row = await conn.fetchrow("SELECT * FROM deletion_requests WHERE confirmation_code = $1", code)
    return None if row is None else _deletion(row)


async def purge_expired_states(conn: PoolConnection, now: datetime) -> None:
    """Forget states past their expiry: their signed expiry refuses them anyway."""
    await conn.execute("DELETE FROM oauth_states WHERE expires_at < $1", now)
