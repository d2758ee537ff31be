"""Composition root: builds the tenants service from its settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib.resources import files
from importlib.resources.abc import Traversable

from nats.aio.client import Client as NATS
from opentelemetry import trace

from parley_kit import bus
from parley_kit.db import Pool, create_pool
from parley_kit.graph import GraphClient
from parley_kit.grpc_auth import CallerAuthInterceptor
from parley_kit.grpc_server import GrpcServer, build_server
from parley_kit.metrics import MetricsServer, ServiceMetrics
from parley_kit.outbox import OutboxRelay
from parley_tenants.adapters.crypto import TokenCipher
from parley_tenants.adapters.delivery import DeliveryProfiles
from parley_tenants.adapters.facebook import FacebookPlatform, dialog_base
from parley_tenants.domain.oauth_state import state_key
from parley_tenants.entrypoints.grpc_api import tenant_service
from parley_tenants.entrypoints.token_health import run_profile_setup, run_token_checks
from parley_tenants.service_layer.unit import Deps, utcnow
from parley_tenants.settings import TenantsSettings

log = logging.getLogger(__name__)


def migrations_folder() -> Traversable:
    """The package's SQL migrations."""
    return files("parley_tenants") / "migrations"


def cipher_of(settings: TenantsSettings) -> TokenCipher:
    """The token cipher over PARLEY_ENCRYPTION_KEYS."""
    return TokenCipher([key.reveal() for key in settings.encryption_keys])


def tenants_stream(settings: TenantsSettings) -> bus.StreamSpec:
    """The stream that keeps the events tenants publishes."""
    return bus.StreamSpec(
        name=settings.stream,
        subjects=(f"{settings.subject_prefix}.>",),
        replicas=settings.replicas,
        max_age_s=30 * 86400.0,
    )


def build_deps(
    settings: TenantsSettings,
    pool: Pool,
    graph: GraphClient,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> Deps:
    """The handlers' dependencies."""
    facebook = FacebookPlatform(
        graph, dialog_url=dialog_base(settings.graph.base_url, settings.dialog_url)
    )
    return Deps(
        pool=pool,
        cipher=cipher_of(settings),
        facebook=facebook,
        public_url=settings.public_url,
        state_key=state_key(settings.state_secret.reveal(), settings.graph.app_secret.reveal()),
        state_ttl=timedelta(seconds=settings.state_ttl_s),
        link_ttl=timedelta(seconds=settings.connect_link_ttl_s),
        clock=clock,
        subject_prefix=settings.subject_prefix,
        profiles=(
            DeliveryProfiles(settings.delivery_address, settings.delivery_token.reveal() or None)
            if settings.delivery_address
            else None
        ),
    )


@dataclass
class Tenants:
    """The running parts of the service, stopped in reverse order."""

    settings: TenantsSettings
    pool: Pool
    nc: NATS
    graph: GraphClient
    deps: Deps
    server: GrpcServer
    relay: OutboxRelay
    metrics: ServiceMetrics = field(default_factory=lambda: ServiceMetrics("tenants"))
    metrics_server: MetricsServer | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _profiles_wake: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        """Serve calls, relay the outbox, check tokens; SERVING once all runs."""
        await self.server.start()
        if self.settings.metrics_port is not None:
            self.metrics_server = MetricsServer(
                self.metrics, self.settings.host, self.settings.metrics_port
            )
            await self.metrics_server.start()
        self._tasks.append(asyncio.create_task(self.relay.run(), name="outbox-relay"))
        interval = self.settings.token_check_interval_s
        if interval > 0:
            checks = run_token_checks(self.deps, interval_s=interval, stop=self._stop)
            self._tasks.append(asyncio.create_task(checks, name="token-health"))
        if self.deps.profiles is not None:
            self.deps.on_connected = self._profiles_wake.set
            setup = run_profile_setup(
                self.deps,
                interval_s=self.settings.profile_retry_s,
                stop=self._stop,
                wake=self._profiles_wake,
            )
            self._tasks.append(asyncio.create_task(setup, name="profile-setup"))
        await self.server.mark_serving()
        log.info("tenants listening on %s:%d", self.settings.host, self.server.port)

    async def stop(self, grace: float = 5.0) -> None:
        """NOT_SERVING, let calls finish, stop the tasks, drain NATS, close the pool."""
        await self.server.stop(grace)
        await self.close()

    async def close(self) -> None:
        """Stop the background tasks and release the connections (the server is stopped)."""
        self._stop.set()
        self.relay.stop()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.metrics_server is not None:
            await self.metrics_server.stop()
        with contextlib.suppress(Exception):
            await self.nc.drain()
        await self.graph.aclose()
        if isinstance(self.deps.profiles, DeliveryProfiles):
            await self.deps.profiles.close()
        await self.pool.close()


async def build(
    settings: TenantsSettings,
    *,
    clock: Callable[[], datetime] = utcnow,
    tracer_provider: trace.TracerProvider | None = None,
) -> Tenants:
    """Connect to PostgreSQL and NATS, declare the stream, and bind the gRPC server."""
    pool = await create_pool(settings.db.database_url.reveal(), settings.db.schema)
    try:
        nc = await bus.connect(settings.nats_url, name="parley-tenants")
        await bus.ensure_stream(nc.jetstream(), tenants_stream(settings))
    except BaseException:
        await pool.close()
        raise
    graph = GraphClient(settings.graph)
    deps = build_deps(settings, pool, graph, clock=clock)
    relay = OutboxRelay(pool, nc.jetstream(), poll_interval_s=settings.outbox_poll_s)
    deps.on_events = relay.wake
    auth = CallerAuthInterceptor(settings.caller_tokens(), auth_disabled=settings.auth_disabled)
    server = build_server(
        [tenant_service(deps)],
        address=f"{settings.host}:{settings.port}",
        auth=auth,
        tracer_provider=tracer_provider,
    )
    metrics = ServiceMetrics("tenants")
    metrics.watch_outbox(pool, settings.db.schema)
    return Tenants(settings, pool, nc, graph, deps, server, relay, metrics)
