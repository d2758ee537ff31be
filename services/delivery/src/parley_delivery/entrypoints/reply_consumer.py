"""The reply-command consumer: a durable pull consumer whose commands run concurrently, one
conversation's in order, none waiting for another's (a paced reply waits seconds without
holding anything but its own unacknowledged message, kept alive by heartbeats)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from google.protobuf.message import DecodeError
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from opentelemetry import trace

from parley.events.v1.replies_pb2 import ReplyCommand
from parley_delivery.domain.model import Reply
from parley_delivery.entrypoints import settling
from parley_delivery.entrypoints.translate import InvalidCommand, reply_of
from parley_delivery.service_layer.outcomes import Hold, Result
from parley_kit import bus, tracing

log = logging.getLogger(__name__)
_tracer = trace.get_tracer("parley_delivery.replies")

Deliver = Callable[[Reply], Awaitable[Result]]


@dataclass
class ReplyConsumer:
    """Fetches reply commands and runs each conversation's in order, all conversations at once.

    At most `max_in_flight` commands are held unacknowledged (the consumer's max_ack_pending
    should be at least that).
    """

    js: JetStreamContext
    spec: bus.ConsumerSpec
    deliver: Deliver
    batch: int = 256
    fetch_timeout_s: float = 1.0
    max_in_flight: int = 4096
    _queues: dict[str, deque[tuple[Msg, Reply]]] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _in_flight: int = 0
    _room: asyncio.Event = field(default_factory=asyncio.Event)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    # Messages being handled and since when: one task keeps the slow ones alive (in_progress),
    # rather than a heartbeat task per message (most are settled in milliseconds).
    _working: dict[int, tuple[Msg, float]] = field(default_factory=dict)

    @property
    def in_flight(self) -> int:
        """Commands received and not yet settled."""
        return self._in_flight

    async def run(self) -> None:
        """Fetch and dispatch until `stop()`."""
        sub = await self.js.pull_subscribe_bind(durable=self.spec.durable, stream=self.spec.stream)
        beating = asyncio.create_task(self._heartbeats())
        try:
            while not self._stopping.is_set():
                room = self.max_in_flight - self._in_flight
                if room <= 0:
                    self._room.clear()
                    await self._wait(self._room)
                    continue
                batch = min(self.batch, room)
                for msg in await bus.fetch(sub, batch, self.fetch_timeout_s):
                    self._dispatch(msg)
        finally:
            beating.cancel()
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def _heartbeats(self) -> None:
        """Tell JetStream that commands held for a while (a paced reply, retries) are still
        being worked on, so they are not delivered to another instance meanwhile."""
        every = self.spec.ack_wait_s / 3
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(every)
            due = loop.time() - every
            for msg, since in list(self._working.values()):
                if since <= due:
                    await settling.in_progress(msg)

    def stop(self) -> None:
        """Stop fetching; run() returns."""
        self._stopping.set()
        self._room.set()

    async def drain(self, grace_s: float) -> None:
        """Let commands in hand finish for `grace_s`; hand the rest back to JetStream at once."""
        tasks = set(self._tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _wait(self, event: asyncio.Event) -> None:
        waiter = asyncio.create_task(event.wait())
        stopping = asyncio.create_task(self._stopping.wait())
        await asyncio.wait({waiter, stopping}, return_when=asyncio.FIRST_COMPLETED)
        for task in (waiter, stopping):
            task.cancel()

    def _dispatch(self, msg: Msg) -> None:
        try:
            reply = reply_of(ReplyCommand.FromString(msg.data))
        except (DecodeError, InvalidCommand) as exc:
            self._spawn(bus.dead_letter(self.js, self.spec, msg, f"poison: {exc}"))
            return
        self._in_flight += 1
        key = reply.conversation_key
        queue = self._queues.get(key)
        if queue is not None:
            queue.append((msg, reply))  # after the conversation's earlier commands
            return
        self._queues[key] = deque([(msg, reply)])
        self._spawn(self._drain_conversation(key))

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain_conversation(self, key: str) -> None:
        queue = self._queues[key]
        try:
            while queue:
                msg, reply = queue[0]
                held = await self.handle(msg, reply)
                queue.popleft()
                self._settled(1)
                if held is not None:
                    await self._hold_back(queue, held)
        finally:
            # Only when cancelled (shutting down) is anything left: hand it back at once.
            for msg, _ in queue:
                await settling.nak(msg, 0)
            self._settled(len(queue))
            queue.clear()
            del self._queues[key]

    async def _hold_back(self, queue: deque[tuple[Msg, Reply]], delay_s: float) -> None:
        """Keep the conversation's order: what follows a held command waits as long as it."""
        while queue:
            msg, _ = queue.popleft()
            self._settled(1)
            await settling.nak(msg, delay_s)

    def _settled(self, count: int) -> None:
        if count:
            self._in_flight -= count
            self._room.set()

    async def handle(self, msg: Msg, reply: Reply) -> float | None:
        """Deliver one command and settle its message; the hold delay if it was not acked."""
        carrier = dict(msg.headers or {})
        if "traceparent" not in carrier and reply.traceparent:
            carrier["traceparent"] = reply.traceparent
        with _tracer.start_as_current_span(
            f"{self.spec.durable} process",
            context=tracing.extract(carrier),
            kind=trace.SpanKind.CONSUMER,
        ) as span:
            span.set_attribute("messaging.destination.name", msg.subject)
            self._working[id(msg)] = (msg, asyncio.get_running_loop().time())
            try:
                result = await self.deliver(reply)
            except asyncio.CancelledError:
                await settling.nak(msg, 0)  # shutting down: another instance takes it now
                raise
            except Exception as exc:  # noqa: BLE001 - every failure is settled, never lost
                span.record_exception(exc)
                return await self._failed(msg, exc)
            finally:
                self._working.pop(id(msg), None)
            if isinstance(result, Hold):
                log.info(
                    "reply %s held %.1fs: %s", reply.idempotency_key, result.delay_s, result.reason
                )
                await settling.nak(msg, result.delay_s)
                return result.delay_s
            await settling.ack(msg)
            return None

    async def _failed(self, msg: Msg, exc: Exception) -> float | None:
        delivered = msg.metadata.num_delivered or 1
        if delivered >= self.spec.max_deliver:
            await bus.dead_letter(
                self.js, self.spec, msg, f"gave up after {delivered} deliveries: {exc!r}"
            )
            return None
        log.error("reply command on %s failed", msg.subject, exc_info=exc)
        delay = self.spec.retry_delay(delivered)
        await settling.nak(msg, delay)
        return delay
