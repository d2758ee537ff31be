"""`parley delivery migrate` and `serve` as an operator runs them."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import asyncpg
import pytest

pytestmark = pytest.mark.integration
PARLEY = str(Path(sys.executable).parent / "parley")


async def run(*args: str, env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        PARLEY,
        "delivery",
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode()


async def test_migrate_creates_the_schema_and_is_idempotent(
    database_url: str, pg_schema: str
) -> None:
    env = {"PARLEY_DATABASE_URL": database_url, "PARLEY_DELIVERY_SCHEMA": pg_schema}
    for _ in range(2):
        code, output = await run("migrate", env=env)
        assert code == 0, output
    conn = await asyncpg.connect(database_url)
    try:
        tables = {
            row["tablename"]
            for row in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = $1", pg_schema
            )
        }
    finally:
        await conn.close()
    assert {"replies", "outbound_messages", "windows", "rate_buckets", "outbox"} <= tables


async def test_serve_names_every_missing_setting() -> None:
    code, output = await run("serve", env={"PARLEY_DATABASE_URL": ""})
    assert code == 2
    assert "PARLEY_NATS_URL" in output and "FACEBOOK_APP_SECRET" in output
