"""The shared fixtures: real PostgreSQL and NATS, isolated per test."""

from __future__ import annotations

import asyncio
import os
import socket

import asyncpg
import nats
import pytest
from nats.aio.client import Client as NATS

from parley_devstack.servers import NatsServer, PostgresServer
from parley_devstack.stack import LocalStack

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.integration


def refuses_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True


async def schema_exists(database_url: str, name: str) -> bool:
    conn = await asyncpg.connect(database_url)
    try:
        sql = "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)"
        return bool(await conn.fetchval(sql, name))
    finally:
        await conn.close()


def test_the_stack_uses_the_configured_urls_or_servers_of_its_own(
    parley_stack: LocalStack, database_url: str, nats_url: str
) -> None:
    for env, server, url in [
        ("PARLEY_DATABASE_URL", parley_stack.postgres, database_url),
        ("PARLEY_NATS_URL", parley_stack.nats, nats_url),
    ]:
        if os.environ.get(env):
            assert server is None and url == os.environ[env]
        else:
            assert server is not None and server.running and url == server.url


async def test_pg_schema_is_a_fresh_empty_schema_of_this_test(
    pg_schema: str, unique_id: str, database_url: str
) -> None:
    assert unique_id in pg_schema
    conn = await asyncpg.connect(database_url, server_settings={"search_path": pg_schema})
    try:
        sql = "SELECT count(*) FROM pg_tables WHERE schemaname = $1"
        assert await conn.fetchval(sql, pg_schema) == 0
        await conn.execute("CREATE TABLE notes (body text)")
        assert await conn.fetchval(sql, pg_schema) == 1
    finally:
        await conn.close()


INNER_INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""

INNER_TESTS = """
import pathlib

def record(name):
    with pathlib.Path("schemas.txt").open("a") as out:
        out.write(name + "\\n")

async def test_one(pg_schema):
    record(pg_schema)

async def test_two(pg_schema):
    record(pg_schema)
"""


def test_pg_schemas_differ_per_test_and_are_dropped_afterwards(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, parley_stack: LocalStack
) -> None:
    # The inner session uses this session's servers rather than starting its own.
    for name, value in parley_stack.env.items():
        monkeypatch.setenv(name, value)
    pytester.makeini(INNER_INI)
    pytester.makepyfile(test_inner=INNER_TESTS)
    pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-p", "no:hypothesispytest"
    ).assert_outcomes(passed=2)
    schemas = (pytester.path / "schemas.txt").read_text().split()
    assert len(set(schemas)) == 2
    for schema in schemas:
        assert not asyncio.run(schema_exists(parley_stack.database_url, schema))


async def test_nats_client_is_connected_with_jetstream(nats_client: NATS, unique_id: str) -> None:
    assert nats_client.is_connected
    inbox = await nats_client.subscribe(f"t.{unique_id}")
    await nats_client.publish(f"t.{unique_id}", b"hello")
    assert (await inbox.next_msg(timeout=2)).data == b"hello"
    await nats_client.jetstream().account_info()


async def test_private_nats_can_be_stopped_and_started_again(private_nats: NatsServer) -> None:
    nc = await nats.connect(private_nats.url, max_reconnect_attempts=0)
    await nc.jetstream().add_stream(name="NOTES", subjects=["notes"])
    await nc.close()
    private_nats.stop()
    assert refuses_connections(private_nats.port)
    private_nats.start()
    nc = await nats.connect(private_nats.url, max_reconnect_attempts=0)
    assert (await nc.jetstream().stream_info("NOTES")).config.name == "NOTES"
    await nc.close()


async def test_private_postgres_survives_a_kill(private_postgres: PostgresServer) -> None:
    conn = await asyncpg.connect(private_postgres.url)
    await conn.execute("CREATE TABLE notes (body text)")
    private_postgres.kill()
    conn.terminate()
    assert refuses_connections(private_postgres.port)
    private_postgres.start()
    conn = await asyncpg.connect(private_postgres.url)
    assert await conn.fetchval("SELECT count(*) FROM notes") == 0
    await conn.close()
