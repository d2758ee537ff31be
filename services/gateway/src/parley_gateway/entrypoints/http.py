"""The gateway's HTTP face: Facebook webhooks in, health and metrics out."""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from opentelemetry import trace
from parley.events.v1.inbound_pb2 import InboundEvent
from parley.events.v1.trace_pb2 import TraceContext
from parley_kit import tracing
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from parley_gateway.adapters.publisher import BusUnavailable, EventPublisher
from parley_gateway.domain.envelope import Envelope, read_envelope
from parley_gateway.domain.signature import SignatureCheck, check_signature
from parley_gateway.entrypoints.translate import UnusableItem, to_event
from parley_gateway.metrics import GatewayMetrics

log = logging.getLogger(__name__)
_tracer = trace.get_tracer("parley_gateway")
_MAX_CHALLENGE = 256


@dataclass(frozen=True)
class WebhookConfig:
    """What the webhook endpoints need to know."""

    app_secret: bytes
    verify_token: bytes
    max_body_bytes: int


class _TooLarge(Exception):
    pass


class WebhookEndpoints:
    """Handlers for GET (verification) and POST (events) on /webhook."""

    def __init__(
        self, config: WebhookConfig, publisher: EventPublisher, metrics: GatewayMetrics
    ) -> None:
        self._config = config
        self._publisher = publisher
        self._metrics = metrics

    def _answer(self, outcome: str, status: int, text: str) -> Response:
        self._metrics.requests.labels(outcome).inc()
        return PlainTextResponse(text, status_code=status)

    async def verify(self, request: Request) -> Response:
        """Subscription check: echo `hub.challenge` when mode and verify token match."""
        params = request.query_params
        token = params.get("hub.verify_token", "").encode()
        challenge = params.get("hub.challenge", "")
        token_ok = hmac.compare_digest(token, self._config.verify_token)
        if params.get("hub.mode") != "subscribe" or not token_ok:
            return self._answer("verify_refused", 403, "verification refused")
        if not challenge or len(challenge) > _MAX_CHALLENGE:
            return self._answer("verify_refused", 400, "missing or oversized hub.challenge")
        return self._answer("verified", 200, challenge)

    async def receive(self, request: Request) -> Response:
        """Verify, parse, publish every event, and answer 200 only once all are stored."""
        context = tracing.extract(request.headers)
        with _tracer.start_as_current_span(
            "POST /webhook", context=context, kind=trace.SpanKind.SERVER
        ) as span:
            response = await self._receive(request)
            span.set_attribute("http.response.status_code", response.status_code)
            return response

    async def _receive(self, request: Request) -> Response:
        try:
            body = await _read_capped(request, self._config.max_body_bytes)
        except _TooLarge:
            return self._answer("too_large", 413, "body larger than the limit")
        header = request.headers.get("x-hub-signature-256")
        check = check_signature(self._config.app_secret, body, header)
        if check is not SignatureCheck.VALID:
            log.warning("webhook refused: signature %s", check.value)
            return self._answer("forged", 403, f"signature {check.value}")
        try:
            envelope = read_envelope(json.loads(body))
        except (ValueError, RecursionError) as exc:  # JSON, UTF-8 and shape errors
            return self._answer("malformed", 400, f"malformed webhook: {_reason(exc)}")
        if envelope.object_type != "page":
            return self._answer("ignored", 200, "ignored")
        return await self._publish(envelope)

    async def _publish(self, envelope: Envelope) -> Response:
        events = self._events(envelope)
        if not events:
            return self._answer("accepted", 200, "EVENT_RECEIVED")
        started = time.perf_counter()
        try:
            duplicates = await self._publisher.publish(events, _trace_headers(events))
        except BusUnavailable as exc:
            log.error("webhook not stored, answering 503: %s", exc)
            return self._answer("bus_unavailable", 503, "event store unavailable, retry")
        self._metrics.publish_seconds.observe(time.perf_counter() - started)
        for event in events:
            self._metrics.published.labels(event.WhichOneof("kind")).inc()
        if duplicates:
            self._metrics.duplicates.inc(duplicates)
        return self._answer("accepted", 200, "EVENT_RECEIVED")

    def _events(self, envelope: Envelope) -> list[InboundEvent]:
        for reason in envelope.skipped:
            self._metrics.skipped.labels(reason).inc()
            log.info("webhook item skipped: %s", reason)
        received_ms = time.time_ns() // 1_000_000
        headers: dict[str, str] = {}
        tracing.inject(headers)
        trace_context = TraceContext(
            traceparent=headers.get("traceparent", ""), tracestate=headers.get("tracestate", "")
        )
        events: list[InboundEvent] = []
        for item in envelope.items:
            try:
                event = to_event(item, received_ms)
            except UnusableItem as exc:
                self._metrics.skipped.labels("unusable").inc()
                log.warning("webhook %s item skipped: %s", item.kind, exc)
                continue
            event.trace_context.CopyFrom(trace_context)
            events.append(event)
        return events


def _trace_headers(events: list[InboundEvent]) -> dict[str, str]:
    context = events[0].trace_context
    headers = {"traceparent": context.traceparent}
    if context.tracestate:
        headers["tracestate"] = context.tracestate
    return headers if context.traceparent else {}


def _reason(exc: Exception) -> str:
    return "nesting too deep" if isinstance(exc, RecursionError) else str(exc)[:200]


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(
    config: WebhookConfig,
    publisher: EventPublisher,
    metrics: GatewayMetrics,
    lifespan: contextlib.AbstractAsyncContextManager[None] | None = None,
) -> Starlette:
    """The gateway application; `lifespan` starts and stops what the publisher needs."""
    webhook = WebhookEndpoints(config, publisher, metrics)

    async def healthz(_: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> Response:
        ready = await publisher.ready()
        metrics.bus_connected.set(1 if ready else 0)
        return PlainTextResponse("ready" if ready else "bus not ready", 200 if ready else 503)

    async def prometheus(_: Request) -> Response:
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    @contextlib.asynccontextmanager
    async def run(_: Starlette) -> AsyncIterator[None]:
        if lifespan is None:
            yield
            return
        async with lifespan:
            yield

    routes = [
        Route("/webhook", webhook.verify, methods=["GET"]),
        Route("/webhook", webhook.receive, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", prometheus, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=run)
