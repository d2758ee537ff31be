"""The inbound-event consumer: delivery's own durable consumer of the gateway's events, applied
in batches (one transaction each), acknowledged after the commit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from google.protobuf.message import DecodeError
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from parley.events.v1.inbound_pb2 import InboundEvent
from parley_delivery.domain.inbound import Fact
from parley_delivery.entrypoints import settling
from parley_delivery.entrypoints.translate import facts_of
from parley_kit import bus

log = logging.getLogger(__name__)

Apply = Callable[[Sequence[Fact]], Awaitable[None]]


@dataclass
class InboundConsumer:
    """Fetches inbound events and applies each batch in one transaction."""

    js: JetStreamContext
    spec: bus.ConsumerSpec
    apply: Apply
    batch: int = 256
    fetch_timeout_s: float = 1.0
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        """Fetch and apply until `stop()`."""
        sub = await self.js.pull_subscribe_bind(durable=self.spec.durable, stream=self.spec.stream)
        try:
            while not self._stopping.is_set():
                msgs = await bus.fetch(sub, self.batch, self.fetch_timeout_s)
                if msgs:
                    await self.handle_batch(msgs)
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    def stop(self) -> None:
        """Finish the batch in hand, then return from run()."""
        self._stopping.set()

    async def handle_batch(self, msgs: Sequence[Msg]) -> None:
        """Apply what the batch tells, then ack it (nak it all if the transaction failed)."""
        facts: list[Fact] = []
        good: list[Msg] = []
        for msg in msgs:
            try:
                facts.extend(facts_of(InboundEvent.FromString(msg.data)))
            except (DecodeError, ValueError) as exc:
                await bus.dead_letter(self.js, self.spec, msg, f"poison: {exc}")
                continue
            good.append(msg)
        if not good:
            return
        try:
            await self.apply(facts)
        except Exception:  # noqa: BLE001 - nothing is acked that is not stored
            log.exception("applying %d inbound events failed", len(good))
            delay = self.spec.retry_delay(max(m.metadata.num_delivered or 1 for m in good))
            for msg in good:
                await settling.nak(msg, delay)
            return
        for msg in good:
            await settling.ack(msg)
