"""Delivery's Prometheus metrics, scraped over HTTP: send latency, replies by outcome, consumer
lag of its durable consumers and its outbox depth."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from .conftest import Stack, command

pytestmark = pytest.mark.integration


async def scrape(stack: Stack) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    server = stack.delivery.metrics_server
    assert server is not None
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{server.port}/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


async def test_metrics_report_send_latency_outcomes_lag_and_outbox(stack: Stack) -> None:
    await stack.restart(PARLEY_METRICS_PORT="0")
    await stack.buyer_says()
    # The first call is rate limited (613): one error of class rate_limited, then it goes out.
    await stack.op("POST", "/faults", json={"kind": "613", "paths": ["messages"], "count": 1})
    reply = command()
    await stack.publish(reply)
    assert (await stack.settled(reply.idempotency_key))["state"] == "sent"
    found = await scrape(stack)
    assert found[("parley_delivery_send_errors_total", (("class", "rate_limited"),))] == 1
    author = (("author", "bot"),)
    assert found[("parley_delivery_send_latency_seconds_count", author)] == 1
    assert found[("parley_delivery_send_latency_seconds_bucket", (*author, ("le", "+Inf")))] == 1
    assert found[("parley_delivery_replies_total", (("outcome", "sent"),))] == 1
    streams = stack.settings.streams
    for stream, durable in (
        (streams.replies, "delivery-replies"),
        (streams.inbound, "delivery-inbound"),
    ):
        labels = (("consumer", durable), ("stream", stream))
        assert ("parley_jetstream_consumer_pending_messages", labels) in found
        assert ("parley_jetstream_consumer_ack_pending_messages", labels) in found
    schema = (("schema", stack.settings.db.schema),)
    assert ("parley_outbox_unpublished_events", schema) in found
