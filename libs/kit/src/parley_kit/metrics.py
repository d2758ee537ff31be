"""Prometheus metrics for every gRPC service: one registry per service, gauges refreshed on each
scrape (JetStream consumer lag, outbox depth), helpers for counters and histograms, and a small
asyncio HTTP server answering `GET /metrics` (`PARLEY_METRICS_PORT`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)

from parley_kit.db import Pool, validate_schema
from parley_kit.settings import Env

log = logging.getLogger(__name__)

# Seconds: from a millisecond database call to a paced reply (pacing waits up to about 20 s).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 300)
_REQUEST_LIMIT = 16 * 1024
_REQUEST_TIMEOUT_S = 5.0

Refresh = Callable[[], Awaitable[None]]


def read_metrics_port(env: Env) -> int | None:
    """PARLEY_METRICS_PORT: unset means no metrics server, 0 any free port (tests)."""
    port = env.integer("PARLEY_METRICS_PORT", -1, low=0, high=65535)
    return None if port < 0 else port


class ConsumerInfo(Protocol):
    """What we read of nats-py's ConsumerInfo."""

    num_pending: int | None
    num_ack_pending: int | None
    num_redelivered: int | None


class JetStream(Protocol):
    """What the consumer lag gauges need of nats-py's JetStreamContext."""

    async def consumer_info(
        self, stream: str, consumer: str, timeout: float | None = ...
    ) -> ConsumerInfo:
        """The durable consumer's state."""


class ServiceMetrics:
    """A service's registry: its own metrics, the process's, and gauges refreshed on scrape."""

    def __init__(self, service: str, *, refresh_timeout_s: float = 2.0) -> None:
        # The *_created series only double the scrape size.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.service = service
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self._refreshes: list[tuple[str, Refresh]] = []
        self._timeout_s = refresh_timeout_s
        self._consumers: _ConsumerGauges | None = None
        self._outbox: _OutboxGauges | None = None
        self.refresh_failures = self.counter(
            "parley_metrics_refresh_failures",
            "Scrape-time readings that failed (NATS or PostgreSQL unreachable), by source",
            ("source",),
        )

    def counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        """A counter in this registry (`_total` is appended to its name)."""
        return Counter(name, documentation, list(labels), registry=self.registry)

    def gauge(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
        """A gauge in this registry."""
        return Gauge(name, documentation, list(labels), registry=self.registry)

    def histogram(
        self,
        name: str,
        documentation: str,
        labels: Sequence[str] = (),
        buckets: Sequence[float] = LATENCY_BUCKETS,
    ) -> Histogram:
        """A histogram in this registry (seconds, unless the name says otherwise)."""
        return Histogram(
            name, documentation, list(labels), buckets=tuple(buckets), registry=self.registry
        )

    def on_scrape(self, source: str, refresh: Refresh) -> None:
        """Run `refresh` before each scrape (at most refresh_timeout_s; a failure is counted)."""
        self._refreshes.append((source, refresh))

    def watch_consumers(self, js: JetStream, consumers: Iterable[tuple[str, str]]) -> None:
        """Report pending and unacknowledged messages of these (stream, durable) consumers."""
        if self._consumers is None:
            self._consumers = _ConsumerGauges(self)
            self.on_scrape("jetstream", self._consumers.refresh)
        self._consumers.watch(js, consumers)

    def watch_outbox(self, pool: Pool, schema: str, table: str = "outbox") -> None:
        """Report the unpublished rows of an outbox table (its pool is pinned to `schema`)."""
        if self._outbox is None:
            self._outbox = _OutboxGauges(self)
            self.on_scrape("outbox", self._outbox.refresh)
        self._outbox.watch(pool, schema, table)

    async def refresh(self) -> None:
        """Run every scrape-time reading at once, each within the timeout."""
        await asyncio.gather(*(self._run(source, job) for source, job in self._refreshes))

    async def _run(self, source: str, job: Refresh) -> None:
        try:
            async with asyncio.timeout(self._timeout_s):
                await job()
        except Exception as exc:  # noqa: BLE001 - a failed reading must not fail the scrape
            log.warning("metrics: could not read %s: %r", source, exc)
            self.refresh_failures.labels(source).inc()

    async def render(self) -> bytes:
        """The Prometheus text exposition, freshly read."""
        await self.refresh()
        return generate_latest(self.registry)


class _ConsumerGauges:
    """num_pending, num_ack_pending and num_redelivered of durable consumers."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        labels = ("stream", "consumer")
        self.pending = metrics.gauge(
            "parley_jetstream_consumer_pending_messages",
            "Consumer lag: messages of the stream not yet delivered to the durable consumer",
            labels,
        )
        self.ack_pending = metrics.gauge(
            "parley_jetstream_consumer_ack_pending_messages",
            "Messages delivered to the durable consumer and not acknowledged yet",
            labels,
        )
        self.redelivered = metrics.gauge(
            "parley_jetstream_consumer_redelivered_messages",
            "Messages delivered more than once and not acknowledged yet",
            labels,
        )
        self._watched: list[tuple[JetStream, str, str]] = []

    def watch(self, js: JetStream, consumers: Iterable[tuple[str, str]]) -> None:
        self._watched += [(js, stream, durable) for stream, durable in consumers]

    async def refresh(self) -> None:
        # Every consumer is read (and every failure cleared) before the first failure is raised.
        results = await asyncio.gather(
            *(self._read(*watched) for watched in self._watched), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _read(self, js: JetStream, stream: str, durable: str) -> None:
        gauges = (self.pending, self.ack_pending, self.redelivered)
        try:
            info = await js.consumer_info(stream, durable, timeout=1.0)
        except Exception:
            # Absent series say "unknown" better than stale ones.
            for gauge in gauges:
                with contextlib.suppress(KeyError):
                    gauge.remove(stream, durable)
            raise
        values = (info.num_pending, info.num_ack_pending, info.num_redelivered)
        for gauge, value in zip(gauges, values, strict=True):
            gauge.labels(stream, durable).set(value or 0)


class _OutboxGauges:
    """Unpublished rows of outbox tables and the age of the oldest."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        self.depth = metrics.gauge(
            "parley_outbox_unpublished_events",
            "Events stored in the outbox and not yet relayed to JetStream",
            ("schema",),
        )
        self.age = metrics.gauge(
            "parley_outbox_oldest_unpublished_age_seconds",
            "Age of the oldest event still waiting in the outbox (0 when none)",
            ("schema",),
        )
        self._watched: list[tuple[Pool, str, str]] = []

    def watch(self, pool: Pool, schema: str, table: str) -> None:
        self._watched.append((pool, validate_schema(schema), validate_schema(table)))

    async def refresh(self) -> None:
        for pool, schema, table in self._watched:
            row = await pool.fetchrow(
                "SELECT count(*) AS depth, "
                "coalesce(extract(epoch FROM now() - min(created_at)), 0) AS age "
                f"FROM {table} WHERE published_at IS NULL"
            )
            if row is None:  # not reached: an aggregate always returns its row
                continue
            self.depth.labels(schema).set(row["depth"])
            self.age.labels(schema).set(float(row["age"]))


