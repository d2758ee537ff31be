"""Per-Page token buckets shared by every delivery instance, in PostgreSQL (one row per Page,
updated in one statement: the same arithmetic as domain/ratelimit.py)."""

from __future__ import annotations

from typing import TypeAlias

from parley_delivery.domain.ratelimit import Bucket
from parley_kit.db import Pool, PoolConnection

Db: TypeAlias = "Pool | PoolConnection"

_TAKE = """
INSERT INTO rate_buckets AS b (page_id, tokens, updated_at)
VALUES ($1, $3::float8 - 1, clock_timestamp())
ON CONFLICT (page_id) DO UPDATE SET
    tokens = least($3::float8, b.tokens + greatest(0, extract(epoch FROM
        clock_timestamp() - b.updated_at)::float8) * $2::float8) - 1,
    updated_at = clock_timestamp()
RETURNING greatest(0, -tokens) / $2::float8
"""


async def take(db: Db, page_id: str, bucket: Bucket) -> float:
    """Take one token from the Page's bucket; seconds to wait before using it."""
    wait: float = await db.fetchval(_TAKE, page_id, bucket.rate, bucket.burst)
    return wait


async def penalize(db: Db, page_id: str, bucket: Bucket, backoff_s: float) -> None:
    """Make every instance wait `backoff_s` before the Page's next call (Meta said 613)."""
    await db.execute(
        "INSERT INTO rate_buckets AS b (page_id, tokens, updated_at) "
        "VALUES ($1, $2, clock_timestamp()) ON CONFLICT (page_id) DO UPDATE SET "
        "tokens = least(b.tokens, $2), updated_at = clock_timestamp()",
        page_id,
        bucket.penalty(backoff_s),
    )
