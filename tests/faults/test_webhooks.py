"""The same webhooks delivered twice and out of order: each buyer message is answered once, or
stored without an answer when a newer one of the buyer was answered already."""

from __future__ import annotations

import asyncio

import pytest

from .harness import FaultMesh
from .ledger import NEWER_ANSWERED
from .scenario import run
from .stream import Plan

pytestmark = pytest.mark.e2e

# Many buyers: every webhook POST may come twice (a share at random, and the next 40 surely).
TWICE_PLAN = Plan(messages=300, buyers=30, rate=30.0, fault_at=0.2)
# One buyer writing fast: a held-back POST is overtaken by the same buyer's next message.
REORDER_PLAN = Plan(messages=30, buyers=1, rate=4.0, fault_at=0.0)


@pytest.mark.timeout(180)
async def test_webhooks_delivered_twice_get_one_reply_each(mesh: FaultMesh) -> None:
    async def misbehave() -> None:
        await asyncio.to_thread(mesh.emulator_call, "PUT", "/config", {"duplicate_share": 0.3})
        await asyncio.to_thread(
            mesh.emulator_call, "POST", "/webhooks/misbehave", {"duplicate": 40}
        )
        await asyncio.sleep(6.0)
        await asyncio.to_thread(mesh.emulator_call, "PUT", "/config", {"duplicate_share": 0.0})

    try:
        result = await run(mesh, "webhooks delivered twice", TWICE_PLAN, misbehave)
    finally:
        mesh.emulator_call("PUT", "/config", {"duplicate_share": 0.0})
    assert not result.verdict.problems, result.failures()
    assert result.webhooks["duplicates_sent"] >= 40


@pytest.mark.timeout(120)
async def test_webhooks_out_of_order_answer_the_newest_message_and_store_the_older(
    mesh: FaultMesh,
) -> None:
    async def reorder() -> None:
        await asyncio.to_thread(mesh.emulator_call, "POST", "/webhooks/misbehave", {"reorder": 40})

    result = await run(mesh, "webhooks out of order", REORDER_PLAN, reorder)
    assert not result.verdict.problems, result.failures()
    # The reordering reached negotiation: older messages came after newer ones were answered.
    assert result.verdict.reasons[NEWER_ANSWERED] >= 1
