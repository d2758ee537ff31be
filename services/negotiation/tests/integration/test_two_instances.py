"""Two negotiation instances on one durable consumer and one schema: no buyer message is
answered twice, none is lost, and no conversation loses an update. (Across instances a buyer's
later message can be handled first; the earlier one is then stored and not answered.)"""

from __future__ import annotations

import asyncio

import pytest

from parley.events.v1 import inbound_pb2 as inbound
from parley.negotiation.v1 import negotiation_pb2 as npb
from parley_negotiation.bootstrap import build

from .conftest import PAGE_ID, Service

pytestmark = pytest.mark.integration


async def test_two_instances_answer_each_message_once(service: Service) -> None:
    second = await build(service.settings, clock=service.clock)
    await second.start()
    try:
        buyers = [f"72{index:014d}" for index in range(6)]
        events = [
            service.event("message", sender=buyer, body=inbound.MessageReceived(text=text))
            for text in ("hi", "is it available?", "what's the mileage?")
            for buyer in buyers
        ]
        for event in events:
            await service.publish(event)
        async with asyncio.timeout(20):
            while await service.negotiation.pool.fetchval(
                "SELECT count(*) FROM transcript WHERE author = 'buyer'"
            ) < len(events):
                await asyncio.sleep(0.05)
        await service.settle(0)
        await asyncio.sleep(0.3)  # anything extra would have arrived by now
        commands = await service.all_replies()
    finally:
        await second.stop(0)
    answered = [c.in_reply_to_event_id for c in commands]
    assert len(answered) == len(set(answered)) and set(answered) <= {e.event_id for e in events}
    assert len(answered) >= len(buyers)  # at least every buyer's newest message
    stub = service.stub()
    for buyer in buyers:
        got = await stub.GetConversation(
            npb.GetConversationRequest(conversation_id=f"{PAGE_ID}-{buyer}")
        )
        authors = [line.author for line in got.conversation.transcript]
        mine = [c for c in commands if c.recipient_id == buyer]
        assert authors.count("buyer") == 3 and authors.count("bot") == len(mine) >= 1
