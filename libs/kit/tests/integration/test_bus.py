"""JetStream helpers and the consume loop, against a real NATS server."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

import pytest
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, RawStreamMsg
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from parley_kit import bus
from parley_kit.bus import Consumer, ConsumerSpec, PoisonMessage, StreamSpec, TransientError

pytestmark = pytest.mark.integration

Handler = Callable[[Msg], Awaitable[None]]


@dataclass(frozen=True)
class World:
    """A stream, a dead-letter stream and a consumer spec, all named for one test."""

    js: JetStreamContext
    stream: StreamSpec
    consumer: ConsumerSpec
    dlq_stream: str
    subject_prefix: str

    def subject(self, key: str) -> str:
        return f"{self.subject_prefix}.{key}"


@pytest.fixture
async def world(nats_client: NATS, unique_id: str) -> AsyncIterator[World]:
    js = nats_client.jetstream()
    stream = StreamSpec(name=f"T_{unique_id}", subjects=(f"t.{unique_id}.>",))
    dlq_prefix = f"dlq.{unique_id}"
    consumer = ConsumerSpec(
        stream=stream.name,
        durable="worker",
        ack_wait_s=2.0,
        max_deliver=4,
        retry_delays_s=(0.1, 0.2),
        dead_letter_prefix=dlq_prefix,
    )
    created = [stream.name, f"DLQ_{unique_id.upper()}"]
    await bus.ensure_stream(js, stream)
    await bus.ensure_dead_letter_stream(js, dlq_prefix)
    try:
        yield World(js, stream, consumer, created[1], f"t.{unique_id}")
    finally:
        for name in created:
            await js.delete_stream(name)


@asynccontextmanager
async def running(*consumers: Consumer) -> AsyncIterator[list[asyncio.Task[None]]]:
    """Run consumers in the background; stop them and wait for run() to return afterwards."""
    tasks = [asyncio.create_task(consumer.run()) for consumer in consumers]
    try:
        yield tasks
    finally:
        for consumer in consumers:
            consumer.stop()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)


async def start(world: World, handler: Handler, spec: ConsumerSpec | None = None) -> Consumer:
    spec = spec or world.consumer
    await bus.ensure_consumer(world.js, spec)
    return Consumer(world.js, spec, handler, fetch_timeout_s=0.2)


async def publish_all(world: World, *items: tuple[str, bytes]) -> None:
    for index, (key, payload) in enumerate(items):
        await bus.publish(world.js, world.subject(key), payload, msg_id=f"m{index}")


async def settled(world: World, spec: ConsumerSpec | None = None, count: int = 1) -> None:
    """Wait until `count` messages are acked or terminated and none is pending."""
    spec = spec or world.consumer
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        info = await world.js.consumer_info(spec.stream, spec.durable)
        if info.num_ack_pending == 0 and (info.ack_floor.stream_seq or 0) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not settled: {info}")


async def dead_letters(world: World, spec: ConsumerSpec | None = None) -> list[RawStreamMsg]:
    spec = spec or world.consumer
    info = await world.js.stream_info(world.dlq_stream)
    found: list[RawStreamMsg] = []
    if not info.state.messages:
        return found
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await world.js.get_msg(world.dlq_stream, seq)
        if msg.subject == spec.dead_letter_subject:
            found.append(msg)
    return found


# Streams and consumers


async def test_ensure_stream_creates_then_updates_idempotently(world: World) -> None:
    js, spec = world.js, world.stream
    info = await js.stream_info(spec.name)
    assert info.config.subjects == list(spec.subjects)
    assert info.config.duplicate_window == spec.duplicate_window_s
    assert info.config.max_age == spec.max_age_s
    await bus.publish(js, world.subject("a"), b"kept", msg_id="kept")

    await bus.ensure_stream(js, spec)
    wider = replace(spec, subjects=(*spec.subjects, f"u.{spec.name}.>"), max_age_s=3600.0)
    await bus.ensure_stream(js, wider)
    await bus.ensure_stream(js, wider)

    info = await js.stream_info(spec.name)
    assert info.config.subjects == list(wider.subjects)
    assert info.config.max_age == 3600.0
    assert info.state.messages == 1


async def test_the_dead_letter_stream_catches_every_dead_letter_subject(world: World) -> None:
    info = await world.js.stream_info(world.dlq_stream)
    prefix = world.consumer.dead_letter_prefix
    assert info.config.subjects == [f"{prefix}.>"]
    assert world.consumer.dead_letter_subject == f"{prefix}.{world.stream.name}.worker"
    assert ConsumerSpec(stream="ORDERS", durable="pricing").dead_letter_subject == (
        "parley.dlq.ORDERS.pricing"
    )


async def test_ensure_consumer_creates_an_explicit_ack_durable_and_can_rerun(
    world: World,
) -> None:
    spec = replace(world.consumer, filter_subjects=(world.subject("a"),))
    await bus.ensure_consumer(world.js, spec)
    await bus.ensure_consumer(world.js, replace(spec, max_ack_pending=10))
    info = await world.js.consumer_info(spec.stream, spec.durable)
    assert info.config.durable_name == "worker"
    assert info.config.ack_policy == AckPolicy.EXPLICIT
    assert info.config.ack_wait == spec.ack_wait_s
    assert info.config.filter_subject == world.subject("a")
    assert info.config.max_ack_pending == 10


def test_retry_delays_grow_with_deliveries_and_stay_at_the_last() -> None:
    spec = ConsumerSpec(stream="S", durable="d", retry_delays_s=(0.5, 1.0, 2.0))
    assert [spec.retry_delay(n) for n in (0, 1, 2, 3, 4, 99)] == [0.5, 0.5, 1.0, 2.0, 2.0, 2.0]


# Publishing


async def test_the_same_msg_id_is_stored_once(world: World) -> None:
    first = await bus.publish(world.js, world.subject("a"), b"one", msg_id="offer-1")
    again = await bus.publish(world.js, world.subject("a"), b"one", msg_id="offer-1")
    other = await bus.publish(world.js, world.subject("a"), b"two", msg_id="offer-2")
    assert not first.duplicate
    assert again.duplicate
    assert again.seq == first.seq
    assert not other.duplicate
    assert other.seq == first.seq + 1
    info = await world.js.stream_info(world.stream.name)
    assert info.state.messages == 2


async def test_publish_carries_the_msg_id_and_the_current_trace_context(
    world: World, spans: InMemorySpanExporter
) -> None:
    with trace.get_tracer(__name__).start_as_current_span("send") as span:
        ack = await bus.publish(
            world.js, world.subject("a"), b"x", msg_id="m-1", headers={"Parley-Tenant": "t1"}
        )
    stored = await world.js.get_msg(world.stream.name, ack.seq)
    headers = stored.headers or {}
    assert headers[bus.MSG_ID_HEADER] == "m-1"
    assert headers["Parley-Tenant"] == "t1"
    context = span.get_span_context()
    trace_id, span_id = format(context.trace_id, "032x"), format(context.span_id, "016x")
    assert headers["traceparent"].split("-")[1:3] == [trace_id, span_id]


async def test_a_traceparent_given_by_the_caller_is_kept(
    world: World, spans: InMemorySpanExporter
) -> None:
    given = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    with trace.get_tracer(__name__).start_as_current_span("send"):
        ack = await bus.publish(
            world.js, world.subject("a"), b"x", msg_id="m-1", headers={"traceparent": given}
        )
    stored = await world.js.get_msg(world.stream.name, ack.seq)
    assert (stored.headers or {})["traceparent"] == given


# The consume loop


async def test_successful_messages_are_acked_once(world: World) -> None:
    seen: list[bytes] = []

    async def handler(msg: Msg) -> None:
        seen.append(msg.data)

    await publish_all(world, *[("a", f"p{n}".encode()) for n in range(5)])
    consumer = await start(world, handler)
    async with running(consumer):
        await settled(world, count=5)
    assert seen == [b"p0", b"p1", b"p2", b"p3", b"p4"]
    info = await world.js.consumer_info(world.stream.name, "worker")
    assert info.num_redelivered == 0
    assert info.num_pending == 0


async def test_a_failing_message_is_redelivered_after_the_delay_until_it_succeeds(
    world: World,
) -> None:
    attempts: list[tuple[int, float]] = []

    async def handler(msg: Msg) -> None:
        attempts.append((msg.metadata.num_delivered or 0, time.monotonic()))
        if len(attempts) < 3:
            raise TransientError("database busy")

    await publish_all(world, ("a", b"flaky"))
    consumer = await start(world, handler)
    async with running(consumer):
        await settled(world)
    assert [delivered for delivered, _ in attempts] == [1, 2, 3]
    gaps = [later - earlier for (_, earlier), (_, later) in itertools.pairwise(attempts)]
    assert gaps[0] >= 0.1 * 0.9
    assert gaps[1] >= 0.2 * 0.9
    assert await dead_letters(world) == []


async def test_an_unexpected_error_is_retried_too(world: World) -> None:
    calls = 0

    async def handler(msg: Msg) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise KeyError("bug on first try")

    await publish_all(world, ("a", b"x"))
    async with running(await start(world, handler)):
        await settled(world)
    assert calls == 2


async def test_a_poison_message_is_dead_lettered_at_once_and_not_redelivered(
    world: World,
) -> None:
    calls: list[bytes] = []

    async def handler(msg: Msg) -> None:
        calls.append(msg.data)
        if msg.data == b"garbage":
            raise PoisonMessage("cannot parse offer")

    await publish_all(world, ("a", b"garbage"), ("a", b"fine"))
    async with running(await start(world, handler)):
        await settled(world, count=2)
        await asyncio.sleep(0.3)  # longer than any retry delay: a redelivery would show
    assert calls == [b"garbage", b"fine"]
    [letter] = await dead_letters(world)
    assert letter.data == b"garbage"
    headers = letter.headers or {}
    assert headers["Parley-Reason"] == "poison: cannot parse offer"
    assert headers["Parley-Original-Subject"] == world.subject("a")
    assert headers["Parley-Original-Stream"] == world.stream.name
    assert headers["Parley-Original-Sequence"] == "1"
    info = await world.js.consumer_info(world.stream.name, "worker")
    assert info.num_redelivered == 0


async def test_a_message_is_dead_lettered_after_max_deliver_failures(world: World) -> None:
    deliveries: list[int] = []

    async def handler(msg: Msg) -> None:
        deliveries.append(msg.metadata.num_delivered or 0)
        raise TransientError("still down")

    spec = replace(world.consumer, max_deliver=3, retry_delays_s=(0.05,))
    await publish_all(world, ("a", b"doomed"))
    async with running(await start(world, handler, spec)):
        await settled(world)
        await asyncio.sleep(0.2)
    assert deliveries == [1, 2, 3]
    [letter] = await dead_letters(world)
    assert letter.data == b"doomed"
    reason = (letter.headers or {})["Parley-Reason"]
    assert reason.startswith("gave up after 3 deliveries: TransientError('still down')")


async def test_dead_letter_reasons_stay_on_one_header_line(world: World) -> None:
    async def handler(msg: Msg) -> None:
        raise PoisonMessage("line one\r\nline two\nline three")

    await publish_all(world, ("a", b"x"))
    async with running(await start(world, handler)):
        await settled(world)
    [letter] = await dead_letters(world)
    assert (letter.headers or {})["Parley-Reason"] == "poison: line one line two line three"


async def test_dead_letters_of_same_named_durables_on_two_streams_are_both_kept(
    world: World,
) -> None:
    other = replace(
        world.stream, name=f"{world.stream.name}_B", subjects=(f"b.{world.subject_prefix}.>",)
    )
    await bus.ensure_stream(world.js, other)
    try:
        other_spec = replace(world.consumer, stream=other.name)

        async def handler(msg: Msg) -> None:
            raise PoisonMessage("bad")

        await publish_all(world, ("a", b"from first"))
        await bus.publish(world.js, f"b.{world.subject_prefix}.a", b"from second", msg_id="m0")
        first, second = await start(world, handler), await start(world, handler, other_spec)
        async with running(first, second):
            await settled(world)
            await settled(world, other_spec)
        assert [m.data for m in await dead_letters(world)] == [b"from first"]
        assert [m.data for m in await dead_letters(world, other_spec)] == [b"from second"]
    finally:
        await world.js.delete_stream(other.name)


async def test_a_failed_dead_letter_keeps_the_message_and_the_loop(world: World) -> None:
    no_dlq = replace(world.consumer, dead_letter_prefix=f"nowhere.{world.stream.name}")
    calls: list[bytes] = []

    async def handler(msg: Msg) -> None:
        calls.append(msg.data)
        if msg.data == b"poison":
            raise PoisonMessage("bad")

    await publish_all(world, ("a", b"poison"), ("b", b"fine"))
    consumer = await start(world, handler, no_dlq)
    async with running(consumer) as [task]:
        deadline = time.monotonic() + 5
        while calls.count(b"poison") < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert not task.done()
    assert calls.count(b"poison") >= 2, "not lost: redelivered while the dead letter fails"
    assert b"fine" in calls


async def test_one_key_is_handled_in_order_while_keys_run_concurrently(world: World) -> None:
    started: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
    in_flight: dict[str, int] = defaultdict(int)
    order: dict[str, list[bytes]] = defaultdict(list)

    async def handler(msg: Msg) -> None:
        key = msg.subject.rsplit(".", 1)[1]
        in_flight[key] += 1
        assert in_flight[key] == 1, f"two messages of {key} at once"
        started[key].set()
        # Each key waits until the other has started: sequential handling would never finish.
        other = "b" if key == "a" else "a"
        await asyncio.wait_for(started[other].wait(), timeout=2)
        await asyncio.sleep(0.02)
        order[key].append(msg.data)
        in_flight[key] -= 1

    items = [(key, f"{key}{n}".encode()) for n in range(4) for key in ("a", "b")]
    await publish_all(world, *items)
    async with running(await start(world, handler)):
        await settled(world, count=8)
    assert order["a"] == [b"a0", b"a1", b"a2", b"a3"]
    assert order["b"] == [b"b0", b"b1", b"b2", b"b3"]
    info = await world.js.consumer_info(world.stream.name, "worker")
    assert info.num_redelivered == 0


async def test_what_follows_a_failed_message_of_its_key_waits_for_it(world: World) -> None:
    handled: list[tuple[bytes, int]] = []

    async def handler(msg: Msg) -> None:
        delivered = msg.metadata.num_delivered or 0
        handled.append((msg.data, delivered))
        if msg.data == b"first" and delivered == 1:
            raise TransientError("not yet")

    await publish_all(world, ("a", b"first"), ("a", b"second"), ("a", b"third"))
    async with running(await start(world, handler)):
        await settled(world, count=3)
    successes = [data for data, delivered in handled if (data, delivered) != (b"first", 1)]
    assert handled[0] == (b"first", 1)
    assert successes == [b"first", b"second", b"third"]


async def test_the_ordering_key_can_come_from_a_header(world: World) -> None:
    active = 0
    peak = 0

    async def handler(msg: Msg) -> None:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.05)
        active -= 1

    for n in range(4):
        await bus.publish(
            world.js,
            world.subject(f"s{n}"),
            b"x",
            msg_id=f"m{n}",
            headers={"Conversation": "c1"},
        )
    await bus.ensure_consumer(world.js, world.consumer)
    consumer = Consumer(
        world.js,
        world.consumer,
        handler,
        ordering_key=lambda msg: (msg.headers or {})["Conversation"],
        fetch_timeout_s=0.2,
    )
    async with running(consumer):
        await settled(world, count=4)
    assert peak == 1


async def test_a_handler_slower_than_ack_wait_keeps_its_message(world: World) -> None:
    calls = 0

    async def handler(msg: Msg) -> None:
        nonlocal calls
        calls += 1
        await asyncio.sleep(2.2)

    spec = replace(world.consumer, ack_wait_s=1.0)
    await publish_all(world, ("a", b"slow"))
    # A second replica on the same durable would receive the message if its lease lapsed.
    first, second = await start(world, handler, spec), await start(world, handler, spec)
    async with running(first, second):
        await settled(world, spec)
    assert calls == 1
    info = await world.js.consumer_info(world.stream.name, "worker")
    assert info.num_redelivered == 0


async def test_the_consumer_span_continues_the_publishers_trace(
    world: World, spans: InMemorySpanExporter
) -> None:
    inside: list[trace.SpanContext] = []

    async def handler(msg: Msg) -> None:
        inside.append(trace.get_current_span().get_span_context())

    with trace.get_tracer(__name__).start_as_current_span("produce") as producer:
        await publish_all(world, ("a", b"x"))
    async with running(await start(world, handler)):
        await settled(world)
    [process] = [s for s in spans.get_finished_spans() if s.name == "worker process"]
    sent = producer.get_span_context()
    assert process.kind == trace.SpanKind.CONSUMER
    assert process.context is not None and process.parent is not None
    assert process.context.trace_id == sent.trace_id
    assert process.parent.span_id == sent.span_id
    assert (process.attributes or {})["messaging.destination.name"] == world.subject("a")
    assert inside == [process.context]


async def test_a_failure_is_recorded_on_the_consumer_span(
    world: World, spans: InMemorySpanExporter
) -> None:
    async def handler(msg: Msg) -> None:
        raise PoisonMessage("bad bytes")

    await publish_all(world, ("a", b"x"))
    async with running(await start(world, handler)):
        await settled(world)
    [process] = [s for s in spans.get_finished_spans() if s.name == "worker process"]
    assert [event.name for event in process.events] == ["exception"]


async def test_stop_ends_run(world: World) -> None:
    async def handler(msg: Msg) -> None:
        pass

    consumer = await start(world, handler)
    task = asyncio.create_task(consumer.run())
    await asyncio.sleep(0.3)
    assert not task.done()
    began = time.monotonic()
    consumer.stop()
    await asyncio.wait_for(task, timeout=2)
    assert time.monotonic() - began < 1.0


async def test_stop_lets_the_batch_in_hand_finish(world: World) -> None:
    entered = asyncio.Event()
    done: list[bytes] = []

    async def handler(msg: Msg) -> None:
        entered.set()
        await asyncio.sleep(0.3)
        done.append(msg.data)

    await publish_all(world, ("a", b"in hand"))
    consumer = await start(world, handler)
    task = asyncio.create_task(consumer.run())
    await asyncio.wait_for(entered.wait(), timeout=3)
    consumer.stop()
    await asyncio.wait_for(task, timeout=2)
    assert done == [b"in hand"]
    await settled(world)
