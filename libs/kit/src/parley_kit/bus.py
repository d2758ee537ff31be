"""JetStream helpers: streams, durable pull consumers, de-duplicated publishing and a consume loop
that acks after success, naks with delay on transient errors and dead-letters poison messages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

import nats
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    PubAck,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import NotFoundError
from opentelemetry import trace

from parley_kit import tracing
from parley_kit.redaction import redact

log = logging.getLogger(__name__)
_tracer = trace.get_tracer("parley_kit.bus")

MSG_ID_HEADER = "Nats-Msg-Id"
Handler = Callable[[Msg], Awaitable[None]]


class TransientError(Exception):
    """The handler may succeed later: the message is redelivered after a delay."""


class PoisonMessage(Exception):
    """The message can never be handled: it is dead-lettered and terminated at once."""


@dataclass(frozen=True)
class StreamSpec:
    """A JetStream stream as a service declares it."""

    name: str
    subjects: tuple[str, ...]
    duplicate_window_s: float = 3600.0
    max_age_s: float = 7 * 24 * 3600.0
    replicas: int = 1
    retention: RetentionPolicy = RetentionPolicy.LIMITS

    def config(self) -> StreamConfig:
        """The nats-py stream configuration."""
        return StreamConfig(
            name=self.name,
            subjects=list(self.subjects),
            retention=self.retention,
            storage=StorageType.FILE,
            num_replicas=self.replicas,
            duplicate_window=self.duplicate_window_s,
            max_age=self.max_age_s,
        )


@dataclass(frozen=True)
class ConsumerSpec:
    """A durable pull consumer and its redelivery policy."""

    stream: str
    durable: str
    filter_subjects: tuple[str, ...] = ()
    ack_wait_s: float = 30.0
    max_deliver: int = 8
    max_ack_pending: int = 2000
    retry_delays_s: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
    dead_letter_prefix: str = "parley.dlq"

    @property
    def dead_letter_subject(self) -> str:
        """Where messages go that could not be handled."""
        return f"{self.dead_letter_prefix}.{self.stream}.{self.durable}"

    def retry_delay(self, delivered: int) -> float:
        """Delay before the next delivery after `delivered` failed attempts."""
        index = min(max(delivered, 1), len(self.retry_delays_s)) - 1
        return self.retry_delays_s[index]

    def config(self) -> ConsumerConfig:
        """The nats-py consumer configuration (explicit acks; max_deliver is enforced by us)."""
        filters = list(self.filter_subjects)
        return ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait_s,
            max_deliver=-1,
            max_ack_pending=self.max_ack_pending,
            filter_subject=filters[0] if len(filters) == 1 else None,
            filter_subjects=filters if len(filters) > 1 else None,
        )


async def connect(url: str, *, name: str, connect_timeout: float = 2.0) -> NATS:
    """A NATS connection that reconnects forever once established."""
    return await nats.connect(
        servers=[url],
        name=name,
        connect_timeout=connect_timeout,
        reconnect_time_wait=0.5,
        max_reconnect_attempts=-1,
        allow_reconnect=True,
    )


async def ensure_stream(js: JetStreamContext, spec: StreamSpec) -> None:
    """Create the stream, or update it to the declared configuration."""
    try:
        await js.stream_info(spec.name)
    except NotFoundError:
        await js.add_stream(config=spec.config())
        return
    await js.update_stream(config=spec.config())


async def wait_for_stream(js: JetStreamContext, name: str, wait_s: float) -> None:
    """Wait until another service declared a stream we consume; RuntimeError after wait_s."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            await js.stream_info(name)
            return
        except NotFoundError:
            if time.monotonic() >= deadline:
                raise RuntimeError(
                    f"stream {name} does not exist: start the service that declares it"
                ) from None
            await asyncio.sleep(0.25)


async def ensure_dead_letter_stream(js: JetStreamContext, prefix: str = "parley.dlq") -> None:
    """The stream that keeps dead-lettered messages for inspection and replay."""
    name = prefix.replace(".", "_").upper()
    await ensure_stream(js, StreamSpec(name=name, subjects=(f"{prefix}.>",), max_age_s=30 * 86400))


async def ensure_consumer(js: JetStreamContext, spec: ConsumerSpec) -> None:
    """Create or update the durable consumer."""
    await js.add_consumer(spec.stream, config=spec.config())


async def publish(
    js: JetStreamContext,
    subject: str,
    payload: bytes,
    *,
    msg_id: str,
    stream: str | None = None,
    timeout: float = 2.0,
    headers: Mapping[str, str] | None = None,
) -> PubAck:
    """Publish with `Nats-Msg-Id` (so JetStream drops duplicates) and the trace context (the
    current one unless the caller put a `traceparent` in headers)."""
    all_headers = {MSG_ID_HEADER: msg_id, **(headers or {})}
    if "traceparent" not in all_headers:
        tracing.inject(all_headers)
    return await js.publish(subject, payload, timeout=timeout, stream=stream, headers=all_headers)


