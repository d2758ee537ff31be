"""Composition root: builds the delivery service from its settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources import files
from importlib.resources.abc import Traversable

import grpc
import httpx
from httpx_aiohttp import AiohttpTransport
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from opentelemetry import trace

from parley_delivery.adapters.messenger import MessengerPlatform
from parley_delivery.adapters.metrics import DeliveryMetrics
from parley_delivery.adapters.recorder import PartRecorder
from parley_delivery.adapters.tenants import PageTokens
from parley_delivery.domain.inbound import Fact
from parley_delivery.domain.model import Reply
from parley_delivery.entrypoints.grpc_api import delivery_service
from parley_delivery.entrypoints.inbound_consumer import InboundConsumer
from parley_delivery.entrypoints.reply_consumer import ReplyConsumer
from parley_delivery.service_layer import inbound, replies
from parley_delivery.service_layer.outcomes import Result
from parley_delivery.service_layer.unit import Deps, utcnow
from parley_delivery.settings import DeliverySettings
from parley_kit import bus
from parley_kit.db import Pool, create_pool
from parley_kit.graph import GraphClient
from parley_kit.grpc_auth import CallerAuthInterceptor
from parley_kit.grpc_client import open_channel
from parley_kit.grpc_server import GrpcServer, build_server
from parley_kit.metrics import MetricsServer, ServiceMetrics
from parley_kit.outbox import OutboxRelay

log = logging.getLogger(__name__)

REPLIES_DURABLE = "delivery-replies"
INBOUND_DURABLE = "delivery-inbound"
POOL_SIZE = 20
DRAIN_GRACE_S = 5.0


def migrations_folder() -> Traversable:
    """The package's SQL migrations."""
    return files("parley_delivery") / "migrations"


def replies_stream(settings: DeliverySettings) -> bus.StreamSpec:
    """PARLEY_REPLIES, declared the same way by negotiation (which publishes to it)."""
    streams = settings.streams
    return bus.StreamSpec(
        name=streams.replies,
        subjects=(f"{streams.replies_prefix}.>",),
        max_age_s=7 * 86400.0,
        replicas=streams.replicas,
    )


def inbound_stream(settings: DeliverySettings) -> bus.StreamSpec:
    """The gateway's stream of inbound events (its defaults; the gateway owns its config)."""
    streams = settings.streams
    return bus.StreamSpec(
        name=streams.inbound,
        subjects=(f"{streams.inbound_prefix}.>",),
        replicas=streams.replicas,
    )


def events_stream(settings: DeliverySettings) -> bus.StreamSpec:
    """The stream that keeps the events delivery publishes."""
    streams = settings.streams
    return bus.StreamSpec(
        name=streams.events,
        subjects=(f"{streams.events_prefix}.>",),
        max_age_s=30 * 86400.0,
        replicas=streams.replicas,
    )


def reply_consumer_spec(settings: DeliverySettings) -> bus.ConsumerSpec:
    """Delivery's durable consumer of reply commands (shared by every instance)."""
    return bus.ConsumerSpec(
        stream=settings.streams.replies,
        durable=REPLIES_DURABLE,
        filter_subjects=(f"{settings.streams.replies_prefix}.>",),
        max_deliver=50,
        max_ack_pending=settings.max_in_flight,
    )


def inbound_consumer_spec(settings: DeliverySettings) -> bus.ConsumerSpec:
    """Delivery's own durable consumer of inbound events."""
    return bus.ConsumerSpec(
        stream=settings.streams.inbound,
        durable=INBOUND_DURABLE,
        filter_subjects=(f"{settings.streams.inbound_prefix}.>",),
        max_deliver=20,
    )


async def ensure_streams(js: JetStreamContext, settings: DeliverySettings) -> None:
    """Declare the streams and consumers (idempotent; the inbound stream only if missing)."""
    await bus.ensure_stream(js, replies_stream(settings))
    await bus.ensure_stream(js, events_stream(settings))
    try:
        await js.stream_info(settings.streams.inbound)
    except NotFoundError:
        await bus.ensure_stream(js, inbound_stream(settings))
    await bus.ensure_dead_letter_stream(js)
    await bus.ensure_consumer(js, reply_consumer_spec(settings))
    await bus.ensure_consumer(js, inbound_consumer_spec(settings))


def graph_client(settings: DeliverySettings) -> GraphClient:
    """The Graph client over aiohttp: httpx's own transport manages about 500 calls/s here,
    aiohttp's several thousand (services/delivery/README.md, "Transport")."""
    if settings.graph_transport == "httpx":
        return GraphClient(settings.graph)
    connections = settings.graph.max_connections
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return GraphClient(settings.graph, transport=AiohttpTransport(limits=limits))


