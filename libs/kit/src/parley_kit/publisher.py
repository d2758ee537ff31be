"""Pipelined JetStream publishing: many publishes in flight on one reply subscription.

nats-py's `JetStreamContext.publish` runs a full request per message (a timeout task and a PubAck
object each); on a hot path such as the gateway, acknowledgements are matched here by token
instead, and a batch shares one deadline.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from parley_kit import tracing
from parley_kit.bus import MSG_ID_HEADER

_EXPECTED_STREAM = "Nats-Expected-Stream"


class PublishFailed(Exception):
    """JetStream refused a message, or nothing stores its subject."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to store."""

    subject: str
    payload: bytes
    msg_id: str


class PipelinedPublisher:
    """Publishes to JetStream and awaits the acknowledgements of a whole batch together."""

    def __init__(self, nc: NATS) -> None:
        self._nc = nc
        self._prefix = nc.new_inbox()
        self._tokens = itertools.count()
        self._waiting: dict[str, asyncio.Future[bool]] = {}
        self._sub: Subscription | None = None

    async def start(self) -> None:
        """Subscribe to the acknowledgements."""
        self._sub = await self._nc.subscribe(f"{self._prefix}.*", cb=self._on_ack)

    async def close(self) -> None:
        """Stop listening; whatever still waits fails."""
        if self._sub is not None:
            await self._sub.unsubscribe()
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(PublishFailed("publisher closed"))
        self._waiting.clear()

    async def _on_ack(self, msg: Msg) -> None:
        future = self._waiting.pop(msg.subject[len(self._prefix) + 1 :], None)
        if future is None or future.done():
            return
        status = msg.headers.get("Status") if msg.headers else None
        if status == "503":
            future.set_exception(PublishFailed("no stream stores this subject"))
        elif b'"error"' in msg.data:
            future.set_exception(PublishFailed(_error_text(msg.data)))
        else:
            future.set_result(_is_duplicate(msg.data))

    async def publish(
        self,
        messages: Sequence[Outgoing],
        *,
        stream: str | None = None,
        timeout: float,
        headers: Mapping[str, str] | None = None,
    ) -> int:
        """Publish every message and wait for every acknowledgement within `timeout`.

        Returns how many JetStream already had (same `Nats-Msg-Id`). Raises PublishFailed, or
        TimeoutError when not all were acknowledged in time: none may then be assumed stored.
        """
        common = dict(headers or {})
        if "traceparent" not in common:
            tracing.inject(common)
        if stream:
            common[_EXPECTED_STREAM] = stream
        loop = asyncio.get_running_loop()
        tokens: list[str] = []
        try:
            async with asyncio.timeout(timeout):
                futures = []
                for message in messages:
                    token = str(next(self._tokens))
                    future: asyncio.Future[bool] = loop.create_future()
                    self._waiting[token] = future
                    tokens.append(token)
                    futures.append(future)
                    await self._nc.publish(
                        message.subject,
                        message.payload,
                        reply=f"{self._prefix}.{token}",
                        headers={**common, MSG_ID_HEADER: message.msg_id},
                    )
                results = [await future for future in futures]
        finally:
            for token in tokens:
                self._waiting.pop(token, None)
        return sum(results)


def _is_duplicate(data: bytes) -> bool:
    # Parse only the rare acknowledgement that mentions it (`"duplicate": true`).
    return b'"duplicate"' in data and json.loads(data).get("duplicate") is True


def _error_text(data: bytes) -> str:
    try:
        error = json.loads(data).get("error", {})
    except ValueError:
        return data[:200].decode(errors="replace")
    return f"{error.get('code')} {error.get('err_code')}: {error.get('description')}"
