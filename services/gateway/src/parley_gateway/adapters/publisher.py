"""Publishes inbound events to JetStream: concurrently, de-duplicated, acknowledged or refused."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import Protocol

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from parley.events.v1.inbound_pb2 import InboundEvent
from parley_kit import bus
from parley_kit.publisher import Outgoing, PipelinedPublisher

log = logging.getLogger(__name__)


class BusUnavailable(Exception):
    """JetStream did not acknowledge every event in time: nothing may be acknowledged upstream."""


class EventPublisher(Protocol):
    """Where the gateway stores inbound events."""

    async def publish(self, events: Sequence[InboundEvent], headers: Mapping[str, str]) -> int:
        """Store every event; return how many were duplicates. Raise BusUnavailable on failure."""
        ...

    async def ready(self) -> bool:
        """True when events can be stored now."""
        ...


def subject_for(prefix: str, event: InboundEvent) -> str:
    """Per-Page subject: `<prefix>.<page id>.<kind>`."""
    return f"{prefix}.{event.page_id}.{event.WhichOneof('kind')}"


class JetStreamEventPublisher:
    """EventPublisher over NATS JetStream; connects in the background and keeps reconnecting."""

    def __init__(
        self, url: str, stream: bus.StreamSpec, subject_prefix: str, timeout_s: float
    ) -> None:
        self._url = url
        self._stream = stream
        self._prefix = subject_prefix
        self._timeout = timeout_s
        self._nc: NATS | None = None
        self._js: JetStreamContext | None = None
        self._pipeline: PipelinedPublisher | None = None
        self._connecting: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin connecting; publish() refuses until connected."""
        self._connecting = asyncio.create_task(self._connect_forever())

    async def _connect_forever(self) -> None:
        delay = 0.1
        while True:
            try:
                nc = await bus.connect(self._url, name="parley-gateway")
            except Exception as exc:  # noqa: BLE001 - any failure means: try again later
                log.warning("NATS not reachable yet (%s); retrying in %.1fs", exc, delay)
            else:
                if await self._prepare(nc):
                    return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _prepare(self, nc: NATS) -> bool:
        js = nc.jetstream(timeout=self._timeout)
        try:
            await bus.ensure_stream(js, self._stream)
        except Exception as exc:  # noqa: BLE001
            log.warning("cannot declare stream %s: %s", self._stream.name, exc)
            await nc.close()
            return False
        pipeline = PipelinedPublisher(nc)
        await pipeline.start()
        self._nc, self._js, self._pipeline = nc, js, pipeline
        log.info("connected to NATS; stream %s ready", self._stream.name)
        return True

    async def close(self) -> None:
        """Stop connecting and drain the connection."""
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        if self._nc is not None and not self._nc.is_closed:
            with contextlib.suppress(Exception):
                await self._nc.drain()

    async def publish(self, events: Sequence[InboundEvent], headers: Mapping[str, str]) -> int:
        """Publish all events concurrently; wait for every acknowledgement within the timeout."""
        if self._pipeline is None or self._nc is None or not self._nc.is_connected:
            raise BusUnavailable("not connected to NATS")
        outgoing = [
            Outgoing(subject_for(self._prefix, e), e.SerializeToString(), e.event_id)
            for e in events
        ]
        try:
            return await self._pipeline.publish(
                outgoing, stream=self._stream.name, timeout=self._timeout, headers=headers
            )
        except Exception as exc:  # noqa: BLE001 - timeouts, refusals, disconnects
            raise BusUnavailable(f"JetStream did not acknowledge: {exc!r}") from exc

    async def ready(self) -> bool:
        """Connected, and the stream exists (declared again if someone removed it)."""
        js = self._js
        if js is None or self._nc is None or not self._nc.is_connected:
            return False
        try:
            await asyncio.wait_for(js.stream_info(self._stream.name), 1.0)
        except NotFoundError:
            log.warning("stream %s is gone; declaring it again", self._stream.name)
            with contextlib.suppress(Exception):
                await bus.ensure_stream(js, self._stream)
            return False
        except Exception:  # noqa: BLE001 - slow or disconnected means not ready
            return False
        return True
