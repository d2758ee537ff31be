"""Messenger Profile calls per Page (Meta allows 10 per 10 minutes) and the applied profiles."""

from __future__ import annotations

from typing import Any, TypeAlias

from parley_kit.db import Pool, PoolConnection

Db: TypeAlias = "Pool | PoolConnection"


async def applied_digest(db: Db, page_id: str) -> str | None:
    """The digest of the profile last applied to the Page."""
    found: str | None = await db.fetchval(
        "SELECT digest FROM page_profiles WHERE page_id = $1", page_id
    )
    return found


async def reserve_call(db: PoolConnection, page_id: str, *, calls: int, window_s: float) -> float:
    """Count a profile call for the Page if the window allows: 0, or seconds until it does.

    Takes a transaction-scoped advisory lock on the Page, so concurrent callers count in turn.
    """
    await db.execute("SELECT pg_advisory_xact_lock(hashtext('profile:' || $1))", page_id)
    recent = await db.fetch(
        "SELECT called_at FROM profile_calls WHERE page_id = $1 "
        "AND called_at > now() - make_interval(secs => $2::float8) ORDER BY called_at",
        page_id,
        window_s,
    )
    if len(recent) >= calls:
        oldest = recent[len(recent) - calls]["called_at"]
        wait: float = await db.fetchval(
            "SELECT extract(epoch FROM $1::timestamptz + make_interval(secs => $2::float8) "
            "- now())::float8",
            oldest,
            window_s,
        )
        return max(0.0, wait)
    await db.execute("INSERT INTO profile_calls (page_id, called_at) VALUES ($1, now())", page_id)
    await db.execute(
        "DELETE FROM profile_calls WHERE page_id = $1 "
        "AND called_at < now() - make_interval(secs => $2::float8)",
        page_id,
        window_s,
    )
    return 0.0


async def save_profile(db: Db, page_id: str, digest: str, profile: dict[str, Any]) -> None:
    """Remember the profile applied to the Page."""
    await db.execute(
        "INSERT INTO page_profiles (page_id, digest, profile, applied_at) "
        "VALUES ($1, $2, $3, now()) ON CONFLICT (page_id) DO UPDATE SET digest = $2, "
        "profile = $3, applied_at = now()",
        page_id,
        digest,
        profile,
    )
