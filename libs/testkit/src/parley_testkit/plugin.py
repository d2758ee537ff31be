"""Pytest fixtures for real PostgreSQL and NATS JetStream, shared by every Parley package."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import nats
import pytest
from nats.aio.client import Client as NATS


@pytest.fixture(scope="session")
def database_url() -> str:
    """URL of a PostgreSQL database the tests may create schemas in."""
    url = os.environ.get("PARLEY_DATABASE_URL")
    if not url:
        raise RuntimeError("PARLEY_DATABASE_URL is not set")
    return url


@pytest.fixture(scope="session")
def nats_url() -> str:
    """URL of a NATS server with JetStream."""
    url = os.environ.get("PARLEY_NATS_URL")
    if not url:
        raise RuntimeError("PARLEY_NATS_URL is not set")
    return url


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
