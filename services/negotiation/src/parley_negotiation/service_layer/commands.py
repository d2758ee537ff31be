"""Reply commands for delivery, stored in the outbox in the conversation's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from parley.events.v1 import replies_pb2 as replies
from parley_kit import tracing
from parley_kit.db import PoolConnection
from parley_kit.outbox import add_event
from parley_negotiation.domain.model import Pacing, QuickReply
from parley_negotiation.service_layer.unit import METADATA_PREFIX


@dataclass(frozen=True)
class Outgoing:
    """What to send to a buyer (text may be empty when only the thread moves)."""

    page_id: str
    seller_id: str
    conversation_id: str
    recipient_id: str = ""
    comment_id: str = ""
    text: str = ""
    quick_replies: tuple[QuickReply, ...] = ()
    decision: str = ""
    language: str = ""
    pacing: Pacing = Pacing.HUMAN
    thread_action: int = replies.THREAD_ACTION_UNSPECIFIED
    thread_reason: str = ""
    human: bool = False


async def store_command(
    conn: PoolConnection,
    out: Outgoing,
    *,
    key: str,
    prefix: str,
    decided_at: datetime,
    in_reply_to: tuple[str, datetime] | None = None,
) -> str:
    """Put the reply command in the outbox (Nats-Msg-Id and idempotency key = `key`)."""
    command = replies.ReplyCommand(
        idempotency_key=key,
        page_id=out.page_id,
        recipient_id=out.recipient_id,
        comment_id=out.comment_id,
        conversation_id=out.conversation_id,
        author=replies.REPLY_AUTHOR_HUMAN if out.human else replies.REPLY_AUTHOR_BOT,
        seller_id=out.seller_id,
        pacing=(
            replies.REPLY_PACING_HUMAN
            if out.pacing is Pacing.HUMAN
            else replies.REPLY_PACING_INSTANT
        ),
        thread_action=out.thread_action,  # type: ignore[arg-type]
        thread_reason=out.thread_reason,
        language=out.language,
    )
    if out.text:
        command.message.CopyFrom(
            replies.ReplyMessage(
                text=out.text,
                quick_replies=[
                    replies.QuickReply(title=q.title, payload=q.payload) for q in out.quick_replies
                ],
                metadata=f"{METADATA_PREFIX}{out.decision or 'reply'}",
            )
        )
    command.decided_at.FromDatetime(decided_at)
    if in_reply_to is not None:
        command.in_reply_to_event_id = in_reply_to[0]
        command.in_reply_to_at.FromDatetime(in_reply_to[1])
    command.trace_context.CopyFrom(tracing.trace_context())
    subject = f"{prefix}.{out.page_id}"
    return await add_event(conn, subject=subject, payload=command.SerializeToString(), event_id=key)
