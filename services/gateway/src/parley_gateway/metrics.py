"""Prometheus metrics of the gateway."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

OUTCOMES = (
    "accepted",
    "ignored",
    "forged",
    "malformed",
    "too_large",
    "bus_unavailable",
    "verified",
    "verify_refused",
)


@dataclass
class GatewayMetrics:
    """Requests by outcome, events published and skipped, publish latency, bus connection."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        # The *_created series only double the scrape size.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.requests = Counter(
            "parley_gateway_webhook_requests",
            "Webhook requests by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.outcome = {outcome: self.requests.labels(outcome) for outcome in OUTCOMES}
        self.published = Counter(
            "parley_gateway_events_published",
            "Events stored in JetStream, by kind",
            ["kind"],
            registry=self.registry,
        )
        self._published_by_kind: dict[str, Any] = {}
        self.duplicates = Counter(
            "parley_gateway_events_duplicate",
            "Events JetStream already had (same Nats-Msg-Id)",
            registry=self.registry,
        )
        self.skipped = Counter(
            "parley_gateway_events_skipped",
            "Webhook items not published, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.publish_seconds = Histogram(
            "parley_gateway_publish_seconds",
            "Time to get JetStream's acknowledgement for all events of a request",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.bus_connected = Gauge(
            "parley_gateway_bus_connected",
            "1 when connected to NATS with the inbound stream present",
            registry=self.registry,
        )

    def count_published(self, kind: str) -> None:
        """One more event of this kind stored."""
        child = self._published_by_kind.get(kind)
        if child is None:
            child = self._published_by_kind[kind] = self.published.labels(kind)
        child.inc()

    def render(self) -> bytes:
        """The Prometheus text exposition."""
        return generate_latest(self.registry)
