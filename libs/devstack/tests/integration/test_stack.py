"""LocalStack: the configured servers when the environment names them, our own otherwise."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import nats
import pytest

from parley_devstack.servers import ServerStartError, server_tempdir
from parley_devstack.stack import LocalStack

pytestmark = pytest.mark.integration


@pytest.fixture
def data_dir() -> Iterator[Path]:
    with server_tempdir("parley-test-", in_memory=True) as path:
        yield path


def group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


async def test_starts_its_own_servers_when_no_url_is_set_and_stops_them_on_exit(
    data_dir: Path,
) -> None:
    with LocalStack(data_dir, env={}, fsync=False) as stack:
        assert stack.postgres is not None and stack.nats is not None
        pids = [stack.postgres.pid, stack.nats.pid]
        conn = await asyncpg.connect(stack.database_url)
        assert await conn.fetchval("SELECT current_database()") == "parley"
        await conn.close()
        nc = await nats.connect(stack.nats_url, max_reconnect_attempts=0)
        assert (await nc.jetstream().account_info()).streams == 0
        await nc.close()
    assert all(pid is not None and group_gone(pid) for pid in pids)
    assert (data_dir / "postgres" / "pgdata" / "PG_VERSION").exists()
    assert (data_dir / "nats" / "jetstream").is_dir()


def test_starts_nothing_and_passes_the_configured_urls_through(data_dir: Path) -> None:
    env = {
        "PARLEY_DATABASE_URL": "postgresql://app@db.example:5432/parley",
        "PARLEY_NATS_URL": "nats://bus.example:4222",
    }
    with LocalStack(data_dir, env=env) as stack:
        assert stack.postgres is None and stack.nats is None
        assert stack.env == env
    assert list(data_dir.iterdir()) == []


def test_starts_only_the_server_whose_url_is_missing(data_dir: Path) -> None:
    env = {"PARLEY_DATABASE_URL": "postgresql://app@db.example:5432/parley"}
    with LocalStack(data_dir, env=env) as stack:
        assert stack.postgres is None and stack.nats is not None and stack.nats.running
        assert stack.database_url == env["PARLEY_DATABASE_URL"]
        assert stack.nats_url == stack.nats.url
    assert not stack.nats.running


def test_a_failed_start_stops_what_already_started(data_dir: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        stack = LocalStack(data_dir, env={}, fsync=False, nats_port=busy.getsockname()[1])
        with pytest.raises(ServerStartError, match="nats-server"):
            stack.start()
    assert stack.postgres is not None and not stack.postgres.running
    assert "database system is shut down" in stack.postgres.log_path.read_text()
