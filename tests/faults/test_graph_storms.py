"""Graph API storms from the emulator mid-stream (5xx, 613, calls that hang past delivery's
timeout, with and without the send taking effect): no reply lost, none sent twice."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from .harness import FaultMesh
from .scenario import run
from .stream import Plan

pytestmark = pytest.mark.e2e

STORM_PLAN = Plan(messages=240, buyers=60, rate=30.0, fault_at=0.3)
STORMS: dict[str, dict[str, Any]] = {
    "5xx": {"kind": "5xx", "share": 0.5, "duration_s": 4, "status": 503},
    "613": {"kind": "613", "share": 0.5, "duration_s": 4},
    # Delivery gives a call up after FACEBOOK_GRAPH_TIMEOUT_S (2 s here); the emulator hangs 5.
    "timeout": {"kind": "timeout", "share": 0.3, "duration_s": 4, "hang_s": 5},
    # The hard case: the message went out but the answer never came; only its echo tells.
    "timeout after the send": {
        "kind": "timeout",
        "share": 0.3,
        "duration_s": 4,
        "hang_s": 5,
        "process": True,
    },
}


@pytest.mark.timeout(180)
@pytest.mark.parametrize("storm", list(STORMS))
async def test_a_graph_storm_loses_no_reply_and_sends_none_twice(
    mesh: FaultMesh, storm: str
) -> None:
    rule = {"paths": ["messages"], "seed": 11, **STORMS[storm]}
    injected: list[int] = []

    async def fault() -> None:
        added = await asyncio.to_thread(mesh.emulator_call, "POST", "/faults", rule)
        await asyncio.sleep(float(rule["duration_s"]) + 0.5)
        injected.append(int(added["id"]))

    before = mesh.emulator_call("GET", "/stats")["faults_injected"]
    result = await run(mesh, f"Graph {storm} storm", STORM_PLAN, fault)
    assert not result.verdict.problems, result.failures()
    assert result.verdict.duplicates == 0
    assert mesh.emulator_call("GET", "/stats")["faults_injected"] > before
