"""Forward-only SQL migrations, one folder and one schema per service, applied under a lock."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib.resources.abc import Traversable

import asyncpg

from parley_kit.db import Connection, quote_schema, validate_schema

_log = logging.getLogger(__name__)

TABLE = "schema_migrations"
# YYYYMMDD_NNNN_what_it_does.sql, e.g. 20261121_0001_create_outbox.sql
_FILE_NAME = re.compile(r"(?P<date>\d{8})_\d{4}_[a-z0-9_]+\.sql")


class MigrationError(Exception):
    """The migrations in the folder and those applied to the schema disagree."""


@dataclass(frozen=True)
class Migration:
    """One SQL file: its name, its text and the SHA-256 of its bytes (hex)."""

    name: str
    sql: str
    checksum: str


def _check_file_name(name: str) -> None:
    match = _FILE_NAME.fullmatch(name)
    if match is None:
        raise MigrationError(f"{name}: migration files are named YYYYMMDD_NNNN_description.sql")
    try:
        datetime.strptime(match["date"], "%Y%m%d")
    except ValueError:
        raise MigrationError(f"{name}: {match['date']} is not a date") from None


def load_migrations(folder: Traversable) -> list[Migration]:
    """The `.sql` files of a folder (e.g. a package's `migrations`), in name order."""
    if not folder.is_dir():
        raise MigrationError(f"migrations folder {folder} does not exist")
    migrations = []
    for entry in folder.iterdir():
        if entry.is_file() and entry.name.endswith(".sql"):
            _check_file_name(entry.name)
            data = entry.read_bytes()
            checksum = hashlib.sha256(data).hexdigest()
            migrations.append(Migration(entry.name, data.decode("utf-8"), checksum))
    return sorted(migrations, key=lambda migration: migration.name)


def pending_migrations(
    migrations: Sequence[Migration], applied: Mapping[str, str]
) -> list[Migration]:
    """The migrations still to apply, given applied name -> checksum; refuses any divergence."""
    known = {migration.name: migration for migration in migrations}
    missing = sorted(set(applied) - set(known))
    if missing:
        raise MigrationError(f"applied migrations missing from the folder: {', '.join(missing)}")
    changed = [name for name, checksum in applied.items() if known[name].checksum != checksum]
    if changed:
        raise MigrationError(f"applied migrations changed since: {', '.join(sorted(changed))}")
    pending = [migration for migration in migrations if migration.name not in applied]
    latest = max(applied, default="")
    early = [migration.name for migration in pending if migration.name < latest]
    if early:
        raise MigrationError(
            f"new migrations sort before the last applied one ({latest}): {', '.join(early)}; "
            "rename them to a later date"
        )
    return pending


def lock_key(schema: str) -> int:
    """The advisory-lock key (a signed 64-bit integer) of a schema's migrations."""
    digest = hashlib.sha256(f"parley.migrations:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@asynccontextmanager
async def _advisory_lock(conn: Connection, schema: str) -> AsyncIterator[None]:
    """Holds the schema's session-level advisory lock: one migrator at a time per schema."""
    await conn.execute("SELECT pg_advisory_lock($1)", lock_key(schema))
    try:
        yield
    finally:
        if not conn.is_closed():
            await conn.execute("SELECT pg_advisory_unlock($1)", lock_key(schema))


async def _applied(conn: Connection, schema: str) -> dict[str, str]:
    """Creates the schema and its migrations table if missing; returns name -> checksum."""
    quoted = quote_schema(schema)
    await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted}")
    await conn.execute(
        f"CREATE TABLE IF NOT EXISTS {quoted}.{TABLE} ("
        " name text PRIMARY KEY,"
        " checksum text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )
    rows = await conn.fetch(f"SELECT name, checksum FROM {quoted}.{TABLE}")
    return {row["name"]: row["checksum"] for row in rows}


async def _apply(conn: Connection, schema: str, migration: Migration) -> None:
    """Runs one file and records it, in one transaction, with the schema as search_path."""
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('search_path', $1, true)", schema)
            await conn.execute(migration.sql)
            await conn.execute(
                f"INSERT INTO {quote_schema(schema)}.{TABLE} (name, checksum) VALUES ($1, $2)",
                migration.name,
                migration.checksum,
            )
    except asyncpg.PostgresError as exc:
        raise MigrationError(f"{migration.name} failed and was rolled back: {exc}") from exc
    _log.info("applied migration %s to schema %s", migration.name, schema)


async def migrate(dsn: str, schema: str, folder: Traversable) -> list[str]:
    """Apply the folder's pending migrations to `schema` (created if missing); their names."""
    validate_schema(schema)
    migrations = load_migrations(folder)
    conn: Connection = await asyncpg.connect(dsn)
    try:
        async with _advisory_lock(conn, schema):
            pending = pending_migrations(migrations, await _applied(conn, schema))
            for migration in pending:
                await _apply(conn, schema, migration)
    finally:
        await conn.close()
    return [migration.name for migration in pending]


def migrate_command(dsn: str, schema: str, folder: Traversable) -> int:
    """Body of a service's `migrate` command: the exit status (1, logged, on MigrationError)."""
    try:
        applied = asyncio.run(migrate(dsn, schema, folder))
    except MigrationError as exc:
        _log.error("migrations for schema %s refused: %s", schema, exc)
        return 1
    if applied:
        _log.info("schema %s: applied %d migration(s)", schema, len(applied))
    else:
        _log.info("schema %s is up to date", schema)
    return 0
