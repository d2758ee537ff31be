"""Composition root: builds the analytics service from its settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources import files
from importlib.resources.abc import Traversable

from nats.aio.client import Client as NATS
from opentelemetry import trace

from parley_analytics.domain.facts import Fact, Source
from parley_analytics.entrypoints.consumers import (
    BatchConsumer,
    EventCounts,
    batch_consumer,
    consumer_spec,
)
from parley_analytics.entrypoints.grpc_api import analytics_service
from parley_analytics.service_layer.ingest import Ingested, ingest
from parley_analytics.service_layer.unit import Deps, utcnow
from parley_analytics.settings import AnalyticsSettings
from parley_kit import bus
from parley_kit.db import Pool, create_pool
from parley_kit.grpc_auth import CallerAuthInterceptor
from parley_kit.grpc_server import GrpcServer, build_server
from parley_kit.metrics import MetricsServer, ServiceMetrics

log = logging.getLogger(__name__)

POOL_SIZE = 10


def migrations_folder() -> Traversable:
    """The package's SQL migrations."""
    return files("parley_analytics") / "migrations"


def consumer_specs(settings: AnalyticsSettings) -> dict[Source, bus.ConsumerSpec]:
    """One durable consumer per stream analytics reads (`<durable>-<source>`)."""
    streams = settings.streams
    sources = {
        Source.INBOUND: (streams.inbound, streams.inbound_prefix),
        Source.NEGOTIATION: (streams.negotiation, streams.negotiation_prefix),
        Source.DELIVERY: (streams.delivery, streams.delivery_prefix),
        Source.TENANTS: (streams.tenants, streams.tenants_prefix),
    }
    return {
        source: consumer_spec(source, stream, prefix, settings.durable, settings.max_in_flight)
        for source, (stream, prefix) in sources.items()
    }


@dataclass
class Analytics:
    """The running parts of the service, stopped in reverse order."""

    settings: AnalyticsSettings
    pool: Pool
    nc: NATS
    deps: Deps
    server: GrpcServer
    consumers: dict[Source, BatchConsumer]
    metrics: ServiceMetrics
    metrics_server: MetricsServer | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        """Wait for the streams, serve calls, consume every stream; SERVING once all runs."""
        js = self.nc.jetstream()
        for consumer in self.consumers.values():
            await bus.wait_for_stream(js, consumer.spec.stream, self.settings.startup_wait_s)
            await bus.ensure_consumer(js, consumer.spec)
        await self.server.start()
        if self.settings.metrics_port is not None:
            self.metrics_server = MetricsServer(
                self.metrics, self.settings.host, self.settings.metrics_port
            )
            await self.metrics_server.start()
        for source, consumer in self.consumers.items():
            self._tasks.append(asyncio.create_task(consumer.run(), name=f"consume-{source}"))
        await self.server.mark_serving()
        log.info("analytics listening on %s:%d", self.settings.host, self.server.port)

    async def stop(self, grace: float = 5.0) -> None:
        """NOT_SERVING, let calls finish, then stop consuming and release everything."""
        await self.server.stop(grace)
        await self.close()

    async def close(self) -> None:
        """Stop the consumers (each finishes its batch), then the connections."""
        for consumer in self.consumers.values():
            consumer.stop()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.metrics_server is not None:
            await self.metrics_server.stop()
        with contextlib.suppress(Exception):
            await self.nc.drain()
        await self.pool.close()


async def build(
    settings: AnalyticsSettings,
    *,
    clock: Callable[[], datetime] = utcnow,
    tracer_provider: trace.TracerProvider | None = None,
) -> Analytics:
    """Connect to PostgreSQL and NATS and bind the server; the streams are other services'."""
    # Analytics never changes session state (its advisory locks are transaction-scoped).
    pool = await create_pool(
        settings.db.database_url.reveal(),
        settings.db.schema,
        max_size=POOL_SIZE,
        reset_sessions=False,
    )
    try:
        nc = await bus.connect(settings.nats_url, name="parley-analytics")
        await bus.ensure_dead_letter_stream(nc.jetstream())
    except BaseException:
        await pool.close()
        raise
    deps = Deps(pool=pool, clock=clock)
    metrics = ServiceMetrics("analytics")
    counts = EventCounts(metrics)

    async def ingest_facts(facts: Sequence[Fact]) -> Ingested:
        return await ingest(deps, facts)

    js = nc.jetstream()
    specs = consumer_specs(settings)
    consumers = {
        source: batch_consumer(
            js, spec, source=source, ingest=ingest_facts, counts=counts, batch=settings.batch
        )
        for source, spec in specs.items()
    }
    metrics.watch_consumers(js, [(spec.stream, spec.durable) for spec in specs.values()])
    auth = CallerAuthInterceptor(settings.caller_tokens(), auth_disabled=settings.auth_disabled)
    server = build_server(
        [analytics_service(deps)],
        address=f"{settings.host}:{settings.port}",
        auth=auth,
        tracer_provider=tracer_provider,
    )
    return Analytics(settings, pool, nc, deps, server, consumers, metrics)
