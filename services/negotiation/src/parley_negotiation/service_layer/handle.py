"""Inbound events: stored once, answered when the bot may answer, in one transaction each."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from parley.events.v1 import replies_pb2 as replies
from parley.events.v1.inbound_pb2 import InboundEvent
from parley_kit import payloads
from parley_kit.db import unit_of_work
from parley_negotiation.adapters import conversations_repo as repo
from parley_negotiation.adapters.conversations_repo import State
from parley_negotiation.adapters.tenants import ListingContext
from parley_negotiation.domain import engine
from parley_negotiation.service_layer import attachments, comments, events, notices
from parley_negotiation.service_layer.commands import Outgoing
from parley_negotiation.service_layer.turn import Turn
from parley_negotiation.service_layer.unit import METADATA_PREFIX, PAGE_INBOX_APP_ID, Deps

log = logging.getLogger(__name__)

# Kinds negotiation acts on; the others (delivery, read, optin, policy...) are delivery's or
# analytics' business.
_CONVERSATION_KINDS = frozenset(
    {
        "message",
        "postback",
        "referral",
        "echo",
        "reaction",
        "pass_thread_control",
        "take_thread_control",
    }
)
# Every kind handle_event does anything with: the inbound consumer asks JetStream for these
# only, so the receipts that follow every reply (delivery, read) are never fetched and acked.
HANDLED_KINDS = _CONVERSATION_KINDS | {"feed_comment"}


async def handle_event(deps: Deps, event: InboundEvent) -> str:
    """Handle one inbound event; what happened, in a word (for logs and tests)."""
    kind = event.WhichOneof("kind")
    if kind == "feed_comment":
        return await comments.handle_comment(deps, event)
    if kind not in _CONVERSATION_KINDS:
        return "ignored"
    page = await deps.tenants.page(event.page_id)
    if page is None:
        log.info(
            "event %s is for page %s, which no seller connected", event.event_id, event.page_id
        )
        return "unknown_page"
    killed = await deps.tenants.kill_switch()
    buyer = event.echo.buyer_id if kind == "echo" else event.sender_id
    async with unit_of_work(deps.pool) as conn:
        if not await repo.mark_handled(conn, event.event_id):
            return "duplicate"
        now = deps.clock()
        conversation = await repo.lock_conversation(
            conn, page_id=page.page_id, buyer_id=buyer, seller_id=page.seller_id, now=now
        )
        turn = Turn(deps, conn, event, page, conversation, now)
        turn.silenced = _silence(turn, killed)
        outcome = await _ROUTES[kind](turn)
        if kind not in ("echo", "take_thread_control") and not turn.silenced:
            turn.update(last_event_at=turn.occurred_at)
        await repo.save_conversation(conn, turn.conversation)
        await events.state_changed(
            conn, deps.events_prefix, before=conversation, after=turn.conversation, at=now
        )
    if turn.commands:
        deps.on_outbox()
    return outcome


def _silence(turn: Turn, killed: bool) -> str:
    """Why the bot must not answer this event, or ""."""
    conversation = turn.conversation
    reasons = (
        (killed, "kill switch engaged"),
        (not turn.page.active, f"page paused: {turn.page.status_reason or 'paused'}"),
        (turn.event.standby, "another app owns the thread"),
        (conversation.state is not State.BOT, f"conversation is {conversation.state.value}"),
        (
            conversation.last_event_at is not None
            and turn.occurred_at < conversation.last_event_at,
            "a newer message was answered already",
        ),
    )
    return next((reason for found, reason in reasons if found), "")


async def _listing(turn: Turn) -> ListingContext | None:
    """The conversation's listing, or the Page's newest one for sale."""
    if turn.conversation.listing_id:
        found = await turn.deps.tenants.listing(turn.conversation.listing_id)
        if found is not None:
            return found
    listings = await turn.deps.tenants.page_listings(turn.page.page_id, turn.page.seller_id)
    if listings:
        await turn.attach(listings[0])
        return listings[0]
    return None


async def _attach_ref(turn: Turn, ref: str) -> ListingContext | None:
    """Tie the conversation to the listing an m.me ref names."""
    if not ref:
        return None
    listing = await turn.deps.tenants.listing_by_ref(turn.page.page_id, ref)
    if listing is None:
        log.info("ref %r names no listing on page %s", ref, turn.page.page_id)
        return None
    await turn.attach(listing)
    return listing


async def _no_listing(turn: Turn) -> str:
    """Nothing for sale to talk about: the seller answers."""
    turn.update(state=State.HUMAN, state_reason="no listing for sale on this Page")
    out = Outgoing(
        page_id=turn.page.page_id,
        seller_id=turn.page.seller_id,
        conversation_id=turn.conversation.conversation_id,
        recipient_id=turn.conversation.buyer_id,
        thread_action=replies.THREAD_ACTION_PASS_TO_INBOX,
        thread_reason="no listing for sale on this Page",
    )
    await turn.send(out, suffix="handover")
    return "handed_over"


async def on_message(turn: Turn) -> str:
    message = turn.event.message
    kind = attachments.kind_of(message.attachments)
    await turn.note_inbound(message.text or attachments.describe(message.attachments))
    if turn.silenced:
        return "stored"
    listing = await _attach_ref(turn, message.referral.ref) or await _listing(turn)
    if listing is None:
        return await _no_listing(turn)
    state = turn.negotiation()
    if message.quick_reply_payload:
        decision = engine.answer_payload(
            state, message.quick_reply_payload, listing.facts, listing.rules, turn.now
        )
    else:
        decision = engine.respond(
            state, message.text, listing.facts, listing.rules, turn.now, attachment=kind
        )
    await turn.apply(decision, listing)
    return decision.action.value


async def on_postback(turn: Turn) -> str:
    postback = turn.event.postback
    await turn.note_inbound(postback.title or postback.payload)
    if turn.silenced:
        return "stored"
    listing = await _attach_ref(turn, postback.referral.ref) or await _listing(turn)
    if listing is None:
        return await _no_listing(turn)
    state = turn.negotiation()
    if postback.payload == payloads.GET_STARTED or postback.referral.ref:
        decision = engine.greet(state, listing.facts, listing.rules, turn.now)
    else:
        decision = engine.answer_payload(
            state, postback.payload, listing.facts, listing.rules, turn.now
        )
    await turn.apply(decision, listing)
    return decision.action.value


async def on_referral(turn: Turn) -> str:
    ref = turn.event.referral.referral.ref
    await turn.note_inbound(f"[opened the conversation from a link: {ref}]")
    if turn.silenced:
        return "stored"
    listing = await _attach_ref(turn, ref)
    if listing is None:
        return "stored"
    decision = engine.greet(turn.negotiation(), listing.facts, listing.rules, turn.now)
    await turn.apply(decision, listing)
    return decision.action.value


async def on_echo(turn: Turn) -> str:
    """Our own echoes are known; a person writing from the Page Inbox takes over."""
    echo = turn.event.echo
    if echo.metadata.startswith(METADATA_PREFIX):
        return "own_echo"
    text = echo.text or attachments.describe(echo.attachments)
    await turn.note_outbound(text, "human", at=turn.occurred_at)
    if echo.app_id == PAGE_INBOX_APP_ID or not echo.app_id:
        if turn.conversation.state is State.BOT:
            turn.update(state=State.HUMAN, state_reason="the seller answered from the Page Inbox")
        return "human_answered"
    return "stored"


async def on_reaction(turn: Turn) -> str:
    reaction = turn.event.reaction
    await turn.note_inbound(f"[reacted {reaction.emoji or reaction.reaction}]")
    return "stored"


async def on_thread_passed(turn: Turn) -> str:
    """The thread came back to us (the seller marked it done in the Page Inbox)."""
    passed = turn.event.pass_thread_control
    if passed.new_owner_app_id == PAGE_INBOX_APP_ID:
        return "stored"
    if turn.conversation.state is not State.HUMAN:
        return "stored"
    turn.update(state=State.BOT, state_reason="")
    await resume_message(turn)
    return "resumed"


async def resume_message(turn: Turn) -> None:
    """Tell the buyer the assistant answers again (disclosure where the law asks for it)."""
    listing = await _listing(turn)
    language = turn.negotiation().language or (listing.rules.language if listing else "en")
    out = Outgoing(
        page_id=turn.page.page_id,
        seller_id=turn.page.seller_id,
        conversation_id=turn.conversation.conversation_id,
        recipient_id=turn.conversation.buyer_id,
        text=notices.resumed_text(language),
        decision="resume",
        language=language,
    )
    await turn.note_outbound(out.text, "bot", "resume")
    await turn.send(out, suffix="resume")


async def on_thread_taken(turn: Turn) -> str:
    """Someone (the Page Inbox) took the thread from us: a person answers now."""
    if turn.conversation.state is State.BOT:
        turn.update(state=State.HUMAN, state_reason="the thread was taken in the Page Inbox")
    return "human_took_over"


_ROUTES: dict[str, Callable[[Turn], Awaitable[str]]] = {
    "message": on_message,
    "postback": on_postback,
    "referral": on_referral,
    "echo": on_echo,
    "reaction": on_reaction,
    "pass_thread_control": on_thread_passed,
    "take_thread_control": on_thread_taken,
}
