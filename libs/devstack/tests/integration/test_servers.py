"""Our own PostgreSQL and NATS, as on a fresh machine: start, serve, restart, survive a kill -9."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import nats
import pytest

from parley_devstack._process import RunAs, unreachable_dir
from parley_devstack.servers import NatsServer, PortInUseError, PostgresServer, server_tempdir

pytestmark = pytest.mark.integration


@pytest.fixture
def data_dir() -> Iterator[Path]:
    with server_tempdir("parley-test-", in_memory=True) as path:
        yield path


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


async def fetch_notes(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        return [row["body"] for row in await conn.fetch("SELECT body FROM notes ORDER BY id")]
    finally:
        await conn.close()


async def test_postgres_serves_the_parley_database_and_keeps_data_across_restarts(
    data_dir: Path,
) -> None:
    with PostgresServer(data_dir, fsync=False) as server:
        assert server.url == f"postgresql://postgres@127.0.0.1:{server.port}/parley"
        conn = await asyncpg.connect(server.url)
        assert await conn.fetchval("SELECT current_database()") == "parley"
        await conn.execute("CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)")
        await conn.execute("INSERT INTO notes (body) VALUES ('before stop')")
        await conn.close()

        port, first_pid = server.port, server.pid
        server.stop()
        assert not server.running
        assert first_pid is not None and group_gone(first_pid)

        server.start()
        assert server.port == port
        assert await fetch_notes(server.url) == ["before stop"]

        conn = await asyncpg.connect(server.url)
        await conn.execute("INSERT INTO notes (body) VALUES ('before kill')")
        killed_pid = server.pid
        server.kill()
        conn.terminate()
        assert killed_pid is not None and group_gone(killed_pid)

        server.start()
        assert await fetch_notes(server.url) == ["before stop", "before kill"]
    assert not server.running
    assert "database system is ready to accept connections" in server.log_path.read_text()


async def test_nats_jetstream_keeps_messages_across_restart_and_kill(data_dir: Path) -> None:
    with NatsServer(data_dir) as server:
        assert server.url == f"nats://127.0.0.1:{server.port}"
        nc = await nats.connect(server.url, max_reconnect_attempts=0)
        js = nc.jetstream()
        await js.add_stream(name="NOTES", subjects=["notes.>"])
        await js.publish("notes.a", b"before stop")
        await nc.close()

        server.stop()
        server.start()
        nc = await nats.connect(server.url, max_reconnect_attempts=0)
        await nc.jetstream().publish("notes.b", b"before kill")
        await nc.close()

        killed_pid = server.pid
        server.kill()
        assert killed_pid is not None and group_gone(killed_pid)
        server.start()
        nc = await nats.connect(server.url, max_reconnect_attempts=0)
        js = nc.jetstream()
        stored = [(await js.get_msg("NOTES", seq)).data for seq in (1, 2)]
        await nc.close()
    assert stored == [b"before stop", b"before kill"]
    assert not server.running


def test_nats_on_a_busy_port_fails_with_its_log(data_dir: Path, busy_port: int) -> None:
    server = NatsServer(data_dir, port=busy_port)
    with pytest.raises(PortInUseError, match="(?s)exited with code.*address already in use"):
        server.start()
    assert not server.running


def test_postgres_on_a_busy_port_fails_with_its_log(data_dir: Path, busy_port: int) -> None:
    server = PostgresServer(data_dir, port=busy_port, fsync=False)
    with pytest.raises(PortInUseError, match="(?s)exited with code.*could not bind"):
        server.start()
    assert not server.running


def test_a_port_we_chose_moves_if_taken_before_the_first_start(
    data_dir: Path, busy_port: int
) -> None:
    server = NatsServer(data_dir)
    server.port = busy_port  # as if another process bound it between choice and start
    with server:
        assert server.running and server.port != busy_port
        port = server.port
        server.kill()
        server.start()
        assert server.port == port


def test_a_closed_directory_on_the_way_is_reported(data_dir: Path) -> None:
    closed = data_dir / "closed"
    (closed / "data").mkdir(parents=True)
    closed.chmod(0o700)
    stranger = RunAs(name="stranger", uid=os.getuid() + 4242, gid=os.getgid() + 4242)
    assert unreachable_dir(closed / "data", stranger) == closed
    closed.chmod(0o711)
    assert unreachable_dir(closed / "data", stranger) is None
