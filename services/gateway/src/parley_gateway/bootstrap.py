"""Composition root: builds the gateway from its settings."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.routing import BaseRoute

from parley_gateway.adapters.analytics import AnalyticsClient
from parley_gateway.adapters.delivery import DeliveryClient
from parley_gateway.adapters.negotiation import NegotiationClient
from parley_gateway.adapters.publisher import JetStreamEventPublisher
from parley_gateway.adapters.tenants import TenantsClient
from parley_gateway.dashboard.app import Dashboard, DashboardConfig
from parley_gateway.dashboard.auth import Signer
from parley_gateway.dashboard.scope import Services
from parley_gateway.entrypoints.http import GatewayApp, WebhookConfig, create_app
from parley_gateway.metrics import GatewayMetrics
from parley_gateway.settings import GatewaySettings
from parley_kit import bus
from parley_kit.secrets import Secret

Closer = Callable[[], Awaitable[None]]


def inbound_stream(settings: GatewaySettings) -> bus.StreamSpec:
    """The stream that keeps every inbound event."""
    return bus.StreamSpec(
        name=settings.stream,
        subjects=(f"{settings.subject_prefix}.>",),
        duplicate_window_s=settings.dedup_window_s,
        max_age_s=settings.max_age_s,
        replicas=settings.replicas,
    )


def _token(secret: Secret) -> str | None:
    return secret.reveal() or None


def dashboard_routes(
    settings: GatewaySettings, tenants: TenantsClient
) -> tuple[list[BaseRoute], list[Closer]]:
    """The seller dashboard's routes and the channels to close, when the dashboard is on."""
    dash = settings.dashboard
    if not dash.enabled:
        return [], []
    timeout = dash.rpc_timeout_s
    negotiation = NegotiationClient(
        settings.negotiation_address, _token(settings.negotiation_token), timeout
    )
    delivery = DeliveryClient(settings.delivery_address, _token(settings.delivery_token), timeout)
    analytics = AnalyticsClient(
        settings.analytics_address, _token(settings.analytics_token), timeout
    )
    config = DashboardConfig(
        public_url=dash.public_url,
        session_ttl_s=dash.session_ttl_s,
        secure_cookies=dash.secure_cookies,
    )
    dashboard = Dashboard(
        Services(tenants, negotiation, delivery, analytics),
        Signer(dash.secret.reveal().encode()),
        config,
    )
    return dashboard.routes(), [negotiation.close, delivery.close, analytics.close]


def build_app(settings: GatewaySettings, metrics: GatewayMetrics | None = None) -> GatewayApp:
    """The gateway wired to JetStream (and, when configured, the seller dashboard to the gRPC
    services); connects when the app starts, drains when it stops."""
    publisher = JetStreamEventPublisher(
        settings.nats_url,
        inbound_stream(settings),
        settings.subject_prefix,
        settings.publish_timeout_s,
    )
    tenants = TenantsClient(
        settings.tenants_address,
        _token(settings.tenants_token),
        dashboard_timeout_s=settings.dashboard.rpc_timeout_s,
    )
    routes, closers = dashboard_routes(settings, tenants)

    @contextlib.asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        publisher.start()
        try:
            yield
        finally:
            await publisher.close()
            for close in (tenants.close, *closers):
                await close()

    config = WebhookConfig(
        app_secret=settings.app_secret.reveal().encode(),
        verify_token=settings.verify_token.reveal().encode(),
        max_body_bytes=settings.max_body_bytes,
    )
    metrics = metrics or GatewayMetrics()
    return create_app(config, publisher, metrics, lifespan(), tenants, routes)


def app_from_env() -> GatewayApp:
    """App factory for process managers (`uvicorn --factory`): settings from the environment."""
    return build_app(GatewaySettings.from_env())
