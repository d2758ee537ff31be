"""The mesh as `make run` starts it, driven only through its public faces."""

from __future__ import annotations

import asyncio
import signal
import socket
import time
from datetime import UTC, datetime, timedelta

import httpx
import nats
import pytest

from parley.analytics.v1 import analytics_pb2 as apb
from parley.analytics.v1.analytics_pb2_grpc import AnalyticsServiceStub
from parley.events.v1.inbound_pb2 import InboundEvent
from parley.events.v1.replies_pb2 import ReplyCommand
from parley.negotiation.v1 import negotiation_pb2 as npb
from parley.negotiation.v1.negotiation_pb2_grpc import NegotiationServiceStub
from parley_kit.grpc_client import open_channel

from .conftest import Mesh

pytestmark = pytest.mark.e2e


async def _stored_event(nats_url: str, subject: str, mid: str) -> InboundEvent:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for _ in range(100):
            try:
                msg = await js.get_last_msg("PARLEY_INBOUND", subject)
            except nats.js.errors.NotFoundError:
                await asyncio.sleep(0.1)
                continue
            event = InboundEvent.FromString(msg.data or b"")
            if event.message.mid == mid:
                return event
            await asyncio.sleep(0.1)
        raise AssertionError(f"no stored event for {mid} on {subject}")
    finally:
        await nc.close()


async def test_a_buyer_message_is_verified_and_stored(mesh: Mesh, nats_url: str) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        sent = await http.post(
            f"{mesh.emulator}/_emulator/buyers/{mesh.buyer}/messages",
            json={"page_id": mesh.page_id, "text": "is this still available?"},
        )
        assert sent.status_code == 200, sent.text
        mid = sent.json()["mid"]
        event = await _stored_event(nats_url, f"parley.inbound.{mesh.page_id}.message", mid)
        assert event.message.text == "is this still available?"
        assert event.sender_id == mesh.buyer
        assert event.trace_context.traceparent.startswith("00-")
        metrics = (await http.get(f"{mesh.gateway}/metrics")).text
        assert 'parley_gateway_webhook_requests_total{outcome="verified"} 1.0' in metrics


async def _reply_to(nats_url: str, page_id: str, event_id: str) -> ReplyCommand:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        sub = await js.subscribe(f"parley.replies.{page_id}", ordered_consumer=True)
        try:
            async with asyncio.timeout(20):
                while True:
                    msg = await sub.next_msg(timeout=20)
                    command = ReplyCommand.FromString(msg.data)
                    if command.in_reply_to_event_id == event_id:
                        return command
        finally:
            await sub.unsubscribe()
    finally:
        await nc.close()


async def test_a_buyer_s_offer_is_countered_above_the_floor_in_messenger(
    mesh: Mesh, nats_url: str
) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        opened = await http.post(
            f"{mesh.emulator}/_emulator/buyers/{mesh.buyer}/messages",
            json={"page_id": mesh.page_id, "text": "would you take 7500 for it?"},
        )
        assert opened.status_code == 200, opened.text
        mid = opened.json()["mid"]
    event = await _stored_event(nats_url, f"parley.inbound.{mesh.page_id}.message", mid)
    command = await _reply_to(nats_url, mesh.page_id, event.event_id)
    assert command.recipient_id == mesh.buyer and command.message.text
    assert command.seller_id and command.message.metadata.startswith("parley:")
    channel = open_channel(mesh.negotiation, caller_token=mesh.token("operator"))
    try:
        stub = NegotiationServiceStub(channel)
        request = npb.GetConversationRequest(conversation_id=command.conversation_id)
        conversation = (await stub.GetConversation(request)).conversation
    finally:
        await channel.close(None)
    assert conversation.last_offer_minor == 750_000 and conversation.agreed_price_minor == 0
    assert conversation.counters_minor and min(conversation.counters_minor) >= 760_000
    thread = f"{mesh.emulator}/_emulator/threads/{mesh.page_id}/{mesh.buyer}"
    async with httpx.AsyncClient(timeout=40) as http:
        seen: list[str] = []
        after = 0
        deadline = time.monotonic() + 40  # the demo seller's replies are human-paced
        while command.message.text not in seen and time.monotonic() < deadline:
            answer = (await http.get(thread, params={"after": after, "wait": 10})).json()
            after = answer["last_seq"]
            seen += [i.get("text") or "" for i in answer["items"] if i.get("direction") == "out"]
        await asyncio.sleep(1)  # a second copy would have arrived by now
        answer = (await http.get(thread, params={"after": after})).json()
        seen += [i.get("text") or "" for i in answer["items"] if i.get("direction") == "out"]
        assert seen.count(command.message.text) == 1, seen
    await _analytics_counted(mesh, conversation.page_id)


async def _analytics_counted(mesh: Mesh, page_id: str) -> None:
    """Analytics saw the conversation start, the offer, and the reply sent."""
    now = datetime.now(UTC)
    request = apb.GetReportRequest(page_id=page_id, bucket=apb.BUCKET_HOUR)
    request.start.FromDatetime(now - timedelta(hours=2))
    request.end.FromDatetime(now + timedelta(hours=1))
    channel = open_channel(mesh.analytics, caller_token=mesh.token("operator"))
    try:
        stub = AnalyticsServiceStub(channel)
        deadline = time.monotonic() + 20
        total = (await stub.GetReport(request)).total
        while time.monotonic() < deadline and not (total.replies_sent and total.offers_received):
            await asyncio.sleep(0.5)
            total = (await stub.GetReport(request)).total
    finally:
        await channel.close(None)
    assert total.conversations_started >= 1 and total.offers_received >= 1
    assert total.replies_sent >= 1 and total.first_responses >= 1


async def test_the_demo_page_was_connected_through_oauth(mesh: Mesh) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        pages = (await http.get(f"{mesh.emulator}/_emulator/pages")).json()["data"]
    (page,) = [p for p in pages if p["id"] == mesh.page_id]
    (fields,) = page["subscriptions"].values()
    assert {"messages", "messaging_postbacks", "standby", "messaging_handovers"} <= set(fields)


def test_ctrl_c_stops_every_process(mesh: Mesh) -> None:
    mesh.process.send_signal(signal.SIGINT)
    assert mesh.process.wait(30) == 0
    for url in (mesh.gateway, mesh.emulator):
        port = int(url.rsplit(":", 1)[1])
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"{url} still answers"


async def test_the_seller_signs_in_to_the_dashboard_with_the_printed_link(mesh: Mesh) -> None:
    [line] = [line for line in mesh.lines if "Seller dashboard" in line]
    link = line.split(": ", 1)[1].split()[0]
    assert link.startswith(f"{mesh.gateway}/dashboard/login/")
    async with httpx.AsyncClient(timeout=10) as http:
        confirm = await http.get(link)
        assert confirm.status_code == 200 and "Sign in" in confirm.text
        signed_in = await http.post(link, headers={"Origin": mesh.gateway})
        assert signed_in.status_code == 303, signed_in.text
        home = await http.get(f"{mesh.gateway}/dashboard")
        assert home.status_code == 200
        assert mesh.page_id in home.text
    async with httpx.AsyncClient(timeout=10) as stranger:  # no session cookie
        again = await stranger.get(f"{mesh.gateway}/dashboard")
    assert again.status_code in (302, 303, 307)
