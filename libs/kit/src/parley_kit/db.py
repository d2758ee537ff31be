"""PostgreSQL access: an asyncpg pool pinned to one schema, and the unit of work that commits."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal, TypeAlias

import asyncpg

# Strings: asyncpg's classes are generic only in the stubs.
Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"
Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record]"
PoolConnection: TypeAlias = "asyncpg.pool.PoolConnectionProxy[asyncpg.Record]"
Isolation = Literal["read_committed", "repeatable_read", "serializable"]

# Lower-case unquoted identifiers only: the name is interpolated into SQL (quoted) and used as
# the search_path, where case folding and quoting rules would otherwise bite.
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def validate_schema(schema: str) -> str:
    """The schema name if it is a plain lower-case SQL identifier, else ValueError."""
    if not _SCHEMA_NAME.fullmatch(schema) or schema.startswith("pg_"):
        raise ValueError(f"invalid schema name {schema!r}: use [a-z_][a-z0-9_]*, not pg_*")
    return schema


def quote_schema(schema: str) -> str:
    """The validated schema name as a quoted SQL identifier."""
    return f'"{validate_schema(schema)}"'


async def init_connection(conn: Connection) -> None:
    """Decode json and jsonb columns to Python values and encode them from Python values."""
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name, schema="pg_catalog", encoder=json.dumps, decoder=json.loads
        )


async def _keep_session(conn: Connection) -> None:
    """Nothing to reset: the caller's code never changes session state (see create_pool)."""


async def create_pool(
    dsn: str,
    schema: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    command_timeout: float | None = 30.0,
    reset_sessions: bool = True,
) -> Pool:
    """A connection pool whose every connection has `search_path` set to `schema` alone.

    asyncpg resets every connection it takes back (`RESET ALL`, `CLOSE ALL`, `UNLISTEN *`,
    advisory unlocks): one more round trip per unit of work, and round trips are what a message
    costs here. A service that never changes session state (no SET, LISTEN, cursors or session
    advisory locks; transaction-scoped locks are fine) passes `reset_sessions=False`; an open
    transaction is still rolled back on release.
    """
    validate_schema(schema)
    if not 0 <= min_size <= max_size or max_size < 1:
        raise ValueError("pool sizes must satisfy 0 <= min_size <= max_size, 1 <= max_size")
    pool: Pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        command_timeout=command_timeout,
        init=init_connection,
        reset=None if reset_sessions else _keep_session,
        server_settings={"search_path": schema},
    )
    return pool


@asynccontextmanager
async def unit_of_work(
    pool: Pool, *, isolation: Isolation = "read_committed"
) -> AsyncIterator[PoolConnection]:
    """A connection inside a transaction: committed when the block ends, rolled back if it raises.

    The one place that commits: data-access functions take the connection and never commit.
    """
    async with pool.acquire() as conn, conn.transaction(isolation=isolation):
        yield conn
