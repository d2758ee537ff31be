"""Delivery's Prometheus metrics: send latency, Send API errors by class, replies by outcome."""

from __future__ import annotations

from datetime import datetime

from parley_delivery.domain.model import Outcome, Reply
from parley_kit.metrics import ServiceMetrics

# Seconds from the decision to Meta accepting the last part: milliseconds without pacing, up to
# the pacing cap (20 s at most) with it, longer when a reply had to wait for a token or retries.
SEND_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 300, 1800)


class DeliveryMetrics:
    """The send path's metrics, in the service's registry."""

    def __init__(self, metrics: ServiceMetrics | None = None) -> None:
        self.service = metrics or ServiceMetrics("delivery")
        self.send_latency = self.service.histogram(
            "parley_delivery_send_latency_seconds",
            "From the decision to Meta accepting the last part (pacing included), by author",
            ("author",),
            buckets=SEND_BUCKETS,
        )
        self.send_errors = self.service.counter(
            "parley_delivery_send_errors",
            "Failed Send API calls by error class (retry, rate_limited, policy_window, "
            "token_invalid, handed_over, permanent), and sends without a Page token (no_token)",
            ("class",),
        )
        self.replies = self.service.counter(
            "parley_delivery_replies",
            "Replies settled, by outcome (sent, refused, superseded, handed_over, unavailable, "
            "rejected, expired, no_message)",
            ("outcome",),
        )

    def sent(self, reply: Reply, sent_at: datetime) -> None:
        """A reply went out completely."""
        latency = max(0.0, (sent_at - reply.decided_at).total_seconds())
        self.send_latency.labels(reply.author.value).observe(latency)
        self.replies.labels(Outcome.SENT.value).inc()

    def settled(self, outcome: Outcome) -> None:
        """A reply ended other than sent."""
        self.replies.labels(outcome.value).inc()

    def send_failed(self, error_class: str) -> None:
        """One Send API call (or token fetch) failed."""
        self.send_errors.labels(error_class).inc()
