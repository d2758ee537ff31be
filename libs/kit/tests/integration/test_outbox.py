"""The transactional outbox against real PostgreSQL and NATS JetStream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import nats
import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from parley_devstack.servers import NatsServer
from parley_kit import bus
from parley_kit.db import Pool, create_pool, unit_of_work
from parley_kit.outbox import OUTBOX_DDL, OutboxRelay, add_event, pending_events

pytestmark = pytest.mark.integration


@pytest.fixture
async def pool(database_url: str, pg_schema: str) -> AsyncIterator[Pool]:
    created = await create_pool(database_url, pg_schema, max_size=4)
    await created.execute(OUTBOX_DDL)
    try:
        yield created
    finally:
        await created.close()


async def make_stream(js: JetStreamContext, unique_id: str) -> str:
    """A stream for this test; its subject prefix."""
    prefix = f"t.outbox.{unique_id}"
    await bus.ensure_stream(
        js, bus.StreamSpec(name=f"OUTBOX_{unique_id.upper()}", subjects=(f"{prefix}.>",))
    )
    return prefix


async def stored(js: JetStreamContext, unique_id: str) -> list[tuple[str, bytes, str]]:
    """(subject, payload, Nats-Msg-Id) of every message in the test's stream, in order."""
    stream = f"OUTBOX_{unique_id.upper()}"
    info = await js.stream_info(stream)
    messages = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await js.get_msg(stream, seq)
        headers = msg.headers or {}
        messages.append((msg.subject or "", msg.data or b"", headers.get(bus.MSG_ID_HEADER, "")))
    return messages


async def write(pool: Pool, prefix: str, count: int, start: int = 0) -> list[str]:
    ids = []
    for n in range(start, start + count):
        async with unit_of_work(pool) as conn:
            ids.append(await add_event(conn, subject=f"{prefix}.e", payload=f"{n}".encode()))
    return ids


async def test_an_event_written_in_a_rolled_back_transaction_is_never_stored(
    pool: Pool, unique_id: str
) -> None:
    with pytest.raises(RuntimeError):
        async with unit_of_work(pool) as conn:
            await add_event(conn, subject="t.x", payload=b"lost")
            raise RuntimeError("the handler failed")
    assert await pending_events(pool) == []


async def test_the_relay_publishes_in_order_exactly_once_with_the_row_id_as_msg_id(
    pool: Pool, nats_client: NATS, unique_id: str
) -> None:
    js = nats_client.jetstream()
    prefix = await make_stream(js, unique_id)
    ids = await write(pool, prefix, 5)
    relay = OutboxRelay(pool, js)
    assert await relay.relay_once() == 5
    assert await relay.relay_once() == 0
    messages = await stored(js, unique_id)
    assert [payload for _, payload, _ in messages] == [b"0", b"1", b"2", b"3", b"4"]
    assert [msg_id for _, _, msg_id in messages] == ids
    assert await pending_events(pool) == []


async def test_a_row_published_again_after_a_crash_is_dropped_by_jetstream(
    pool: Pool, nats_client: NATS, unique_id: str
) -> None:
    js = nats_client.jetstream()
    prefix = await make_stream(js, unique_id)
    await write(pool, prefix, 2)
    relay = OutboxRelay(pool, js)
    await relay.relay_once()
    # A relay that died after publishing but before marking leaves the rows unpublished.
    await pool.execute("UPDATE outbox SET published_at = NULL")
    assert await relay.relay_once() == 2
    assert len(await stored(js, unique_id)) == 2


async def test_the_writer_s_trace_context_rides_with_the_event(
    pool: Pool, nats_client: NATS, unique_id: str, spans: InMemorySpanExporter
) -> None:
    js = nats_client.jetstream()
    prefix = await make_stream(js, unique_id)
    with trace.get_tracer("test").start_as_current_span("handler") as span:
        trace_id = format(span.get_span_context().trace_id, "032x")
        await write(pool, prefix, 1)
    await OutboxRelay(pool, js).relay_once()
    info = await js.stream_info(f"OUTBOX_{unique_id.upper()}")
    msg = await js.get_msg(f"OUTBOX_{unique_id.upper()}", info.state.last_seq)
    assert trace_id in (msg.headers or {})["traceparent"]
    publish = [s for s in spans.get_finished_spans() if s.name.endswith(" publish")]
    assert publish and publish[0].context.trace_id == int(trace_id, 16)


async def test_two_relays_share_the_work_without_reordering_or_duplicating(
    pool: Pool, nats_client: NATS, unique_id: str
) -> None:
    js = nats_client.jetstream()
    prefix = await make_stream(js, unique_id)
    await write(pool, prefix, 60)
    relays = [OutboxRelay(pool, js, batch_size=7, poll_interval_s=0.01) for _ in range(2)]
    tasks = [asyncio.create_task(relay.run()) for relay in relays]
    try:
        async with asyncio.timeout(10):
            while sum(relay.published for relay in relays) < 60:
                await asyncio.sleep(0.02)
    finally:
        for relay in relays:
            relay.stop()
        await asyncio.gather(*tasks)
    payloads = [payload for _, payload, _ in await stored(js, unique_id)]
    assert payloads == [f"{n}".encode() for n in range(60)]
    assert sum(relay.published for relay in relays) == 60


async def test_the_relay_survives_a_nats_outage_and_catches_up_in_order(
    pool: Pool, private_nats: NatsServer, unique_id: str
) -> None:
    nc = await bus.connect(private_nats.url, name="outbox-test")
    js = nc.jetstream()
    prefix = await make_stream(js, unique_id)
    relay = OutboxRelay(pool, js, poll_interval_s=0.05, publish_timeout_s=0.3, max_backoff_s=0.3)
    task = asyncio.create_task(relay.run())
    try:
        await write(pool, prefix, 2)
        await _until(lambda: relay.published == 2)
        await asyncio.to_thread(private_nats.stop)
        await write(pool, prefix, 3, start=2)
        await asyncio.sleep(0.5)
        assert relay.published == 2 and len(await pending_events(pool)) == 3
        await asyncio.to_thread(private_nats.start)
        await _until(lambda: relay.published == 5, timeout=15)
    finally:
        relay.stop()
        await task
    checker = await nats.connect(private_nats.url)
    try:
        payloads = [payload for _, payload, _ in await stored(checker.jetstream(), unique_id)]
    finally:
        await checker.close()
        await nc.close()
    assert payloads == [b"0", b"1", b"2", b"3", b"4"]


async def _until(done: object, timeout: float = 5.0) -> None:
    assert callable(done)
    async with asyncio.timeout(timeout):
        while not done():
            await asyncio.sleep(0.02)
