"""The schema-pinned pool and the unit of work, against a real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from parley_kit.db import Pool, create_pool, unit_of_work

pytestmark = pytest.mark.integration


@pytest.fixture
async def pool(database_url: str, pg_schema: str) -> AsyncIterator[Pool]:
    created = await create_pool(database_url, pg_schema, min_size=1, max_size=2)
    try:
        async with unit_of_work(created) as conn:
            await conn.execute("CREATE TABLE notes (id int PRIMARY KEY, body jsonb)")
        yield created
    finally:
        await created.close()


async def test_every_connection_is_pinned_to_the_schema(pool: Pool, pg_schema: str) -> None:
    async with pool.acquire() as first, pool.acquire() as second:
        assert await first.fetchval("SHOW search_path") == pg_schema
        assert await second.fetchval("SHOW search_path") == pg_schema
        assert await first.fetchval("SELECT current_schema()") == pg_schema


async def test_unqualified_tables_live_in_the_schema(pool: Pool, pg_schema: str) -> None:
    async with pool.acquire() as conn:
        schemas = await conn.fetch(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'notes'"
        )
    assert pg_schema in [row["table_schema"] for row in schemas]
    assert "public" not in [row["table_schema"] for row in schemas]


async def test_jsonb_round_trips_as_python_values(pool: Pool) -> None:
    body = {"offer": 8500, "currency": "THB", "tags": ["firm", None], "ok": True}
    async with unit_of_work(pool) as conn:
        await conn.execute("INSERT INTO notes VALUES ($1, $2)", 1, body)
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT body FROM notes WHERE id = 1") == body
        assert await conn.fetchval("SELECT body->>'currency' FROM notes") == "THB"


async def test_the_unit_of_work_commits_when_the_block_ends(pool: Pool) -> None:
    async with unit_of_work(pool) as conn:
        await conn.execute("INSERT INTO notes VALUES (1, '{}')")
        assert conn.is_in_transaction()
    async with pool.acquire() as other:
        assert await other.fetchval("SELECT count(*) FROM notes") == 1


async def test_the_unit_of_work_rolls_back_when_the_block_raises(pool: Pool) -> None:
    with pytest.raises(RuntimeError, match="handler failed"):
        async with unit_of_work(pool) as conn:
            await conn.execute("INSERT INTO notes VALUES (1, '{}')")
            raise RuntimeError("handler failed")
    async with pool.acquire() as other:
        assert await other.fetchval("SELECT count(*) FROM notes") == 0


async def test_the_unit_of_work_takes_an_isolation_level(pool: Pool) -> None:
    async with unit_of_work(pool, isolation="serializable") as conn:
        assert await conn.fetchval("SHOW transaction_isolation") == "serializable"


async def test_a_missing_schema_is_not_silently_replaced_by_public(
    database_url: str, unique_id: str
) -> None:
    missing = await create_pool(database_url, f"absent_{unique_id}", min_size=0, max_size=1)
    try:
        with pytest.raises(asyncpg.InvalidSchemaNameError):
            async with unit_of_work(missing) as conn:
                await conn.execute("CREATE TABLE stray (id int)")
    finally:
        await missing.close()


@pytest.mark.parametrize("reset_sessions", [True, False])
async def test_a_pool_without_session_resets_still_rolls_back_what_a_release_left_open(
    database_url: str, pg_schema: str, reset_sessions: bool
) -> None:
    created = await create_pool(
        database_url, pg_schema, min_size=1, max_size=1, reset_sessions=reset_sessions
    )
    try:
        async with created.acquire() as conn:
            await conn.execute("SET application_name = 'changed'")
            await conn.execute("CREATE TABLE IF NOT EXISTS left_open (id int)")
            await conn.execute("BEGIN")  # unmanaged: the release must undo it
            await conn.execute("INSERT INTO left_open VALUES (1)")
        async with created.acquire() as conn:  # the same connection (max_size=1)
            kept = await conn.fetchval("SHOW application_name") == "changed"
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SELECT count(*) FROM left_open") == 0
    finally:
        await created.close()
    # The reset round trip is skipped only when asked: then session state is left as it was.
    assert kept is not reset_sessions
