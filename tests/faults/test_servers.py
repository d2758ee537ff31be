"""kill -9 of the NATS server or of PostgreSQL in the middle of a stream, then a start on the same
port and data: every service reconnects, nothing is lost, nothing is sent twice."""

from __future__ import annotations

import asyncio

import nats
import pytest

from .harness import FaultMesh
from .scenario import run
from .stream import Plan

pytestmark = pytest.mark.e2e

SERVER_PLAN = Plan(messages=400, buyers=100, rate=40.0)


async def stored_inbound(nats_url: str) -> int:
    """How many events the PARLEY_INBOUND stream holds."""
    nc = await nats.connect(nats_url, connect_timeout=5, max_reconnect_attempts=20)
    try:
        info = await nc.jetstream().stream_info("PARLEY_INBOUND")
        return int(info.state.messages)
    finally:
        await nc.close()


@pytest.mark.timeout(240)
async def test_a_nats_restart_mid_stream_keeps_the_streams_and_loses_no_reply(
    mesh: FaultMesh,
) -> None:
    kept: dict[str, int] = {}

    async def crash() -> None:
        server = mesh.server("nats")
        server.kill()
        port = server.port
        await asyncio.sleep(1.0)
        server.start()  # in the main thread: our servers stop when the thread that started ends
        kept["port"], kept["stored"] = port, await stored_inbound(mesh.stack.nats_url)

    before = await stored_inbound(mesh.stack.nats_url)
    result = await run(mesh, "kill -9 NATS", SERVER_PLAN, crash)
    assert not result.verdict.problems, result.failures()
    assert result.webhooks["given_up_events"] == 0
    assert kept["port"] == mesh.server("nats").port
    assert kept["stored"] >= before + SERVER_PLAN.messages // 2 - 50  # the store survived


@pytest.mark.timeout(240)
async def test_a_postgres_restart_mid_stream_loses_no_reply(mesh: FaultMesh) -> None:
    ports: list[int] = []

    async def crash() -> None:
        server = mesh.server("postgres")
        ports.append(server.port)
        server.kill()
        await asyncio.sleep(1.0)
        server.start()
        ports.append(server.port)

    result = await run(mesh, "kill -9 PostgreSQL", SERVER_PLAN, crash)
    # The ledger reads each conversation back from negotiation: what was stored before the
    # crash is still there (every buyer line of the stream is counted).
    assert not result.verdict.problems, result.failures()
    assert result.webhooks["given_up_events"] == 0
    assert ports[0] == ports[1]