@dataclass
class Consumer:
    """Runs a handler over a durable pull consumer until stopped.

    Messages with the same ordering key are handled one after another, in stream order; other keys
    run concurrently. The handler returning means success: the message is acked.
    """

    js: JetStreamContext
    spec: ConsumerSpec
    handler: Handler
    ordering_key: Callable[[Msg], str] = field(default=lambda msg: msg.subject)
    batch: int = 64
    fetch_timeout_s: float = 1.0
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        """Fetch and handle batches until `stop()`."""
        sub = await self.js.pull_subscribe_bind(durable=self.spec.durable, stream=self.spec.stream)
        try:
            while not self._stopping.is_set():
                msgs = await self._fetch(sub)
                if msgs:
                    await self.handle_batch(msgs)
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    def stop(self) -> None:
        """Finish the batch in hand, then return from run()."""
        self._stopping.set()

    async def _fetch(self, sub: JetStreamContext.PullSubscription) -> list[Msg]:
        return await fetch(sub, self.batch, self.fetch_timeout_s)

    async def handle_batch(self, msgs: Sequence[Msg]) -> None:
        """Handle a batch: keys concurrently, each key's messages in order."""
        groups: dict[str, list[Msg]] = defaultdict(list)
        for msg in msgs:
            groups[self.ordering_key(msg)].append(msg)
        await asyncio.gather(*(self._handle_in_order(group) for group in groups.values()))

    async def _handle_in_order(self, msgs: list[Msg]) -> None:
        for index, msg in enumerate(msgs):
            try:
                handled = await self.handle(msg)
            except Exception:  # noqa: BLE001 - a settle that fails (connection lost) must not
                # end the loop: JetStream redelivers the message after ack_wait.
                log.exception("could not settle %s from %s", msg.subject, self.spec.durable)
                handled = False
            if not handled:
                await self._hold_back(msgs[index + 1 :], msg)
                return

    async def _hold_back(self, later: list[Msg], failed: Msg) -> None:
        """Keep a key's order: what follows a failed message waits as long as it does."""
        delay = self.spec.retry_delay(failed.metadata.num_delivered or 1)
        for msg in later:
            with contextlib.suppress(Exception):
                await msg.nak(delay=delay)

    async def handle(self, msg: Msg) -> bool:
        """Handle one message and settle it: ack, nak with delay, or dead-letter and term.

        Returns True when the handler succeeded (the message was acked)."""
        parent = tracing.extract(msg.headers)
        with _tracer.start_as_current_span(
            f"{self.spec.durable} process", context=parent, kind=trace.SpanKind.CONSUMER
        ) as span:
            span.set_attribute("messaging.destination.name", msg.subject)
            try:
                async with _heartbeat(msg, self.spec.ack_wait_s / 2):
                    await self.handler(msg)
            except PoisonMessage as exc:
                span.record_exception(exc)
                await self._dead_letter(msg, f"poison: {exc}")
                return True  # settled for good: what follows it need not wait
            except Exception as exc:  # noqa: BLE001 - every failure is settled, never lost
                span.record_exception(exc)
                await self._retry_or_dead_letter(msg, exc)
                return False
            await msg.ack()
            return True

    async def _retry_or_dead_letter(self, msg: Msg, exc: Exception) -> None:
        delivered = msg.metadata.num_delivered or 1
        if delivered >= self.spec.max_deliver:
            await self._dead_letter(msg, f"gave up after {delivered} deliveries: {exc!r}")
            return
        if not isinstance(exc, TransientError):
            log.exception("handler %s failed on %s", self.spec.durable, msg.subject, exc_info=exc)
        await msg.nak(delay=self.spec.retry_delay(delivered))

    async def _dead_letter(self, msg: Msg, reason: str) -> None:
        await dead_letter(self.js, self.spec, msg, reason)


async def fetch(sub: JetStreamContext.PullSubscription, batch: int, timeout_s: float) -> list[Msg]:
    """Up to `batch` messages, or none after `timeout_s` (a lost connection is waited out)."""
    try:
        return await sub.fetch(batch, timeout=timeout_s)
    except TimeoutError:
        # nats-py raises its own TimeoutError or, on some paths, asyncio's: both mean no
        # message arrived in time.
        return []
    except nats.errors.Error as exc:
        log.warning("fetch failed: %s", exc)
        await asyncio.sleep(timeout_s)
        return []


async def dead_letter(js: JetStreamContext, spec: ConsumerSpec, msg: Msg, reason: str) -> None:
    """Keep a message that can never be handled in the dead-letter stream, then terminate it
    (nak it instead when the dead-letter stream cannot take it: terminating would lose it)."""
    # One header line (NATS headers end at CRLF) with no secrets from exception messages.
    reason = redact(" ".join(reason.split()))[:500]
    log.error("dead-lettering %s from %s: %s", msg.subject, spec.durable, reason)
    meta = msg.metadata
    sequence = str(meta.sequence.stream if meta.sequence else "")
    headers = {
        "Parley-Original-Subject": msg.subject,
        "Parley-Original-Stream": meta.stream or "",
        "Parley-Original-Sequence": sequence,
        "Parley-Reason": reason,
    }
    # Durable names repeat across streams and all share one dead-letter stream.
    msg_id = f"dlq:{spec.stream}:{spec.durable}:{sequence}"
    try:
        await publish(js, spec.dead_letter_subject, msg.data, msg_id=msg_id, headers=headers)
    except nats.errors.Error as exc:
        log.error("cannot dead-letter to %s: %s", spec.dead_letter_subject, exc)
        await msg.nak(delay=spec.retry_delays_s[-1])
        return
    await msg.term()


@contextlib.asynccontextmanager
async def _heartbeat(msg: Msg, every_s: float) -> AsyncIterator[None]:
    """Tell JetStream the message is still being worked on, so a slow handler keeps it."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(every_s)
            with contextlib.suppress(Exception):
                await msg.in_progress()

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
