"""Transactional outbox: events written in the caller's transaction, relayed to JetStream in order.

The table lives in the service's own schema; its migration creates it with `OUTBOX_DDL`:

    CREATE TABLE outbox (
        seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- relay order
        id           text NOT NULL UNIQUE,        -- the event id, sent as Nats-Msg-Id
        subject      text NOT NULL,
        payload      bytea NOT NULL,
        headers      jsonb NOT NULL DEFAULT '{}', -- traceparent/tracestate of the writer
        created_at   timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
    );
    CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;

Several replicas may relay: each locks a batch with `FOR UPDATE SKIP LOCKED` and publishes it
only when no older unpublished row is locked by another one, so rows go out in `seq` order.
A row published again after a crash (before it was marked) carries the same `Nats-Msg-Id`, which
JetStream drops within the stream's duplicate window.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import asyncpg
import nats.errors
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from parley_kit import tracing
from parley_kit.bus import MSG_ID_HEADER
from parley_kit.db import Connection, Pool, PoolConnection, validate_schema

_log = logging.getLogger(__name__)
_tracer = trace.get_tracer("parley_kit.outbox")

OUTBOX_DDL = """
CREATE TABLE outbox (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           text NOT NULL UNIQUE,
    subject      text NOT NULL,
    payload      bytea NOT NULL,
    headers      jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
"""


# What a lost database or bus looks like; anything else is a bug and ends the relay.
_OUTAGES = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, nats.errors.Error)


class JetStream(Protocol):
    """What the relay needs of nats-py's JetStreamContext."""

    async def publish(
        self,
        subject: str,
        payload: bytes = ...,
        timeout: float | None = ...,
        stream: str | None = ...,
        headers: dict[str, Any] | None = ...,
    ) -> Any:
        """Publish and wait for the acknowledgement."""


@dataclass(frozen=True)
class OutboxRow:
    """One stored event."""

    seq: int
    id: str
    subject: str
    payload: bytes
    headers: dict[str, str]
    created_at: datetime
    published_at: datetime | None


def new_event_id() -> str:
    """A fresh event id (UUID4, hex)."""
    return uuid.uuid4().hex


async def add_event(
    conn: Connection | PoolConnection,
    *,
    subject: str,
    payload: bytes,
    event_id: str | None = None,
    headers: Mapping[str, str] | None = None,
    table: str = "outbox",
) -> str:
    """Store an event in the caller's transaction, with the current trace context; its id."""
    event_id = event_id or new_event_id()
    all_headers = dict(headers or {})
    if "traceparent" not in all_headers:
        tracing.inject(all_headers)
    await conn.execute(
        f"INSERT INTO {validate_schema(table)} (id, subject, payload, headers) "
        "VALUES ($1, $2, $3, $4)",
        event_id,
        subject,
        payload,
        all_headers,
    )
    return event_id


async def pending_events(pool: Pool, *, table: str = "outbox", limit: int = 100) -> list[OutboxRow]:
    """The unpublished events, oldest first (for inspection and tests)."""
    rows = await pool.fetch(
        f"SELECT * FROM {validate_schema(table)} WHERE published_at IS NULL ORDER BY seq LIMIT $1",
        limit,
    )
    return [_row(record) for record in rows]


def _row(record: asyncpg.Record) -> OutboxRow:
    return OutboxRow(
        seq=record["seq"],
        id=record["id"],
        subject=record["subject"],
        payload=bytes(record["payload"]),
        headers=dict(record["headers"] or {}),
        created_at=record["created_at"],
        published_at=record["published_at"],
    )


class OutboxRelay:
    """Publishes unpublished outbox rows to JetStream, in order, until stopped."""

    def __init__(
        self,
        pool: Pool,
        js: JetStream,
        *,
        table: str = "outbox",
        batch_size: int = 100,
        poll_interval_s: float = 0.5,
        publish_timeout_s: float = 2.0,
        max_backoff_s: float = 10.0,
    ) -> None:
        self._pool = pool
        self._js = js
        self._table = validate_schema(table)
        self._batch_size = batch_size
        self._poll_s = poll_interval_s
        self._publish_timeout_s = publish_timeout_s
        self._max_backoff_s = max_backoff_s
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self.published = 0

    def wake(self) -> None:
        """Relay now rather than at the next poll (call after committing an event)."""
        self._wake.set()

    def stop(self) -> None:
        """Finish the batch in hand, then return from run()."""
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Relay until stop(); Postgres or NATS failures are logged and retried with backoff."""
        failures = 0
        while not self._stopping.is_set():
            try:
                relayed = await self.relay_once()
            except _OUTAGES as exc:
                failures += 1
                delay = self._backoff(failures)
                _log.warning("outbox relay failed (%s); retrying in %.1fs", exc, delay)
                await self._sleep(delay)
                continue
            failures = 0
            if relayed < self._batch_size:
                await self._sleep(self._poll_s)

    def _backoff(self, failures: int) -> float:
        base = min(self._max_backoff_s, 0.1 * 2.0 ** min(failures, 10))
        return base / 2 + random.uniform(0, base / 2)  # noqa: S311 - jitter, not security

    async def _sleep(self, seconds: float) -> None:
        try:
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        except TimeoutError:
            pass
        self._wake.clear()

    async def relay_once(self) -> int:
        """Publish one batch in order and mark it; how many rows were published.

        Raises what NATS or Postgres raised: the rows published before the failure stay marked.
        """
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await self._lock_batch(conn)
            if not rows:
                return 0
            published: list[str] = []
            try:
                for row in rows:
                    await self._publish(row)
                    published.append(row.id)
            finally:
                if published:
                    await conn.execute(
                        f"UPDATE {self._table} SET published_at = now() WHERE id = ANY($1)",
                        published,
                    )
        self.published += len(published)
        return len(published)

    async def _lock_batch(self, conn: PoolConnection) -> list[OutboxRow]:
        records = await conn.fetch(
            f"SELECT * FROM {self._table} WHERE published_at IS NULL "
            "ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
            self._batch_size,
        )
        if not records:
            return []
        oldest = await conn.fetchval(
            f"SELECT min(seq) FROM {self._table} WHERE published_at IS NULL"
        )
        if oldest is not None and oldest < records[0]["seq"]:
            # Another relay holds older rows: publishing ours now would overtake them.
            return []
        return [_row(record) for record in records]

    async def _publish(self, row: OutboxRow) -> None:
        headers = {**row.headers, MSG_ID_HEADER: row.id}
        parent = tracing.extract(row.headers)
        with _tracer.start_as_current_span(
            f"{row.subject} publish", context=parent, kind=SpanKind.PRODUCER
        ) as span:
            span.set_attribute("messaging.system", "nats")
            span.set_attribute("messaging.destination.name", row.subject)
            span.set_attribute("messaging.message.id", row.id)
            await self._js.publish(
                row.subject, row.payload, timeout=self._publish_timeout_s, headers=headers
            )


async def published_ids(pool: Pool, ids: Sequence[str], *, table: str = "outbox") -> set[str]:
    """Which of these event ids are marked published."""
    rows = await pool.fetch(
        f"SELECT id FROM {validate_schema(table)} WHERE id = ANY($1) AND published_at IS NOT NULL",
        list(ids),
    )
    return {row["id"] for row in rows}
