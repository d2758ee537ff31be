"""Pytest fixtures for real PostgreSQL and NATS JetStream, shared by every Parley package.

PARLEY_DATABASE_URL and PARLEY_NATS_URL, when set, name the servers to use; for each one
unset, the session starts its own (from pip-installed binaries) and stops it at the end.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import nats
import pytest
from nats.aio.client import Client as NATS

from parley_devstack.servers import NatsServer, PostgresServer, server_tempdir
from parley_devstack.stack import LocalStack
from parley_testkit.tracing import spans

# Fixtures defined elsewhere in the testkit, registered through this plugin.
__all__ = ["spans"]


@pytest.fixture(scope="session")
def parley_stack() -> Iterator[LocalStack]:
    """The session's PostgreSQL and NATS: the configured ones, or our own (fsync off)."""
    with (
        server_tempdir("parley-stack-", in_memory=True) as data_dir,
        LocalStack(data_dir, fsync=False) as stack,
    ):
        yield stack


@pytest.fixture(scope="session")
def database_url(parley_stack: LocalStack) -> str:
    """URL of a PostgreSQL database the tests may create schemas in."""
    return parley_stack.database_url


@pytest.fixture(scope="session")
def nats_url(parley_stack: LocalStack) -> str:
    """URL of a NATS server with JetStream."""
    return parley_stack.nats_url


@pytest.fixture
def unique_id() -> str:
    """A short token unique to this test, for schema, stream and subject names."""
    return uuid.uuid4().hex[:12]


@pytest.fixture
async def pg_schema(database_url: str, unique_id: str) -> AsyncIterator[str]:
    """A fresh, empty schema for one test, dropped afterwards."""
    name = f"t_{unique_id}"
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f'CREATE SCHEMA "{name}"')
        yield name
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        await conn.close()


@pytest.fixture
async def nats_client(nats_url: str) -> AsyncIterator[NATS]:
    """A connected NATS client, drained after the test."""
    nc = await nats.connect(nats_url, connect_timeout=5, max_reconnect_attempts=0)
    try:
        yield nc
    finally:
        await nc.drain()


@pytest.fixture
def private_nats(tmp_path: Path) -> Iterator[NatsServer]:
    """A NATS JetStream server of this test's own, which it may stop, kill and start again."""
    with NatsServer(tmp_path / "nats") as server:
        yield server


@pytest.fixture
def private_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test's own (under a second to start), fsync off."""
    # Not tmp_path: pytest makes its base 0700, which an unprivileged PostgreSQL cannot enter.
    with (
        server_tempdir("parley-pg-", in_memory=True) as data_dir,
        PostgresServer(data_dir, fsync=False) as server,
    ):
        yield server
