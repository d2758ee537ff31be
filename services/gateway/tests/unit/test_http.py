"""The webhook endpoints, driven in-process with a fake event store."""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from parley.events.v1.inbound_pb2 import InboundEvent
from parley_gateway.adapters.publisher import BusUnavailable
from parley_gateway.entrypoints.http import WebhookConfig, create_app
from parley_gateway.metrics import GatewayMetrics
from parley_testkit import messenger as fb

SECRET = "test-app-secret"
VERIFY = "test-verify-token"


class FakePublisher:
    """Stores events in memory; can be told the bus is down."""

    def __init__(self) -> None:
        self.events: list[InboundEvent] = []
        self.headers: list[Mapping[str, str]] = []
        self.up = True

    async def publish(self, events: Sequence[InboundEvent], headers: Mapping[str, str]) -> int:
        if not self.up:
            raise BusUnavailable("down")
        known = {e.event_id for e in self.events}
        self.events.extend(e for e in events if e.event_id not in known)
        self.headers.append(dict(headers))
        return sum(1 for e in events if e.event_id in known)

    async def ready(self) -> bool:
        return self.up


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def metrics() -> GatewayMetrics:
    return GatewayMetrics()


@pytest.fixture
async def client(publisher: FakePublisher, metrics: GatewayMetrics) -> Any:
    config = WebhookConfig(SECRET.encode(), VERIFY.encode(), max_body_bytes=1 << 20)
    app = create_app(config, publisher, metrics)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        yield http


async def post(client: httpx.AsyncClient, body: bytes, secret: str = SECRET) -> httpx.Response:
    headers = {"X-Hub-Signature-256": fb.signature(secret, body)}
    return await client.post("/webhook", content=body, headers=headers)


