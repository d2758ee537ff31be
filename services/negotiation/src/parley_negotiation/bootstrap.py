"""Composition root: builds the negotiation service from its settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources import files
from importlib.resources.abc import Traversable

from nats.aio.client import Client as NATS
from opentelemetry import trace

from parley_kit import bus
from parley_kit.db import Pool, create_pool
from parley_kit.grpc_auth import CallerAuthInterceptor
from parley_kit.grpc_server import GrpcServer, build_server
from parley_kit.metrics import MetricsServer, ServiceMetrics
from parley_kit.outbox import OutboxRelay
from parley_negotiation.adapters.tenants import TenantsRules
from parley_negotiation.entrypoints.consumers import (
    DeletionHandler,
    InboundHandler,
    conversation_key,
)
from parley_negotiation.entrypoints.grpc_api import negotiation_service
from parley_negotiation.phrasing.draft import Phraser, TemplatePhraser
from parley_negotiation.service_layer.handle import HANDLED_KINDS
from parley_negotiation.service_layer.unit import Deps, utcnow
from parley_negotiation.settings import NegotiationSettings

log = logging.getLogger(__name__)


def migrations_folder() -> Traversable:
    """The package's SQL migrations."""
    return files("parley_negotiation") / "migrations"


def replies_stream(settings: NegotiationSettings) -> bus.StreamSpec:
    """The stream of reply commands for delivery (negotiation publishes, delivery consumes)."""
    return bus.StreamSpec(
        name=settings.replies_stream,
        subjects=(f"{settings.replies_prefix}.>",),
        replicas=settings.replicas,
    )


def events_stream(settings: NegotiationSettings) -> bus.StreamSpec:
    """The stream of negotiation's own events (decided turns, state changes)."""
    return bus.StreamSpec(
        name=settings.events_stream,
        subjects=(f"{settings.events_prefix}.>",),
        replicas=settings.replicas,
        max_age_s=30 * 86400.0,
    )


def inbound_consumer(settings: NegotiationSettings) -> bus.ConsumerSpec:
    """The durable consumer of the inbound events negotiation acts on (`<prefix>.<page>.<kind>`)."""
    return bus.ConsumerSpec(
        stream=settings.inbound_stream,
        durable=settings.durable,
        filter_subjects=tuple(f"{settings.inbound_prefix}.*.{k}" for k in sorted(HANDLED_KINDS)),
        max_ack_pending=settings.max_in_flight,
    )


def deletion_consumer(settings: NegotiationSettings) -> bus.ConsumerSpec:
    """The durable consumer of tenants' data deletion requests."""
    return bus.ConsumerSpec(
        stream=settings.tenants_stream,
        durable=f"{settings.durable}-deletions",
        filter_subjects=(f"{settings.tenants_prefix}.user_data_deletion_requested",),
    )


@dataclass
class Negotiation:
    """The running parts of the service, stopped in reverse order."""

    settings: NegotiationSettings
    pool: Pool
    nc: NATS
    tenants: TenantsRules
    phraser: Phraser
    deps: Deps
    server: GrpcServer
    relay: OutboxRelay
    inbound: bus.Consumer
    deletions: bus.Consumer
    handler: InboundHandler
    metrics: ServiceMetrics = field(default_factory=lambda: ServiceMetrics("negotiation"))
    metrics_server: MetricsServer | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        """Serve calls, consume events, relay the outbox; SERVING once all runs."""
        js = self.nc.jetstream()
        for spec in (self.inbound.spec, self.deletions.spec):
            await bus.wait_for_stream(js, spec.stream, self.settings.startup_wait_s)
            await bus.ensure_consumer(js, spec)
        await self.tenants.watch(self.nc, self.settings.tenants_prefix)
        await self.server.start()
        if self.settings.metrics_port is not None:
            self.metrics_server = MetricsServer(
                self.metrics, self.settings.host, self.settings.metrics_port
            )
            await self.metrics_server.start()
        for name, job in (
            ("outbox-relay", self.relay.run()),
            ("inbound", self.inbound.run()),
            ("deletions", self.deletions.run()),
        ):
            self._tasks.append(asyncio.create_task(job, name=name))
        await self.server.mark_serving()
        log.info("negotiation listening on %s:%d", self.settings.host, self.server.port)

    async def stop(self, grace: float = 5.0) -> None:
        """NOT_SERVING, let calls finish, then stop consuming and release everything."""
        await self.server.stop(grace)
        await self.close()

    async def close(self) -> None:
        """Stop the consumers and the relay, then the connections (the server is stopped)."""
        self.inbound.stop()
        self.deletions.stop()
        self.relay.stop()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.tenants.close()
        if self.metrics_server is not None:
            await self.metrics_server.stop()
        with contextlib.suppress(Exception):
            await self.nc.drain()
        await self.phraser.close()
        await self.pool.close()


async def build(
    settings: NegotiationSettings,
    *,
    phraser: Phraser | None = None,
    clock: Callable[[], datetime] = utcnow,
    tracer_provider: trace.TracerProvider | None = None,
) -> Negotiation:
    """Connect to PostgreSQL, NATS and tenants, declare the replies stream, bind the server."""
    # Negotiation never changes session state: no reset round trip on each release.
    pool = await create_pool(
        settings.db.database_url.reveal(), settings.db.schema, reset_sessions=False
    )
    try:
        nc = await bus.connect(settings.nats_url, name="parley-negotiation")
        await bus.ensure_stream(nc.jetstream(), replies_stream(settings))
        await bus.ensure_stream(nc.jetstream(), events_stream(settings))
        await bus.ensure_dead_letter_stream(nc.jetstream())
    except BaseException:
        await pool.close()
        raise
    phraser = phraser or TemplatePhraser()
    tenants = TenantsRules(
        settings.tenants_address,
        settings.tenants_token.reveal() or None,
        ttl_s=settings.cache_ttl_s,
    )
    deps = Deps(
        pool=pool,
        tenants=tenants,
        phraser=phraser,
        replies_prefix=settings.replies_prefix,
        events_prefix=settings.events_prefix,
        clock=clock,
        phrasing_enabled=not isinstance(phraser, TemplatePhraser),
    )
    relay = OutboxRelay(pool, nc.jetstream(), poll_interval_s=settings.outbox_poll_s)
    deps.on_outbox = relay.wake
    js = nc.jetstream()
    handler = InboundHandler(deps)
    inbound = bus.Consumer(js, inbound_consumer(settings), handler, ordering_key=conversation_key)
    deletions = bus.Consumer(js, deletion_consumer(settings), DeletionHandler(deps))
    auth = CallerAuthInterceptor(settings.caller_tokens(), auth_disabled=settings.auth_disabled)
    server = build_server(
        [negotiation_service(deps)],
        address=f"{settings.host}:{settings.port}",
        auth=auth,
        tracer_provider=tracer_provider,
    )
    metrics = ServiceMetrics("negotiation")
    metrics.watch_outbox(pool, settings.db.schema)
    metrics.watch_consumers(js, [(c.spec.stream, c.spec.durable) for c in (inbound, deletions)])
    return Negotiation(
        settings,
        pool,
        nc,
        tenants,
        phraser,
        deps,
        server,
        relay,
        inbound,
        deletions,
        handler,
        metrics,
    )