class MetricsServer:
    """`GET /metrics` over HTTP/1.1 (one request per connection), on the service's event loop."""

    def __init__(self, metrics: ServiceMetrics, host: str, port: int) -> None:
        self._metrics = metrics
        self._host = host
        self._wanted_port = port
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> int:
        """Listen; the bound port (port 0 picks a free one)."""
        self._server = await asyncio.start_server(
            self._serve, self._host, self._wanted_port, limit=_REQUEST_LIMIT
        )
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("metrics on http://%s:%d/metrics", self._host, self.port)
        return self.port

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = b""
        try:
            async with asyncio.timeout(_REQUEST_TIMEOUT_S):
                head = await reader.readuntil(b"\r\n\r\n")
            status, body, kind = await self._answer(head)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            status, body, kind = "400 Bad Request", b"bad request\n", "text/plain"
        response = (
            f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        if not head.startswith(b"HEAD "):
            response += body
        with contextlib.suppress(ConnectionError):
            writer.write(response)
            await writer.drain()
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()

    async def _answer(self, head: bytes) -> tuple[str, bytes, str]:
        method, _, rest = head.decode("latin-1").partition(" ")
        path = rest.partition(" ")[0].partition("?")[0]
        if method not in ("GET", "HEAD"):
            return "405 Method Not Allowed", b"use GET\n", "text/plain"
        if path != "/metrics":
            return "404 Not Found", b"see /metrics\n", "text/plain"
        return "200 OK", await self._metrics.render(), CONTENT_TYPE_LATEST