async def test_verification_echoes_the_challenge(client: httpx.AsyncClient) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
    response = await client.get("/webhook", params=params)
    assert response.status_code == 200
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY, "hub.challenge": "1"},
        {"hub_mode": "subscribe", "hub_verify_token": VERIFY, "hub_challenge": "1"},
        {},
    ],
)
async def test_verification_refuses_wrong_token_or_mode(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await client.get("/webhook", params=params)
    assert response.status_code == 403


async def test_signed_webhook_is_stored_and_acknowledged(
    client: httpx.AsyncClient, publisher: FakePublisher, spans: InMemorySpanExporter
) -> None:
    response = await post(client, fb.encode(fb.envelope(fb.text("m_1", "hi"))))
    assert response.status_code == 200
    assert response.text == "EVENT_RECEIVED"
    assert [e.event_id for e in publisher.events] == ["message:m_1"]
    (event,) = publisher.events
    assert event.trace_context.traceparent.startswith("00-")
    assert publisher.headers[0]["traceparent"] == event.trace_context.traceparent
    (server_span,) = spans.get_finished_spans()
    assert server_span.name == "POST /webhook"
    assert server_span.context is not None
    assert event.trace_context.traceparent.split("-")[1] == f"{server_span.context.trace_id:032x}"


async def test_forged_signature_is_refused_and_nothing_stored(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    response = await post(client, fb.encode(fb.envelope(fb.text("m_1", "hi"))), "forged")
    assert response.status_code == 403
    assert publisher.events == []


async def test_missing_signature_is_refused(client: httpx.AsyncClient) -> None:
    body = fb.encode(fb.envelope(fb.text("m_1", "hi")))
    response = await client.post("/webhook", content=body)
    assert response.status_code == 403


async def test_body_over_one_mebibyte_is_refused(client: httpx.AsyncClient) -> None:
    body = b"{" + b" " * (1 << 20) + b"}"
    response = await post(client, body)
    assert response.status_code == 413


async def test_large_real_payload_under_the_cap_is_accepted(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    items = [fb.text(f"m_{i}", "x" * 400) for i in range(1000)]
    body = fb.encode(fb.envelope(*items))
    assert 300_000 < len(body) < 1 << 20
    response = await post(client, body)
    assert response.status_code == 200
    assert len(publisher.events) == 1000


@pytest.mark.parametrize(
    "body", [b"not json", b'{"object": "page", "entry": 5}', b"\xff\xfe", b"[" * 100_000]
)
async def test_malformed_bodies_get_400(client: httpx.AsyncClient, body: bytes) -> None:
    response = await post(client, body)
    assert response.status_code == 400


async def test_other_objects_are_acknowledged_and_ignored(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    response = await post(client, b'{"object":"user","entry":[{"id":"1"}]}')
    assert response.status_code == 200
    assert publisher.events == []


async def test_bus_down_answers_503_so_facebook_retries(
    client: httpx.AsyncClient, publisher: FakePublisher, metrics: GatewayMetrics
) -> None:
    publisher.up = False
    body = fb.encode(fb.envelope(fb.text("m_1", "hi")))
    assert (await post(client, body)).status_code == 503
    assert (await client.get("/readyz")).status_code == 503
    publisher.up = True
    assert (await post(client, body)).status_code == 200
    assert [e.event_id for e in publisher.events] == ["message:m_1"]
    assert b'outcome="bus_unavailable"} 1.0' in metrics.render()


async def test_unusable_items_are_skipped_and_the_rest_stored(
    client: httpx.AsyncClient, publisher: FakePublisher, metrics: GatewayMetrics
) -> None:
    bad = {"sender": {"id": "1"}, "recipient": {"id": "2"}, "message": {"text": "no mid"}}
    body = fb.encode(fb.envelope(bad, fb.text("m_ok", "fine")))
    assert (await post(client, body)).status_code == 200
    assert [e.event_id for e in publisher.events] == ["message:m_ok"]
    assert b'parley_gateway_events_skipped_total{reason="unusable"} 1.0' in metrics.render()


async def test_health_and_metrics(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).text == "ok"
    assert (await client.get("/readyz")).status_code == 200
    await post(client, fb.encode(fb.envelope(fb.text("m_1", "hi"))))
    text = (await client.get("/metrics")).text
    assert 'parley_gateway_webhook_requests_total{outcome="accepted"} 1.0' in text
    assert 'parley_gateway_events_published_total{kind="message"} 1.0' in text
    assert "parley_gateway_publish_seconds_bucket" in text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=25,
)
keys = st.sampled_from(
    [
        "message",
        "postback",
        "referral",
        "delivery",
        "read",
        "reaction",
        "message_edit",
        "pass_thread_control",
        "take_thread_control",
        "request_thread_control",
        "optin",
        "policy-enforcement",
        "sender",
        "recipient",
        "timestamp",
        "mid",
        "text",
        "is_echo",
    ]
)
items = st.dictionaries(keys | st.text(max_size=8), json_values, max_size=6)
webhooks = st.fixed_dictionaries(
    {
        "object": st.sampled_from(["page", "user", 5]),
        "entry": st.lists(
            st.fixed_dictionaries(
                {"id": st.integers(0, 10**15) | st.text(string.digits, min_size=1, max_size=15)},
                optional={
                    "messaging": st.lists(items, max_size=4),
                    "standby": st.lists(items, max_size=2),
                    "changes": st.lists(items, max_size=2),
                    "time": json_values,
                },
            ),
            max_size=3,
        ),
    },
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=webhooks)
async def test_any_signed_webhook_shape_never_gets_a_5xx(
    client: httpx.AsyncClient, payload: dict[str, Any]
) -> None:
    response = await post(client, fb.encode(payload))
    assert response.status_code in {200, 400}


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.binary(max_size=2000),
    headers=st.dictionaries(
        st.sampled_from(
            ["x-hub-signature-256", "content-type", "x-hub-signature", "content-encoding"]
        ),
        st.text(string.printable.strip(), max_size=80),
        max_size=4,
    ),
)
async def test_arbitrary_bodies_and_headers_never_get_a_5xx(
    client: httpx.AsyncClient, body: bytes, headers: dict[str, str]
) -> None:
    signed = {**headers}
    if "x-hub-signature-256" not in signed:
        signed["x-hub-signature-256"] = fb.signature(SECRET, body)
    response = await client.post("/webhook", content=body, headers=signed)
    assert response.status_code < 500
