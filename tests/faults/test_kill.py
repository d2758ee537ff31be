"""kill -9 of each service in the middle of a stream of buyer messages, then a restart: every
accepted message gets one reply (or a recorded reason), none gets two."""

from __future__ import annotations

import asyncio

import pytest

from .harness import SERVICES, FaultMesh
from .ledger import analytics_agrees
from .scenario import run
from .stream import Plan

pytestmark = pytest.mark.e2e

KILL_PLAN = Plan(messages=400, buyers=100, rate=40.0)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_killed_mid_stream_loses_no_reply_and_sends_none_twice(
    mesh: FaultMesh, service: str
) -> None:
    async def crash() -> None:
        mesh.kill(service)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(mesh.restart, service)

    result = await run(mesh, f"kill -9 {service}", KILL_PLAN, crash)
    assert not result.verdict.problems, result.failures()
    assert result.webhooks["given_up_events"] == 0
    if service == "analytics":
        # Events it was handling when killed come again (after JetStream's ack wait): each
        # reply is still counted once.
        counted, sent = await analytics_agrees(mesh, timeout=60)
        assert counted == sent, f"analytics counts {counted} replies sent, delivery {sent}"
