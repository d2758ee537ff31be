"""Delivery's connection pool: parley_kit.db's pool, without the per-release session reset.

asyncpg resets every connection it takes back (`RESET ALL`, `CLOSE ALL`, `UNLISTEN *`, advisory
unlocks): one more round trip per statement run through the pool, a quarter of delivery's time
on the send path. Delivery never changes session state (no SET, LISTEN, cursors or session
advisory locks), so only an open transaction needs undoing, which asyncpg does on its own.
"""

from __future__ import annotations

import asyncpg

from parley_kit.db import Connection, Pool, init_connection, validate_schema


async def _keep_session(conn: Connection) -> None:
    """Nothing to reset (see the module docstring)."""


async def create_pool(dsn: str, schema: str, *, max_size: int) -> Pool:
    """A pool whose connections have `search_path` set to `schema` alone."""
    pool: Pool = await asyncpg.create_pool(
        dsn,
        min_size=1,
        max_size=max_size,
        command_timeout=30.0,
        init=init_connection,
        reset=_keep_session,
        server_settings={"search_path": validate_schema(schema)},
    )
    return pool
