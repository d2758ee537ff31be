"""Metrics scraped over HTTP: JetStream consumer lag per durable and outbox depth, read on each
scrape from real NATS and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from nats.aio.client import Client as NATS
from prometheus_client.parser import text_string_to_metric_families

from parley_kit import bus
from parley_kit.db import Pool, create_pool, unit_of_work
from parley_kit.metrics import MetricsServer, ServiceMetrics
from parley_kit.outbox import OUTBOX_DDL, add_event

pytestmark = pytest.mark.integration


@pytest.fixture
async def pool(database_url: str, pg_schema: str) -> AsyncIterator[Pool]:
    created = await create_pool(database_url, pg_schema, max_size=2)
    await created.execute(OUTBOX_DDL)
    try:
        yield created
    finally:
        await created.close()


@pytest.fixture
async def served() -> AsyncIterator[tuple[ServiceMetrics, str]]:
    metrics = ServiceMetrics("test")
    server = MetricsServer(metrics, "127.0.0.1", 0)
    port = await server.start()
    try:
        yield metrics, f"http://127.0.0.1:{port}"
    finally:
        await server.stop()


async def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_consumer_lag_per_durable_is_read_on_each_scrape(
    served: tuple[ServiceMetrics, str], nats_client: NATS, unique_id: str
) -> None:
    metrics, url = served
    js = nats_client.jetstream()
    stream, prefix = f"LAG_{unique_id.upper()}", f"t.lag.{unique_id}"
    await bus.ensure_stream(js, bus.StreamSpec(name=stream, subjects=(f"{prefix}.>",)))
    try:
        spec = bus.ConsumerSpec(stream=stream, durable="lagging")
        await bus.ensure_consumer(js, spec)
        metrics.watch_consumers(js, [(stream, "lagging"), (stream, "missing")])
        for n in range(5):
            await bus.publish(js, f"{prefix}.e", b"x", msg_id=f"m{n}")
        labels = (("consumer", "lagging"), ("stream", stream))
        found = await scrape(url)
        assert found[("parley_jetstream_consumer_pending_messages", labels)] == 5
        assert found[("parley_jetstream_consumer_ack_pending_messages", labels)] == 0
        sub = await js.pull_subscribe_bind(durable="lagging", stream=stream)
        msgs = await sub.fetch(3, timeout=2)
        await msgs[0].ack_sync()  # the server has the ack before we scrape
        found = await scrape(url)
        assert found[("parley_jetstream_consumer_pending_messages", labels)] == 2
        assert found[("parley_jetstream_consumer_ack_pending_messages", labels)] == 2
        missing = (("consumer", "missing"), ("stream", stream))
        assert ("parley_jetstream_consumer_pending_messages", missing) not in found
        assert found[("parley_metrics_refresh_failures_total", (("source", "jetstream"),))] >= 1
    finally:
        await js.delete_stream(stream)


async def test_outbox_depth_counts_unpublished_rows(
    served: tuple[ServiceMetrics, str], pool: Pool, pg_schema: str
) -> None:
    metrics, url = served
    metrics.watch_outbox(pool, pg_schema)
    labels = (("schema", pg_schema),)
    assert (await scrape(url))[("parley_outbox_unpublished_events", labels)] == 0
    async with unit_of_work(pool) as conn:
        for n in range(3):
            await add_event(conn, subject="t.e", payload=b"x", event_id=f"e{n}")
    await pool.execute("UPDATE outbox SET published_at = now() WHERE id = 'e0'")
    found = await scrape(url)
    assert found[("parley_outbox_unpublished_events", labels)] == 2
    assert found[("parley_outbox_oldest_unpublished_age_seconds", labels)] >= 0


async def test_only_get_metrics_is_served(served: tuple[ServiceMetrics, str]) -> None:
    _, url = served
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{url}/")).status_code == 404
        assert (await client.post(f"{url}/metrics")).status_code == 405
        head = await client.head(f"{url}/metrics")
        assert head.status_code == 200 and head.content == b""
        assert int(head.headers["content-length"]) > 0
