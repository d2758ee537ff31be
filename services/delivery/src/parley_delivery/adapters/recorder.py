"""Recording sent parts in batches: concurrent replies share one statement (one commit).

The first record goes out at once; records that arrive while a statement is running wait for
the next one, so nothing waits when the service is quiet and commits are shared when it is busy.
Each caller learns the fate of its own record: a failed statement fails every record in it, as
a failed single record would (the reply stays in doubt and is reconciled from its echo).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from parley_delivery.adapters.events import OutboxEntry
from parley_kit.db import Pool

BATCH_MAX = 200

_RECORD = """
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::bool[],
                         $7::text[], $8::text[], $9::text[], $10::bytea[], $11::text[])
        WITH ORDINALITY AS i(key, part, mid, mtype, tag, last, kind, eid, subject, payload,
                             headers, n)
), r AS (
    UPDATE replies AS x SET parts_sent = greatest(x.parts_sent, i.part + 1),
        message_ids = CASE WHEN i.mid = ANY(x.message_ids) THEN x.message_ids
                           ELSE array_append(x.message_ids, i.mid) END,
        in_doubt = false, lease_until = clock_timestamp(), messaging_type = i.mtype, tag = i.tag,
        state = CASE WHEN i.last THEN 'sent' ELSE x.state END,
        finished_at = CASE WHEN i.last THEN clock_timestamp() ELSE x.finished_at END,
        updated_at = clock_timestamp()
    FROM input i WHERE x.idempotency_key = i.key
    RETURNING x.idempotency_key, x.page_id, x.recipient_id
), m AS (
    INSERT INTO outbound_messages (message_id, idempotency_key, part, page_id, recipient_id,
        kind, sent_at)
    SELECT i.mid, i.key, i.part, r.page_id, r.recipient_id, i.kind, clock_timestamp()
    FROM r JOIN input i ON i.key = r.idempotency_key
    ON CONFLICT DO NOTHING
), o AS (
    INSERT INTO outbox (id, subject, payload, headers)
    SELECT i.eid, i.subject, i.payload, i.headers::jsonb FROM input i
    WHERE i.eid IS NOT NULL ORDER BY i.n
)
SELECT count(*) FROM r
"""


@dataclass(frozen=True)
class SentPart:
    """A part Meta accepted; `event` (the reply_sent event) with the last part only."""

    idempotency_key: str
    part: int
    message_id: str
    kind: str
    messaging_type: str
    tag: str
    last: bool
    event: OutboxEntry | None


class PartRecorder:
    """Records sent parts, batching the records of concurrent replies."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._pending: list[tuple[SentPart, asyncio.Future[None]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def record(self, part: SentPart) -> None:
        """Store the part (and the reply's outcome and event with the last one)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((part, future))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        await future

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:BATCH_MAX], self._pending[BATCH_MAX:]
            try:
                await self._pool.fetchval(_RECORD, *_columns([part for part, _ in batch]))
            except Exception as exc:  # noqa: BLE001 - each caller gets the failure of its own
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)


def _columns(parts: list[SentPart]) -> tuple[list[object], ...]:
    events = [part.event for part in parts]
    return (
        [p.idempotency_key for p in parts],
        [p.part for p in parts],
        [p.message_id for p in parts],
        [p.messaging_type for p in parts],
        [p.tag for p in parts],
        [p.last for p in parts],
        [p.kind for p in parts],
        [None if e is None else e.event_id for e in events],
        [None if e is None else e.subject for e in events],
        [None if e is None else e.payload for e in events],
        [None if e is None else json.dumps(e.headers) for e in events],
    )
