"""The outbound log of a conversation: replies, newest first, with their messages' statuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from parley_delivery.domain.model import Author, Outcome, ThreadMove
from parley_kit.db import Pool


@dataclass(frozen=True)
class LoggedMessage:
    """One message Meta accepted."""

    message_id: str
    part: int
    status: str
    sent_at: datetime
    delivered_at: datetime | None
    read_at: datetime | None


@dataclass
class LoggedReply:
    """One reply and what became of it."""

    idempotency_key: str
    conversation_id: str
    comment_id: str
    author: Author
    outcome: Outcome
    detail: str
    text: str
    messaging_type: str
    tag: str
    thread_move: ThreadMove
    decided_at: datetime
    finished_at: datetime | None
    created_at: datetime
    attempts: int
    messages: list[LoggedMessage] = field(default_factory=list)


async def list_replies(
    pool: Pool,
    *,
    page_id: str,
    recipient_id: str,
    limit: int,
    before: tuple[datetime, str] | None,
) -> list[LoggedReply]:
    """A conversation's replies created before the cursor (created_at, key), newest first."""
    rows = await pool.fetch(
        "SELECT * FROM replies WHERE page_id = $1 AND recipient_id = $2 "
        "AND ($3::timestamptz IS NULL OR (created_at, idempotency_key) < ($3, $4)) "
        "ORDER BY created_at DESC, idempotency_key DESC LIMIT $5",
        page_id,
        recipient_id,
        None if before is None else before[0],
        "" if before is None else before[1],
        limit,
    )
    replies = [
        LoggedReply(
            idempotency_key=row["idempotency_key"],
            conversation_id=row["conversation_id"],
            comment_id=row["comment_id"],
            author=Author(row["author"]),
            outcome=Outcome(row["state"]),
            detail=row["detail"],
            text=row["text"],
            messaging_type=row["messaging_type"],
            tag=row["tag"],
            thread_move=ThreadMove(row["thread_action"]),
            decided_at=row["decided_at"],
            finished_at=row["finished_at"],
            created_at=row["created_at"],
            attempts=row["attempts"],
        )
        for row in rows
    ]
    await _attach_messages(pool, replies)
    return replies


async def _attach_messages(pool: Pool, replies: list[LoggedReply]) -> None:
    by_key = {reply.idempotency_key: reply for reply in replies}
    if not by_key:
        return
    rows = await pool.fetch(
        "SELECT * FROM outbound_messages WHERE idempotency_key = ANY($1) ORDER BY part",
        list(by_key),
    )
    for row in rows:
        by_key[row["idempotency_key"]].messages.append(
            LoggedMessage(
                message_id=row["message_id"],
                part=row["part"],
                status=row["status"],
                sent_at=row["sent_at"],
                delivered_at=row["delivered_at"],
                read_at=row["read_at"],
            )
        )