@dataclass
class Delivery:
    """The running parts of the service, stopped in reverse order."""

    settings: DeliverySettings
    pool: Pool
    nc: NATS
    graph: GraphClient
    tenants: grpc.aio.Channel
    deps: Deps
    server: GrpcServer
    relay: OutboxRelay
    replies: ReplyConsumer
    inbound: InboundConsumer
    metrics_server: MetricsServer | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        """Serve calls, consume, relay the outbox; SERVING once all runs."""
        await self.server.start()
        if self.settings.metrics_port is not None:
            self.metrics_server = MetricsServer(
                self.deps.metrics.service, self.settings.host, self.settings.metrics_port
            )
            await self.metrics_server.start()
        for name, work in (
            ("outbox-relay", self.relay.run()),
            ("inbound-consumer", self.inbound.run()),
            ("reply-consumer", self.replies.run()),
        ):
            self._tasks.append(asyncio.create_task(work, name=name))
        await self.server.mark_serving()
        log.info("delivery listening on %s:%d", self.settings.host, self.server.port)

    async def stop(self, grace: float = 5.0) -> None:
        """NOT_SERVING, let calls finish, stop the consumers, drain NATS, close the pool."""
        await self.server.stop(grace)
        await self.close(min(grace, DRAIN_GRACE_S))

    async def close(self, grace: float = DRAIN_GRACE_S) -> None:
        """Stop consuming, hand unfinished commands back, release the connections."""
        self.replies.stop()
        self.inbound.stop()
        consumers = [task for task in self._tasks if task.get_name() != "outbox-relay"]
        # A consumer waiting on a fetch would only notice after its fetch timeout: a pending
        # fetch holds nothing, and a batch cut short is not acknowledged (it comes again).
        _, waiting = await asyncio.wait(consumers, timeout=0.1) if consumers else (set(), set())
        for task in waiting:
            task.cancel()
        await self.replies.drain(grace)
        self.relay.stop()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.metrics_server is not None:
            await self.metrics_server.stop()
        with contextlib.suppress(Exception):
            await self.nc.drain()
        await self.graph.aclose()
        await self.tenants.close(None)
        await self.pool.close()


def build_deps(
    settings: DeliverySettings,
    pool: Pool,
    graph: GraphClient,
    tenants: grpc.aio.Channel,
    *,
    clock: Callable[[], datetime] = utcnow,
    rng: random.Random | None = None,
    metrics: DeliveryMetrics | None = None,
) -> Deps:
    """The handlers' dependencies."""
    return Deps(
        pool=pool,
        messenger=MessengerPlatform(graph),
        tokens=PageTokens(tenants, ttl_s=settings.token_ttl_s),
        recorder=PartRecorder(pool),
        policy=settings.policy,
        clock=clock,
        rng=rng or random.Random(),
        subject_prefix=settings.streams.events_prefix,
        metrics=metrics or DeliveryMetrics(),
    )


async def build(
    settings: DeliverySettings,
    *,
    clock: Callable[[], datetime] = utcnow,
    rng: random.Random | None = None,
    tracer_provider: trace.TracerProvider | None = None,
) -> Delivery:
    """Connect to PostgreSQL and NATS, declare streams and consumers, bind the gRPC server."""
    # Delivery never changes session state: no reset round trip on each release.
    pool = await create_pool(
        settings.db.database_url.reveal(),
        settings.db.schema,
        max_size=POOL_SIZE,
        reset_sessions=False,
    )
    try:
        nc = await bus.connect(settings.nats_url, name="parley-delivery")
        await ensure_streams(nc.jetstream(), settings)
    except BaseException:
        await pool.close()
        raise
    graph = graph_client(settings)
    token = settings.tenants_token.reveal() or None
    tenants = open_channel(settings.tenants_address, caller_token=token)
    service_metrics = ServiceMetrics("delivery")
    service_metrics.watch_outbox(pool, settings.db.schema)
    consumers = (reply_consumer_spec(settings), inbound_consumer_spec(settings))
    service_metrics.watch_consumers(nc.jetstream(), [(c.stream, c.durable) for c in consumers])
    metrics = DeliveryMetrics(service_metrics)
    deps = build_deps(settings, pool, graph, tenants, clock=clock, rng=rng, metrics=metrics)
    # Batches of 500: at full speed one event per reply reaches the outbox.
    relay = OutboxRelay(
        pool, nc.jetstream(), batch_size=500, poll_interval_s=settings.outbox_poll_s
    )
    deps.on_events = relay.wake
    js = nc.jetstream()

    async def deliver(reply: Reply) -> Result:
        return await replies.deliver(deps, reply)

    async def apply(facts: Sequence[Fact]) -> None:
        await inbound.apply_facts(deps, facts)

    reply_consumer = ReplyConsumer(
        js, reply_consumer_spec(settings), deliver, max_in_flight=settings.max_in_flight
    )
    inbound_consumer = InboundConsumer(js, inbound_consumer_spec(settings), apply)
    auth = CallerAuthInterceptor(settings.caller_tokens(), auth_disabled=settings.auth_disabled)
    server = build_server(
        [delivery_service(deps)],
        address=f"{settings.host}:{settings.port}",
        auth=auth,
        tracer_provider=tracer_provider,
    )
    return Delivery(
        settings, pool, nc, graph, tenants, deps, server, relay, reply_consumer, inbound_consumer
    )
