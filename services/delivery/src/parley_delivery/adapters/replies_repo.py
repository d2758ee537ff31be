"""Replies and their outbound messages in PostgreSQL: context, claims, outcomes, the log.

The hot path is one statement each: claim an attempt (with a rate token and the buyer's window),
then record the sent part with the reply's outcome and event (adapters/recorder.py, batched).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import asyncpg

from parley_delivery.domain.model import Outcome, Progress, Reply, ThreadMove, Window
from parley_delivery.domain.ratelimit import Bucket
from parley_kit.db import Pool, PoolConnection

Db: TypeAlias = "Pool | PoolConnection"

_CONTEXT = """
SELECT r.state, r.thread_done, r.parts_sent, r.message_ids, r.attempts,
       w.last_action_at, w.last_message_at, coalesce(p.blocked, false) AS blocked,
       c.created_at AS comment_at,
       ($4 <> '' AND EXISTS (
           SELECT 1 FROM replies o
           WHERE o.comment_id = $4 AND o.state = 'sent' AND o.idempotency_key <> $1
       )) AS comment_answered
FROM (SELECT 1) AS one
LEFT JOIN replies r ON r.idempotency_key = $1
LEFT JOIN windows w ON w.page_id = $2 AND w.psid = $3
LEFT JOIN page_policy p ON p.page_id = $2
LEFT JOIN comments c ON c.comment_id = $4
"""

# Take a rate token for the Page and, if no other attempt holds the reply, claim it: in_doubt
# is set before the Send API call and cleared when its answer is recorded.
_CLAIM = """
WITH prior AS (
    SELECT state, thread_done, in_doubt, claimed_at, lease_until FROM replies
    WHERE idempotency_key = $1
), bucket AS (
    INSERT INTO rate_buckets AS b (page_id, tokens, updated_at)
    VALUES ($2, $15::float8 - 1, clock_timestamp())
    ON CONFLICT (page_id) DO UPDATE SET
        tokens = least($15::float8, b.tokens + greatest(0, extract(epoch FROM
            clock_timestamp() - b.updated_at)::float8) * $14::float8) - 1,
        updated_at = clock_timestamp()
    RETURNING tokens
), waiting AS (
    SELECT greatest(0, -(SELECT tokens FROM bucket)) / $14::float8 AS wait_s
), claimed AS (
    INSERT INTO replies AS r (idempotency_key, page_id, recipient_id, comment_id,
        conversation_id, seller_id, author, agent_id, text, decided_at, state, thread_action,
        thread_done, in_doubt, claimed_at, lease_until, attempts)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'sending', $11, $12, true,
        clock_timestamp(),
        clock_timestamp() + make_interval(secs => $13::float8 + (SELECT wait_s FROM waiting)), 1)
    ON CONFLICT (idempotency_key) DO UPDATE SET in_doubt = true,
        claimed_at = excluded.claimed_at, lease_until = excluded.lease_until,
        attempts = r.attempts + 1, updated_at = clock_timestamp()
    WHERE r.state = 'sending' AND r.lease_until <= clock_timestamp()
    RETURNING parts_sent, message_ids, attempts
)
SELECT c.parts_sent, c.message_ids, c.attempts, p.state AS prior_state,
       p.thread_done AS prior_thread_done, p.in_doubt AS was_in_doubt,
       extract(epoch FROM clock_timestamp() - p.claimed_at)::float8 AS since_prior_claim_s,
       extract(epoch FROM p.lease_until - clock_timestamp())::float8 AS lease_left_s,
       (SELECT wait_s FROM waiting) AS wait_s,
       w.last_action_at, w.last_message_at, coalesce(pp.blocked, false) AS blocked,
       cm.created_at AS comment_at,
       ($4 <> '' AND EXISTS (
           SELECT 1 FROM replies o
           WHERE o.comment_id = $4 AND o.state = 'sent' AND o.idempotency_key <> $1
       )) AS comment_answered
FROM (SELECT 1) AS one LEFT JOIN claimed c ON true LEFT JOIN prior p ON true
LEFT JOIN windows w ON w.page_id = $2 AND w.psid = $3
LEFT JOIN page_policy pp ON pp.page_id = $2
LEFT JOIN comments cm ON cm.comment_id = $4
"""

_FINISH = """
INSERT INTO replies AS r (idempotency_key, page_id, recipient_id, comment_id, conversation_id,
    seller_id, author, agent_id, text, decided_at, state, detail, thread_action, thread_done,
    messaging_type, finished_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, clock_timestamp())
ON CONFLICT (idempotency_key) DO UPDATE SET state = excluded.state, detail = excluded.detail,
    in_doubt = false, lease_until = clock_timestamp(), finished_at = clock_timestamp(),
    updated_at = clock_timestamp()
