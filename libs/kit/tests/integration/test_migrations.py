"""The migration runner against a real PostgreSQL: order, idempotence, refusals, concurrency."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from parley_kit.migrations import MigrationError, lock_key, migrate, migrate_command

pytestmark = pytest.mark.integration

FILES = {
    "20261121_0001_create_outbox.sql": (
        "CREATE TABLE outbox (id bigserial PRIMARY KEY, subject text NOT NULL);\n"
        "CREATE TABLE runs (migration text NOT NULL);\n"
        "INSERT INTO runs VALUES ('0001');"
    ),
    "20261121_0002_slow_step.sql": "SELECT pg_sleep(0.2); INSERT INTO runs VALUES ('0002');",
    "20261122_0001_add_payload.sql": (
        "ALTER TABLE outbox ADD COLUMN payload bytea;\nINSERT INTO runs VALUES ('0003');"
    ),
}
NAMES = sorted(FILES)


@pytest.fixture
def schema(unique_id: str) -> str:
    return f"m_{unique_id}"


@pytest.fixture
async def db(database_url: str, schema: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url)
    try:
        yield conn
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name, sql in FILES.items():
        (tmp_path / name).write_text(sql)
    (tmp_path / "__init__.py").write_text("")
    return tmp_path


async def recorded(db: asyncpg.Connection, schema: str) -> list[tuple[str, str]]:
    rows = await db.fetch(f'SELECT name, checksum FROM "{schema}".schema_migrations ORDER BY 1')
    return [(row["name"], row["checksum"]) for row in rows]


async def test_migrate_creates_the_schema_and_applies_the_files_in_name_order(
    database_url: str, schema: str, folder: Path, db: asyncpg.Connection
) -> None:
    assert await migrate(database_url, schema, folder) == NAMES

    expected = [(name, hashlib.sha256(FILES[name].encode()).hexdigest()) for name in NAMES]
    assert await recorded(db, schema) == expected
    assert await db.fetchval(f'SELECT count(*) FROM "{schema}".outbox') == 0
    runs = await db.fetch(f'SELECT migration FROM "{schema}".runs')
    assert [row["migration"] for row in runs] == ["0001", "0002", "0003"]
    assert await db.fetchval("SELECT to_regclass('public.outbox')") is None


async def test_a_second_run_applies_nothing(
    database_url: str, schema: str, folder: Path, db: asyncpg.Connection
) -> None:
    await migrate(database_url, schema, folder)
    assert await migrate(database_url, schema, folder) == []
    assert await db.fetchval(f'SELECT count(*) FROM "{schema}".runs') == 3


async def test_a_new_file_is_applied_on_the_next_run(
    database_url: str, schema: str, folder: Path, db: asyncpg.Connection
) -> None:
    await migrate(database_url, schema, folder)
    (folder / "20261201_0001_index_subject.sql").write_text("CREATE INDEX ON outbox (subject);")

    assert await migrate(database_url, schema, folder) == ["20261201_0001_index_subject.sql"]
    assert len(await recorded(db, schema)) == 4


async def test_a_changed_applied_file_is_refused_and_nothing_runs(
    database_url: str, schema: str, folder: Path, db: asyncpg.Connection
) -> None:
    await migrate(database_url, schema, folder)
    (folder / NAMES[0]).write_text(FILES[NAMES[0]] + "\n-- edited")
    (folder / "20261201_0001_more.sql").write_text("CREATE TABLE more (id int);")

    with pytest.raises(MigrationError, match=f"changed.*{NAMES[0]}"):
        await migrate(database_url, schema, folder)
    assert len(await recorded(db, schema)) == 3


async def test_an_applied_file_missing_from_the_folder_is_refused(
    database_url: str, schema: str, folder: Path, db: asyncpg.Connection
) -> None:
    await migrate(database_url, schema, folder)
    (folder / NAMES[1]).unlink()

    with pytest.raises(MigrationError, match=f"missing.*{NAMES[1]}"):
        await migrate(database_url, schema, folder)


async def test_a_new_file_dated_before_the_last_applied_one_is_refused(
    database_url: str, schema: str, folder: Path, db: asyncpg.Connection
) -> None:
    await migrate(database_url, schema, folder)
    (folder / "20261121_0003_late_branch.sql").write_text("CREATE TABLE late (id int);")

    with pytest.raises(MigrationError, match="20261121_0003_late_branch.sql"):
        await migrate(database_url, schema, folder)
    assert await db.fetchval(f"SELECT to_regclass('\"{schema}\".late')") is None


async def test_a_failing_file_is_rolled_back_and_not_recorded(
    database_url: str, schema: str, folder: Path, db: asyncpg.Connection
) -> None:
    (folder / "20261201_0001_broken.sql").write_text("CREATE TABLE half (id int); SELEC 1;")

    with pytest.raises(MigrationError, match="20261201_0001_broken.sql.*rolled back"):
        await migrate(database_url, schema, folder)

    assert [name for name, _ in await recorded(db, schema)] == NAMES
    assert await db.fetchval(f"SELECT to_regclass('\"{schema}\".half')") is None


async def test_concurrent_migrators_apply_each_file_exactly_once(
    database_url: str, schema: str, folder: Path, db: asyncpg.Connection
) -> None:
    results = await asyncio.gather(*(migrate(database_url, schema, folder) for _ in range(3)))

    assert sorted(name for result in results for name in result) == NAMES
    assert sorted(results, key=len) == [[], [], NAMES]
    runs = await db.fetch(f'SELECT migration FROM "{schema}".runs')
    assert sorted(row["migration"] for row in runs) == ["0001", "0002", "0003"]


async def test_a_migrator_waits_for_the_lock_of_its_schema_only(
    database_url: str, schema: str, folder: Path, db: asyncpg.Connection
) -> None:
    other = f"{schema}_b"
    await db.execute("SELECT pg_advisory_lock($1)", lock_key(schema))
    blocked = asyncio.create_task(migrate(database_url, schema, folder))
    try:
        assert await asyncio.wait_for(migrate(database_url, other, folder), 5) == NAMES
        await asyncio.sleep(0.3)
        assert not blocked.done()
        await db.execute("SELECT pg_advisory_unlock($1)", lock_key(schema))
        assert await asyncio.wait_for(blocked, 5) == NAMES
    finally:
        blocked.cancel()
        await db.execute(f'DROP SCHEMA IF EXISTS "{other}" CASCADE')


def test_the_migrate_command_exits_0_then_1_when_refused(
    database_url: str, schema: str, folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="parley_kit.migrations")
    try:
        assert migrate_command(database_url, schema, folder) == 0
        (folder / NAMES[0]).write_text("-- rewritten history")
        assert migrate_command(database_url, schema, folder) == 1
    finally:
        asyncio.run(_drop_schema(database_url, schema))
    assert f"applied migration {NAMES[0]} to schema {schema}" in caplog.text
    assert "refused" in caplog.text and NAMES[0] in caplog.text


async def _drop_schema(database_url: str, schema: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()
