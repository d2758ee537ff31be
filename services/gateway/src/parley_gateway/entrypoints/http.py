"""The gateway's HTTP face: Facebook webhooks in, health and metrics out."""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from parley.events.v1.inbound_pb2 import InboundEvent
from parley_gateway.adapters.publisher import BusUnavailable, EventPublisher
from parley_gateway.domain.envelope import Envelope, read_envelope
from parley_gateway.domain.signature import SignatureCheck, SignatureChecker
from parley_gateway.entrypoints.seller_pages import SellerPages, Tenants
from parley_gateway.entrypoints.translate import UnusableItem, to_event
from parley_gateway.metrics import GatewayMetrics
from parley_kit import tracing

log = logging.getLogger(__name__)
_tracer = trace.get_tracer("parley_gateway")
_MAX_CHALLENGE = 256
_TEXT = (b"content-type", b"text/plain; charset=utf-8")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True)
class WebhookConfig:
    """What the webhook endpoints need to know."""

    app_secret: bytes
    verify_token: bytes
    max_body_bytes: int


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


class WebhookEndpoint:
    """/webhook as a raw ASGI app: GET verifies the subscription, POST receives events.

    POST is the hot path, so it reads the body and answers without building Request and Response
    objects.
    """

    def __init__(
        self, config: WebhookConfig, publisher: EventPublisher, metrics: GatewayMetrics
    ) -> None:
        self._config = config
        self._publisher = publisher
        self._metrics = metrics
        self._check_signature = SignatureChecker(config.app_secret)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "GET":
            response = self.verify(Request(scope))
            await response(scope, receive, send)
            return
        headers = dict(scope["headers"])
        span = _tracer.start_span(
            "POST /webhook", context=_incoming_context(headers), kind=trace.SpanKind.SERVER
        )
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            status, text = await self._receive(headers, receive)
            span.set_attribute("http.response.status_code", status)
        except _Disconnected:
            return
        finally:
            otel_context.detach(token)
            span.end()
        body = text.encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [_TEXT, (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _count(self, outcome: str, status: int, text: str) -> tuple[int, str]:
        self._metrics.outcome[outcome].inc()
        return status, text

    def verify(self, request: Request) -> Response:
        """Subscription check: echo `hub.challenge` when mode and verify token match."""
        params = request.query_params
        token = params.get("hub.verify_token", "").encode()
        challenge = params.get("hub.challenge", "")
        token_ok = hmac.compare_digest(token, self._config.verify_token)
        if params.get("hub.mode") != "subscribe" or not token_ok:
            status, text = self._count("verify_refused", 403, "verification refused")
        elif not challenge or len(challenge) > _MAX_CHALLENGE:
            status, text = self._count("verify_refused", 400, "missing or oversized challenge")
        else:
            status, text = self._count("verified", 200, challenge)
        return PlainTextResponse(text, status_code=status)

    async def _receive(self, headers: dict[bytes, bytes], receive: Receive) -> tuple[int, str]:
        """Verify, parse, publish every event, and answer 200 only once all are stored."""
        try:
            body = await _read_capped(headers, receive, self._config.max_body_bytes)
        except _TooLarge:
            return self._count("too_large", 413, "body larger than the limit")
        header = headers.get(b"x-hub-signature-256", b"").decode("latin-1")
        check = self._check_signature(body, header)
        if check is not SignatureCheck.VALID:
            log.warning("webhook refused: signature %s", check.value)
            return self._count("forged", 403, f"signature {check.value}")
        try:
            envelope = read_envelope(json.loads(body))
        except (ValueError, RecursionError) as exc:  # JSON, UTF-8 and shape errors
            return self._count("malformed", 400, f"malformed webhook: {_reason(exc)}")
        if envelope.object_type != "page":
            return self._count("ignored", 200, "ignored")
        return await self._publish(envelope)

    async def _publish(self, envelope: Envelope) -> tuple[int, str]:
        events, headers = self._events(envelope)
        if not events:
            return self._count("accepted", 200, "EVENT_RECEIVED")
        started = time.perf_counter()
        try:
            duplicates = await self._publisher.publish(events, headers)
        except BusUnavailable as exc:
            log.error("webhook not stored, answering 503: %s", exc)
            return self._count("bus_unavailable", 503, "event store unavailable, retry")
        self._metrics.publish_seconds.observe(time.perf_counter() - started)
        for event in events:
            self._metrics.count_published(event.WhichOneof("kind") or "")
        if duplicates:
            self._metrics.duplicates.inc(duplicates)
        return self._count("accepted", 200, "EVENT_RECEIVED")

    def _events(self, envelope: Envelope) -> tuple[list[InboundEvent], dict[str, str]]:
        for reason in envelope.skipped:
            self._metrics.skipped.labels(reason).inc()
            log.info("webhook item skipped: %s", reason)
        received_ms = time.time_ns() // 1_000_000
        headers = tracing.current_trace_headers()
        context = tracing.trace_context(headers)
        events: list[InboundEvent] = []
        for item in envelope.items:
            try:
                event = to_event(item, received_ms)
            except UnusableItem as exc:
                self._metrics.skipped.labels("unusable").inc()
                log.warning("webhook %s item skipped: %s", item.kind, exc)
                continue
            event.trace_context.CopyFrom(context)
            events.append(event)
        return events, headers


def _incoming_context(headers: dict[bytes, bytes]) -> Context | None:
    parent = headers.get(b"traceparent")
    if parent is None:
        return None
    carrier = {"traceparent": parent.decode("latin-1")}
    state = headers.get(b"tracestate")
    if state is not None:
        carrier["tracestate"] = state.decode("latin-1")
    return tracing.extract(carrier)


def _reason(exc: Exception) -> str:
    return "nesting too deep" if isinstance(exc, RecursionError) else str(exc)[:200]


async def _read_capped(headers: dict[bytes, bytes], receive: Receive, limit: int) -> bytes:
    declared = headers.get(b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def create_app(
    config: WebhookConfig,
    publisher: EventPublisher,
    metrics: GatewayMetrics,
    lifespan: contextlib.AbstractAsyncContextManager[None] | None = None,
    tenants: Tenants | None = None,
    extra_routes: Sequence[BaseRoute] = (),
) -> GatewayApp:
    """The gateway application; `lifespan` starts and stops what the publisher needs;
    `extra_routes` are served beside the gateway's own (the seller dashboard)."""
    webhook = WebhookEndpoint(config, publisher, metrics)

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

    routes: list[BaseRoute] = [
        Route("/webhook", webhook, methods=["GET", "POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", prometheus, methods=["GET"]),
    ]
    if tenants is not None:
        seller = SellerPages(tenants, config.app_secret)
        routes += [
            Route("/connect/{link}", seller.connect, methods=["GET"]),
            Route("/oauth/callback", seller.oauth_callback, methods=["GET"]),
            Route("/facebook/data-deletion", seller.data_deletion, methods=["POST"]),
            Route("/deletion/{code}", seller.deletion_status, methods=["GET"]),
        ]
    routes += extra_routes
    return GatewayApp(webhook, Starlette(routes=routes, lifespan=run))


class GatewayApp:
    """Sends POST /webhook, the one hot path, straight to its endpoint; Starlette does the rest."""

    def __init__(self, webhook: WebhookEndpoint, rest: Starlette) -> None:
        self._webhook = webhook
        self.rest = rest

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/webhook":
            await self._webhook(scope, receive, send)
            return
        await self.rest(scope, receive, send)