WHERE r.state = 'sending'
RETURNING attempts, message_ids
"""


@dataclass(frozen=True)
class Claim:
    """The answer to a claim: whether this attempt may send, and what the last one left."""

    claimed: bool
    prior_state: Outcome | None
    prior_thread_done: bool
    parts_sent: int
    message_ids: list[str]
    attempts: int
    was_in_doubt: bool
    since_prior_claim_s: float | None
    lease_left_s: float
    wait_s: float
    window: Window


def _columns(reply: Reply) -> tuple[object, ...]:
    return (
        reply.idempotency_key,
        reply.page_id,
        reply.recipient_id,
        reply.comment_id,
        reply.conversation_id,
        reply.seller_id,
        reply.author.value,
        reply.agent_id,
        reply.content.text,
        reply.decided_at,
    )


async def load_context(db: Db, reply: Reply) -> tuple[Progress, Window]:
    """The reply's stored progress and its buyer's window, in one round trip."""
    row = await db.fetchrow(
        _CONTEXT, reply.idempotency_key, reply.page_id, reply.recipient_id, reply.comment_id
    )
    if row is None:
        raise RuntimeError("the context query returned no row")
    return _progress(row), _window(row)


def _progress(row: asyncpg.Record) -> Progress:
    if row["state"] is None:
        return Progress()
    return Progress(
        outcome=Outcome(row["state"]),
        thread_done=row["thread_done"],
        parts_sent=row["parts_sent"],
        message_ids=list(row["message_ids"]),
        attempts=row["attempts"],
    )


def _window(row: asyncpg.Record) -> Window:
    return Window(
        last_action_at=row["last_action_at"],
        last_message_at=row["last_message_at"],
        page_blocked=row["blocked"],
        comment_at=row["comment_at"],
        comment_answered=row["comment_answered"],
    )


async def claim(db: Db, reply: Reply, *, lease_s: float, bucket: Bucket) -> Claim:
    """Take a rate token and claim the next attempt (unless another attempt holds the reply);
    the buyer's window comes with it."""
    row = await db.fetchrow(
        _CLAIM,
        *_columns(reply),
        reply.thread_move.value,
        reply.thread_move is ThreadMove.NONE,
        lease_s,
        bucket.rate,
        bucket.burst,
    )
    if row is None:
        raise RuntimeError("the claim query returned no row")
    claimed = row["parts_sent"] is not None
    return Claim(
        claimed=claimed,
        prior_state=None if row["prior_state"] is None else Outcome(row["prior_state"]),
        prior_thread_done=bool(row["prior_thread_done"]),
        parts_sent=row["parts_sent"] or 0,
        message_ids=list(row["message_ids"] or []),
        attempts=row["attempts"] or 0,
        was_in_doubt=bool(row["was_in_doubt"]),
        since_prior_claim_s=row["since_prior_claim_s"],
        lease_left_s=max(0.0, row["lease_left_s"] or 0.0),
        wait_s=row["wait_s"] or 0.0,
        window=_window(row),
    )


async def release(db: Db, key: str, *, in_doubt: bool) -> None:
    """End an attempt without an answer to record: certainly failed, or still in doubt."""
    await db.execute(
        "UPDATE replies SET in_doubt = $2, lease_until = clock_timestamp(), "
        "updated_at = clock_timestamp() WHERE idempotency_key = $1 AND state = 'sending'",
        key,
        in_doubt,
    )


async def finish(
    db: Db, reply: Reply, outcome: Outcome, detail: str, *, messaging_type: str = ""
) -> tuple[int, list[str]] | None:
    """Settle the message part with an outcome other than sent; (attempts, message ids), or
    None when it was already settled (its event was recorded then)."""
    row = await db.fetchrow(
        _FINISH,
        *_columns(reply),
        outcome.value,
        detail[:2000],
        reply.thread_move.value,
        reply.thread_move is ThreadMove.NONE,
        messaging_type,
    )
    return None if row is None else (row["attempts"], list(row["message_ids"]))


async def finish_thread(db: Db, key: str) -> bool:
    """Mark the reply's thread action done; False when it already was."""
    status: str = await db.execute(
        "UPDATE replies SET thread_done = true, updated_at = clock_timestamp() "
        "WHERE idempotency_key = $1 AND NOT thread_done",
        key,
    )
    return status.endswith(" 1")


async def find_echo(db: Db, key: str, part: int) -> str | None:
    """The message id of our own send's echo, if it came."""
    found: str | None = await db.fetchval(
        "SELECT message_id FROM echoes WHERE idempotency_key = $1 AND part = $2", key, part
    )
    return found


@dataclass(frozen=True)
class Settled:
    """A reply's stored outcome."""

    outcome: Outcome
    detail: str
    message_ids: list[str]
    messaging_type: str
    tag: str


async def get_settled(db: Db, key: str) -> Settled | None:
    """The reply's outcome as stored (SENDING while under way), or None if unknown."""
    row = await db.fetchrow(
        "SELECT state, detail, message_ids, messaging_type, tag FROM replies "
        "WHERE idempotency_key = $1",
        key,
    )
    if row is None:
        return None
    return Settled(
        Outcome(row["state"]),
        row["detail"],
        list(row["message_ids"]),
        row["messaging_type"],
        row["tag"],
    )
