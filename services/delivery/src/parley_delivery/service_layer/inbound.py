"""Inbound events applied in batches: windows, echoes, statuses, comments, policy blocks."""

from __future__ import annotations

from collections.abc import Sequence

from parley_delivery.adapters import inbound_repo
from parley_delivery.domain.inbound import (
    BuyerAction,
    Comment,
    Echo,
    Fact,
    PolicyChange,
    Receipt,
    window_updates,
)
from parley_delivery.service_layer.unit import Deps
from parley_kit.db import unit_of_work


async def apply_facts(deps: Deps, facts: Sequence[Fact]) -> None:
    """Apply a batch in one transaction (idempotent: a redelivered batch changes nothing),
    then wake the replies that wait in conversations where the buyer wrote again."""
    actions = [f for f in facts if isinstance(f, BuyerAction)]
    async with unit_of_work(deps.pool) as conn:
        await inbound_repo.upsert_windows(conn, window_updates(actions))
        await inbound_repo.insert_echoes(conn, [f for f in facts if isinstance(f, Echo)])
        await inbound_repo.apply_receipts(conn, [f for f in facts if isinstance(f, Receipt)])
        await inbound_repo.upsert_comments(conn, [f for f in facts if isinstance(f, Comment)])
        changes = sorted((f for f in facts if isinstance(f, PolicyChange)), key=lambda c: c.at)
        await inbound_repo.apply_policy(conn, changes)
    for action in actions:
        if action.turn:
            deps.waiters.nudge(action.page_id, action.psid)
