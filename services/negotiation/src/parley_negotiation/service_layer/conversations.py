"""Reading conversations, handing them to a person and back, and forgetting them."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime

from parley.events.v1 import replies_pb2 as replies
from parley_kit.db import PoolConnection, unit_of_work
from parley_kit.errors import FailedPrecondition, InvalidArgument, NotFound
from parley_negotiation.adapters import conversations_repo as repo
from parley_negotiation.adapters.conversations_repo import Conversation, Line, State
from parley_negotiation.domain.model import NegotiationState
from parley_negotiation.service_layer import events, notices
from parley_negotiation.service_layer.commands import Outgoing, store_command
from parley_negotiation.service_layer.unit import Deps

MAX_PAGE_SIZE = 500


async def get_conversation(deps: Deps, conversation_id: str) -> tuple[Conversation, list[Line]]:
    """A conversation with its transcript, or NotFound."""
    async with deps.pool.acquire() as conn:
        found = await repo.get_conversation(conn, conversation_id)
        if found is None:
            raise NotFound(f"no conversation {conversation_id!r}")
        return found, await repo.transcript(conn, conversation_id)


async def list_conversations(
    deps: Deps, *, page_id: str, state: State | None, page_size: int, cursor: str
) -> tuple[list[Conversation], str]:
    """A Page's conversations, most recent first, and the cursor of the next page ("" at end)."""
    if not page_id:
        raise InvalidArgument("page_id: is required")
    size = page_size or 50
    if not 0 < size <= MAX_PAGE_SIZE:
        raise InvalidArgument(f"page_size: must be 1 to {MAX_PAGE_SIZE}")
    found = await repo.list_conversations(
        deps.pool, page_id=page_id, state=state, limit=size + 1, before=_decode(cursor)
    )
    more = len(found) > size
    found = found[:size]
    token = _encode(found[-1]) if more else ""
    return found, token


def _encode(conversation: Conversation) -> str:
    return f"{conversation.updated_at.isoformat()}|{conversation.conversation_id}"


def _decode(cursor: str) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    at, sep, cid = cursor.partition("|")
    try:
        return datetime.fromisoformat(at), cid
    except ValueError:
        raise InvalidArgument("page_token: not a token this service gave") from None


async def take_over(deps: Deps, *, conversation_id: str, reason: str) -> Conversation:
    """A person answers from now on: the bot stops and the thread goes to the Page Inbox."""
    async with unit_of_work(deps.pool) as conn:
        conversation = await _locked(conn, conversation_id)
        if conversation.state is State.HUMAN:
            return conversation
        why = reason or "taken over by the seller"
        changed = dataclasses.replace(
            conversation, state=State.HUMAN, state_reason=why, updated_at=deps.clock()
        )
        await repo.save_conversation(conn, changed)
        await events.state_changed(
            conn, deps.events_prefix, before=conversation, after=changed, at=changed.updated_at
        )
        out = _outgoing(changed, thread_action=replies.THREAD_ACTION_PASS_TO_INBOX, reason=why)
        await store_command(
            conn,
            out,
            key=f"takeover:{uuid.uuid4().hex}",
            prefix=deps.replies_prefix,
            decided_at=changed.updated_at,
        )
    deps.on_outbox()
    return changed


async def resume(deps: Deps, *, conversation_id: str) -> Conversation:
    """The bot answers again: it takes the thread back and tells the buyer it is automated."""
    async with unit_of_work(deps.pool) as conn:
        conversation = await _locked(conn, conversation_id)
        if conversation.state is State.BOT:
            return conversation
        if conversation.state is State.CLOSED:
            raise FailedPrecondition("state: the conversation is closed")
        now = deps.clock()
        changed = dataclasses.replace(
            conversation, state=State.BOT, state_reason="", updated_at=now
        )
        await repo.save_conversation(conn, changed)
        await events.state_changed(
            conn, deps.events_prefix, before=conversation, after=changed, at=now
        )
        language = NegotiationState.from_json(changed.negotiation).language or "en"
        out = dataclasses.replace(
            _outgoing(changed, thread_action=replies.THREAD_ACTION_TAKE_BACK, reason="resumed"),
            text=notices.resumed_text(language),
            decision="resume",
            language=language,
        )
        await repo.add_line(
            conn,
            conversation_id=conversation_id,
            direction="outbound",
            author="bot",
            text=out.text,
            at=now,
            decision="resume",
        )
        await store_command(
            conn, out, key=f"resume:{uuid.uuid4().hex}", prefix=deps.replies_prefix, decided_at=now
        )
    deps.on_outbox()
    return changed


async def forget(deps: Deps, *, buyer_id: str, page_ids: list[str]) -> int:
    """Delete a person's conversations as a buyer, and every conversation of their Pages."""
    async with unit_of_work(deps.pool) as conn:
        removed = await repo.forget_buyer(conn, buyer_id=buyer_id) if buyer_id else 0
        if page_ids:
            removed += await repo.forget_pages(conn, page_ids=page_ids)
    return removed


async def _locked(conn: PoolConnection, conversation_id: str) -> Conversation:
    if not conversation_id:
        raise InvalidArgument("conversation_id: is required")
    found = await repo.get_conversation(conn, conversation_id, lock=True)
    if found is None:
        raise NotFound(f"no conversation {conversation_id!r}")
    return found


def _outgoing(conversation: Conversation, *, thread_action: int, reason: str) -> Outgoing:
    return Outgoing(
        page_id=conversation.page_id,
        seller_id=conversation.seller_id,
        conversation_id=conversation.conversation_id,
        recipient_id=conversation.buyer_id,
        thread_action=thread_action,
        thread_reason=reason,
    )
