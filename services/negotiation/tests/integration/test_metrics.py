"""Negotiation's Prometheus metrics, scraped over HTTP: consumer lag of its durable consumers
and its outbox depth."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from parley_negotiation.bootstrap import build

from .conftest import Service

pytestmark = pytest.mark.integration


async def test_metrics_report_consumer_lag_and_outbox_depth(service: Service) -> None:
    negotiation = await build(replace(service.settings, metrics_port=0), clock=service.clock)
    await negotiation.start()
    try:
        assert negotiation.metrics_server is not None
        url = f"http://127.0.0.1:{negotiation.metrics_server.port}/metrics"
        async with httpx.AsyncClient() as client:
            response = await client.get(url)
    finally:
        await negotiation.stop(0)
    assert response.status_code == 200
    found = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
    settings = service.settings
    for stream, durable in (
        (settings.inbound_stream, settings.durable),
        (settings.tenants_stream, f"{settings.durable}-deletions"),
    ):
        labels = (("consumer", durable), ("stream", stream))
        assert found[("parley_jetstream_consumer_pending_messages", labels)] == 0
        assert ("parley_jetstream_consumer_ack_pending_messages", labels) in found
    assert found[("parley_outbox_unpublished_events", (("schema", settings.db.schema),))] == 0
