"""Durable consumers of every stream analytics reads, one per stream (`<durable>-<source>`).

A fetched batch is ingested in one transaction and acknowledged after it commits. When that
fails, the batch is handled again one message at a time by the kit's consumer: transient
failures are retried with delay, a poison message is dead-lettered alone.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import asyncpg
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from opentelemetry import trace

from parley_analytics.domain.facts import Fact, Source
from parley_analytics.entrypoints.events import DECODERS, Decoder
from parley_analytics.service_layer.ingest import Ingested
from parley_kit import bus
from parley_kit.bus import PoisonMessage
from parley_kit.metrics import ServiceMetrics

log = logging.getLogger(__name__)
_tracer = trace.get_tracer(__name__)

Ingest = Callable[[Sequence[Fact]], Awaitable[Ingested]]


def page_key(msg: Msg) -> str:
    """Events of one Page (`<prefix>.<page>.<kind>`) in stream order; a conversation is on one
    Page. Tenants' subjects (`<prefix>.<kind>`) have one order for all."""
    return msg.subject.rsplit(".", 1)[0]


class EventCounts:
    """Events consumed, by source and what became of them."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        self._events = metrics.counter(
            "parley_analytics_events",
            "Events consumed, by source and result (recorded, duplicate, forgotten, skipped, "
            "poison)",
            ("source", "result"),
        )
        self._batches = metrics.counter(
            "parley_analytics_batch_fallbacks",
            "Batches that failed as a whole and were handled one message at a time",
            ("source",),
        )

    def add(self, source: Source, ingested: Ingested, skipped: int = 0) -> None:
        """Count a batch's (or one message's) outcome."""
        for result, n in (
            ("recorded", ingested.recorded),
            ("duplicate", ingested.duplicates),
            ("forgotten", ingested.forgotten),
            ("skipped", skipped),
        ):
            if n:
                self._events.labels(source.value, result).inc(n)

    def poison(self, source: Source) -> None:
        """A message that could not be read."""
        self._events.labels(source.value, "poison").inc()

    def fallback(self, source: Source) -> None:
        """A batch handled again one message at a time."""
        self._batches.labels(source.value).inc()


@dataclass
class BatchConsumer(bus.Consumer):
    """The kit's consumer, ingesting each fetched batch in one transaction."""

    source: Source = field(kw_only=True)
    ingest: Ingest = field(kw_only=True)
    counts: EventCounts = field(kw_only=True)

    async def handle_batch(self, msgs: Sequence[Msg]) -> None:
        """Ingest the batch at once; fall back to one message at a time when that fails."""
        decode = DECODERS[self.source]
        facts: list[Fact] = []
        readable: list[Msg] = []
        unreadable: list[Msg] = []
        for msg in msgs:
            try:
                fact = decode(msg)
            except PoisonMessage:
                unreadable.append(msg)
                continue
            readable.append(msg)
            if fact is not None:
                facts.append(fact)
        if readable:
            await self._ingest_all(readable, facts)
        if unreadable:
            await super().handle_batch(unreadable)

    async def _ingest_all(self, msgs: list[Msg], facts: list[Fact]) -> None:
        try:
            with _tracer.start_as_current_span(
                f"{self.spec.durable} ingest", kind=trace.SpanKind.CONSUMER
            ) as span:
                span.set_attribute("messaging.batch.message_count", len(msgs))
                ingested = await self.ingest(facts)
        except Exception:  # noqa: BLE001 - handled again one at a time, where each is settled
            log.warning("batch of %d from %s failed as a whole", len(msgs), self.source.value)
            self.counts.fallback(self.source)
            await super().handle_batch(msgs)
            return
        self.counts.add(self.source, ingested, skipped=len(msgs) - len(facts))
        for msg in msgs:
            with contextlib.suppress(Exception):  # unacknowledged: it comes again, a duplicate
                await msg.ack()


def one_at_a_time(source: Source, ingest: Ingest, counts: EventCounts) -> bus.Handler:
    """The handler for one message (the fallback path)."""
    decode: Decoder = DECODERS[source]

    async def handle(msg: Msg) -> None:
        try:
            fact = decode(msg)
        except PoisonMessage:
            counts.poison(source)
            raise
        if fact is None:
            counts.add(source, Ingested(0, 0, 0), skipped=1)
            return
        try:
            ingested = await ingest([fact])
        except asyncpg.DataError as exc:  # a value PostgreSQL can never store (a NUL character)
            counts.poison(source)
            raise PoisonMessage(f"not storable: {exc}") from None
        counts.add(source, ingested)

    return handle


def consumer_spec(
    source: Source, stream: str, prefix: str, durable: str, in_flight: int
) -> bus.ConsumerSpec:
    """The durable consumer of one stream: every subject under its prefix."""
    return bus.ConsumerSpec(
        stream=stream,
        durable=f"{durable}-{source.value}",
        filter_subjects=(f"{prefix}.>",),
        max_ack_pending=in_flight,
    )


def batch_consumer(
    js: JetStreamContext,
    spec: bus.ConsumerSpec,
    *,
    source: Source,
    ingest: Ingest,
    counts: EventCounts,
    batch: int,
) -> BatchConsumer:
    """A consumer of one source's stream."""
    return BatchConsumer(
        js,
        spec,
        one_at_a_time(source, ingest, counts),
        ordering_key=page_key,
        batch=batch,
        source=source,
        ingest=ingest,
        counts=counts,
    )
