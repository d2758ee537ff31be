"""What every handler needs, and the locks that keep deletions apart from ingestion."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from parley_kit.db import Pool, PoolConnection


def utcnow() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


@dataclass
class Deps:
    """The handlers' dependencies, built once by bootstrap."""

    pool: Pool
    clock: Callable[[], datetime] = utcnow


# Batches hold it shared, a deletion exclusively: a deletion waits for the batches in progress
# and the batches after it see it (and drop the deleted sellers' events still on the way).
_LOCK_KEY = int.from_bytes(hashlib.sha256(b"parley.analytics.ingest").digest()[:8], "big") >> 1


async def hold_ingest_lock(conn: PoolConnection, *, exclusive: bool) -> None:
    """Take the ingestion lock for the transaction."""
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    await conn.execute(f"SELECT {function}($1)", _LOCK_KEY)
