"""The gateway over real sockets against a real NATS JetStream."""

from __future__ import annotations

import asyncio
import string
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import nats
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from parley.events.v1.inbound_pb2 import InboundEvent
from parley_devstack.servers import NatsServer
from parley_gateway.bootstrap import build_app
from parley_gateway.settings import GatewaySettings
from parley_testkit import messenger as fb
from parley_testkit.asgi import serve_app

SECRET = "integration-app-secret"
pytestmark = pytest.mark.integration


@dataclass
class Gateway:
    url: str
    http: httpx.AsyncClient
    js: JetStreamContext
    stream: str
    prefix: str

    async def post(self, payload: dict[str, Any]) -> httpx.Response:
        body = fb.encode(payload)
        headers = {"X-Hub-Signature-256": fb.signature(SECRET, body)}
        return await self.http.post(f"{self.url}/webhook", content=body, headers=headers)

    async def stored(self) -> int:
        return int((await self.js.stream_info(self.stream)).state.messages)

    async def wait_ready(self, seconds: float = 10.0) -> None:
        for _ in range(int(seconds / 0.05)):
            if (await self.http.get(f"{self.url}/readyz")).status_code == 200:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("gateway never became ready")


def gateway_settings(nats_url: str, unique_id: str, timeout: float = 2.0) -> GatewaySettings:
    return GatewaySettings.from_env(
        {
            "FACEBOOK_APP_SECRET": SECRET,
            "FACEBOOK_VERIFY_TOKEN": "verify-me",
            "PARLEY_NATS_URL": nats_url,
            "PARLEY_INBOUND_STREAM": f"INBOUND_{unique_id}",
            "PARLEY_INBOUND_SUBJECT_PREFIX": f"t{unique_id}.inbound",
            "PARLEY_GATEWAY_PUBLISH_TIMEOUT_S": str(timeout),
        }
    )


@pytest.fixture
async def checker(nats_url: str) -> AsyncIterator[NATS]:
    nc = await nats.connect(nats_url)
    yield nc
    await nc.close()


@pytest.fixture
async def gateway(nats_url: str, unique_id: str, checker: NATS) -> AsyncIterator[Gateway]:
    settings = gateway_settings(nats_url, unique_id)
    async with serve_app(build_app(settings)) as url, httpx.AsyncClient(timeout=10) as http:
        gw = Gateway(url, http, checker.jetstream(), settings.stream, settings.subject_prefix)
        await gw.wait_ready()
        yield gw
    await checker.jetstream().delete_stream(settings.stream)


async def test_published_event_is_in_its_page_subject_with_trace_header(
    gateway: Gateway, spans: InMemorySpanExporter
) -> None:
    response = await gateway.post(fb.envelope(fb.text("m_int_1", "is it available?")))
    assert response.status_code == 200
    msg = await gateway.js.get_msg(gateway.stream, 1)
    assert msg.subject == f"{gateway.prefix}.{fb.PAGE}.message"
    assert msg.headers is not None
    assert msg.headers["Nats-Msg-Id"] == "message:m_int_1"
    event = InboundEvent.FromString(msg.data or b"")
    assert event.message.text == "is it available?"
    assert msg.headers["traceparent"] == event.trace_context.traceparent
    assert event.trace_context.traceparent.startswith("00-")
    server = next(s for s in spans.get_finished_spans() if s.name == "POST /webhook")
    assert server.context is not None
    assert event.trace_context.traceparent.split("-")[1] == f"{server.context.trace_id:032x}"


async def test_the_same_webhook_posted_twice_is_stored_once(gateway: Gateway) -> None:
    payload = fb.envelope(fb.text("m_dup", "hello"), fb.postback("GET_STARTED", "Start", ts=7))
    assert (await gateway.post(payload)).status_code == 200
    assert (await gateway.post(payload)).status_code == 200
    assert await gateway.stored() == 2
    metrics = (await gateway.http.get(f"{gateway.url}/metrics")).text
    assert "parley_gateway_events_duplicate_total 2.0" in metrics


async def test_two_hundred_concurrent_posts_all_land(gateway: Gateway) -> None:
    posts = [gateway.post(fb.envelope(fb.text(f"m_c{i}", str(i)))) for i in range(200)]
    responses = await asyncio.gather(*posts)
    assert [r.status_code for r in responses] == [200] * 200
    assert await gateway.stored() == 200


async def test_a_batch_of_a_thousand_events_lands_in_one_post(gateway: Gateway) -> None:
    payload = fb.envelope(*(fb.text(f"m_b{i}", f"offer {i}") for i in range(1000)))
    response = await gateway.post(payload)
    assert response.status_code == 200
    assert await gateway.stored() == 1000


async def test_bus_down_gives_503_and_nothing_acknowledged_is_lost(
    private_nats: NatsServer, unique_id: str
) -> None:
    settings = gateway_settings(private_nats.url, unique_id, timeout=0.5)
    async with serve_app(build_app(settings)) as url, httpx.AsyncClient(timeout=10) as http:
        nc = await nats.connect(
            private_nats.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2
        )
        gw = Gateway(url, http, nc.jetstream(), settings.stream, settings.subject_prefix)
        await gw.wait_ready()
        first = await gw.post(fb.envelope(fb.text("m_before", "before the outage")))
        assert first.status_code == 200
        private_nats.stop()
        during = fb.envelope(fb.text("m_during", "during the outage"))
        assert (await gw.post(during)).status_code == 503
        assert (await http.get(f"{url}/readyz")).status_code == 503
        private_nats.start()
        await gw.wait_ready(seconds=15)
        assert (await gw.post(during)).status_code == 200  # Facebook delivers again
        mids = set()
        for seq in range(1, await gw.stored() + 1):
            msg = await gw.js.get_msg(settings.stream, seq)
            mids.add(InboundEvent.FromString(msg.data or b"").message.mid)
        assert mids == {"m_before", "m_during"}
        await nc.close()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=15,
)
item_keys = st.sampled_from(["message", "postback", "delivery", "read", "sender", "timestamp"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    entries=st.lists(
        st.fixed_dictionaries(
            {"id": st.text(string.digits, min_size=1, max_size=12)},
            optional={"messaging": st.lists(st.dictionaries(item_keys, json_values), max_size=3)},
        ),
        max_size=3,
    )
)
async def test_arbitrary_signed_webhooks_never_get_a_5xx_with_the_bus_up(
    gateway: Gateway, entries: list[dict[str, Any]]
) -> None:
    response = await gateway.post({"object": "page", "entry": entries})
    assert response.status_code in {200, 400}
