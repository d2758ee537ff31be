"""Composition root: builds the gateway from its settings."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from parley_gateway.adapters.publisher import JetStreamEventPublisher
from parley_gateway.adapters.tenants import TenantsClient
from parley_gateway.entrypoints.http import GatewayApp, WebhookConfig, create_app
from parley_gateway.metrics import GatewayMetrics
from parley_gateway.settings import GatewaySettings
from parley_kit import bus


def inbound_stream(settings: GatewaySettings) -> bus.StreamSpec:
    """The stream that keeps every inbound event."""
    return bus.StreamSpec(
        name=settings.stream,
        subjects=(f"{settings.subject_prefix}.>",),
        duplicate_window_s=settings.dedup_window_s,
        max_age_s=settings.max_age_s,
        replicas=settings.replicas,
    )


def build_app(settings: GatewaySettings, metrics: GatewayMetrics | None = None) -> GatewayApp:
    """The gateway wired to JetStream; connects when the app starts, drains when it stops."""
    publisher = JetStreamEventPublisher(
        settings.nats_url,
        inbound_stream(settings),
        settings.subject_prefix,
        settings.publish_timeout_s,
    )

    token = settings.tenants_token.reveal() or None
    tenants = TenantsClient(settings.tenants_address, token)

    @contextlib.asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        publisher.start()
        try:
            yield
        finally:
            await publisher.close()
            await tenants.close()

    config = WebhookConfig(
        app_secret=settings.app_secret.reveal().encode(),
        verify_token=settings.verify_token.reveal().encode(),
        max_body_bytes=settings.max_body_bytes,
    )
    return create_app(config, publisher, metrics or GatewayMetrics(), lifespan(), tenants)


def app_from_env() -> GatewayApp:
    """App factory for process managers (`uvicorn --factory`): settings from the environment."""
    return build_app(GatewaySettings.from_env())
