"""Fault storms from the emulator: 5xx, 613, timeouts and 190 lose no reply and send none twice;
several instances share each Page's rate limit."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest

from parley.tenants.v1 import tenants_pb2 as tpb
from parley_emulator.testing import PAGE_ID, PSID

from .conftest import EXTRA_PSIDS, Stack, command, connect_pages

pytestmark = pytest.mark.integration


async def storm(stack: Stack, fault: dict[str, Any], buyers: int = 8, per_buyer: int = 2) -> None:
    """Replies to several buyers through a fault rule: each sent exactly once."""
    psids = EXTRA_PSIDS[:buyers]
    for psid in psids:
        await stack.buyer_says(psid=psid)
    await stack.op("POST", "/faults", json={"paths": ["messages"], "seed": 7, **fault})
    replies = [command(psid=psid) for psid in psids for _ in range(per_buyer)]
    for reply in replies:
        await stack.publish(reply)
    for reply in replies:
        assert (await stack.settled(reply.idempotency_key, timeout=30))["state"] == "sent"
    await stack.op("DELETE", "/faults")
    items = [item for psid in psids for item in await stack.sent(psid)]
    counts = Counter(str(item.get("metadata", "")).split(":")[1] for item in items)
    assert counts == {reply.idempotency_key: 1 for reply in replies}
    stats = await stack.op("GET", "/stats")
    assert stats["faults_injected"] >= min(fault["count"], 3)


async def test_a_5xx_storm_loses_nothing_and_sends_nothing_twice(stack: Stack) -> None:
    await storm(stack, {"kind": "5xx", "share": 0.5, "count": 20, "status": 503})


async def test_a_613_storm_backs_off_and_loses_nothing(stack: Stack) -> None:
    await storm(stack, {"kind": "613", "share": 0.5, "count": 20})


async def test_lost_answers_are_reconciled_from_echoes_never_sent_twice(stack: Stack) -> None:
    # The call takes effect but its answer never comes: only the echo tells it went out.
    await storm(stack, {"kind": "timeout", "process": True, "count": 3}, buyers=4)


async def test_timeouts_that_did_not_send_are_sent_once_after_the_echo_wait(stack: Stack) -> None:
    await storm(stack, {"kind": "timeout", "count": 3}, buyers=3)


async def test_an_invalid_token_is_reported_and_the_reply_waits_for_the_reconnection(
    stack: Stack,
) -> None:
    await stack.buyer_says()
    await stack.op("POST", "/faults", json={"kind": "190", "paths": ["messages"], "count": 1})
    reply = command()
    await stack.publish(reply)

    async def reported() -> bool:
        page = await stack.tenants_stub.GetPage(tpb.GetPageRequest(page_id=PAGE_ID))
        return bool(page.page.status == tpb.PAGE_STATUS_NEEDS_RECONNECT)

    await stack.until(reported, what="tenants to mark the Page")
    assert len(await stack.events("token_invalid")) == 1
    assert (
        await stack.pool.fetchval(
            "SELECT state FROM replies WHERE idempotency_key = $1", reply.idempotency_key
        )
    ) == "sending"
    assert await stack.sent() == []
    page = await stack.tenants_stub.GetPage(tpb.GetPageRequest(page_id=PAGE_ID))
    tenants_address = stack.settings.tenants_address
    await connect_pages(tenants_address, page.page.seller_id)
    assert (await stack.settled(reply.idempotency_key))["state"] == "sent"
    assert len(await stack.sent_for(reply.idempotency_key)) == 1


async def test_several_instances_share_each_pages_rate_limit(stack: Stack) -> None:
    rate = {"PARLEY_DELIVERY_PAGE_RATE": "20", "PARLEY_DELIVERY_PAGE_BURST": "5"}
    await stack.restart(**rate)
    await stack.start_delivery(**rate)
    await stack.op("POST", "/pages", json={"id": PAGE_ID, "send_rate": 24})
    psids = [PSID, *EXTRA_PSIDS[:9]]
    for psid in psids:
        await stack.buyer_says(psid=psid)
    replies = [command(psid=psid) for psid in psids for _ in range(4)]
    started = time.monotonic()
    for reply in replies:
        await stack.publish(reply)
    for reply in replies:
        assert (await stack.settled(reply.idempotency_key, timeout=20))["state"] == "sent"
    elapsed = time.monotonic() - started
    assert elapsed >= (len(replies) - 5) / 20 * 0.9
    assert "613" not in (await stack.op("GET", "/stats"))["errors_by_code"]
