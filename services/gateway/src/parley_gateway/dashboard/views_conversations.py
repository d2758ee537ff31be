"""A Page's conversations, one conversation, and taking over, handing back and replying.

Replying as a person goes through delivery's SendAsHuman, which picks the tag Messenger's policy
asks for (none inside 24 hours, HUMAN_AGENT to 7 days) and refuses after 7 days. Parley can only
send while its app owns the thread, so when the Page Inbox has it (after a takeover) the reply
first takes the thread back for Parley; negotiation keeps the conversation with the person.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode

from starlette.responses import Response

from parley.events.v1 import replies_pb2
from parley.negotiation.v1 import negotiation_pb2 as npb
from parley.tenants.v1 import tenants_pb2 as pb
from parley_gateway.adapters.calls import Refused
from parley_gateway.adapters.delivery import HumanReply
from parley_gateway.dashboard.conversation_html import (
    REPLY_STATES,
    STATE_NAMES,
    ConversationView,
    Draft,
    conversation_body,
    moment,
    stamp,
)
from parley_gateway.dashboard.html import fmt, link, table
from parley_gateway.dashboard.layout import see_other
from parley_gateway.dashboard.money import money
from parley_gateway.dashboard.numbers import STATES, state_links
from parley_gateway.dashboard.scope import NotYours
from parley_gateway.dashboard.visit import Visit

PAGE_SIZE = 50
MAX_REPLY = 5000
_FORM_KEY = re.compile(r"[A-Za-z0-9-]{16,64}")
_STATE_BY_NAME = {name: state for state, name, _ in STATES}


def _row(c: npb.Conversation, titles: dict[str, str]) -> tuple[object, ...]:
    return (
        link(f"/dashboard/conversations/{c.conversation_id}", c.buyer_id),
        titles.get(c.listing_id, "-"),
        STATE_NAMES.get(c.state, "Unknown"),
        money(c.last_offer_minor, c.currency) if c.last_offer_minor else "-",
        money(c.last_counter_minor, c.currency) if c.last_counter_minor else "-",
        money(c.agreed_price_minor, c.currency) if c.agreed_price_minor else "-",
        moment(stamp(c.updated_at)),
    )


async def page_conversations(visit: Visit) -> Response:
    """A Page's conversations, newest first, filtered by state, 50 at a time."""
    page = await visit.scope.page(visit.param("page_id"))
    chosen = visit.query("state") if visit.query("state") in _STATE_BY_NAME else ""
    listed, listings = await asyncio.gather(
        visit.services.negotiation.conversations(
            page.page_id,
            state=_STATE_BY_NAME.get(chosen, npb.CONVERSATION_STATE_UNSPECIFIED),
            page_size=PAGE_SIZE,
            page_token=visit.query("after", 300),
        ),
        visit.scope.listings(),
    )
    found, next_token = listed
    titles = {item.listing_id: item.title for item in listings}
    mine = [c for c in found if c.seller_id == visit.seller_id and c.page_id == page.page_id]
    headers = ("Buyer", "Listing", "Who answers", "Last offer", "Counter", "Agreed", "Updated")
    query = urlencode({"state": chosen, "after": next_token})
    older = fmt('<p><a href="?{}">Older conversations</a></p>', query) if next_token else fmt("")
    body = fmt(
        "<p>{}</p>{}{}",
        state_links(page.page_id, chosen),
        table(headers, [_row(c, titles) for c in mine], "No conversations here."),
        older,
    )
    return visit.page(f"Conversations on {page.name}", body)


async def _owner(visit: Visit, c: npb.Conversation) -> str:
    try:
        owner = await visit.services.delivery.thread_owner(c.page_id, c.buyer_id)
    except Refused as exc:
        return f"unknown ({exc.details})"
    if owner.with_parley:
        return "Parley"
    if owner.with_page_inbox:
        return "the Page Inbox (a person)"
    return f"another app ({owner.owner_app_id})" if owner.owner_app_id else "nobody yet"


async def _listing(visit: Visit, listing_id: str) -> pb.Listing | None:
    if not listing_id:
        return None
    try:
        return await visit.scope.listing(listing_id)
    except NotYours:
        return None


async def _render(
    visit: Visit, conversation_id: str, *, draft: Draft | None = None, status: int = 200
) -> Response:
    conversation, page = await visit.scope.conversation(conversation_id)
    delivery = visit.services.delivery
    window, owner, outbound, listing = await asyncio.gather(
        delivery.window(page.page_id, conversation.buyer_id),
        _owner(visit, conversation),
        delivery.outbound(page.page_id, conversation.buyer_id),
        _listing(visit, conversation.listing_id),
    )
    human = [
        reply
        for reply in outbound
        if reply.conversation_id == conversation.conversation_id
        and reply.author == replies_pb2.REPLY_AUTHOR_HUMAN
    ]
    view = ConversationView(conversation, page, window, owner, human, listing)
    body = conversation_body(
        view,
        csrf=visit.csrf,
        now=datetime.now(UTC),
        flash=visit.query("done", 20),
        draft=draft or Draft(),
        new_key=str(uuid.uuid4()),
    )
    return visit.page(f"Conversation with {conversation.buyer_id}", body, status)


async def show(visit: Visit) -> Response:
    """One conversation."""
    return await _render(visit, visit.param("conversation_id"))


def _back(conversation_id: str, done: str) -> Response:
    return see_other(f"/dashboard/conversations/{conversation_id}?done={done}")


async def take_over(visit: Visit) -> Response:
    """The seller takes over: the bot falls silent, the thread goes to the Page Inbox."""
    conversation, _ = await visit.scope.conversation(visit.param("conversation_id"))
    reason = "taken over from the dashboard"
    await visit.services.negotiation.take_over(conversation.conversation_id, reason)
    return _back(conversation.conversation_id, "takeover")


async def resume(visit: Visit) -> Response:
    """The bot answers again."""
    conversation, _ = await visit.scope.conversation(visit.param("conversation_id"))
    try:
        await visit.services.negotiation.resume(conversation.conversation_id)
    except Refused as exc:
        draft = Draft(error=f"Not handed back: {exc.details}")
        return await _render(visit, conversation.conversation_id, draft=draft, status=409)
    return _back(conversation.conversation_id, "resume")


def _reply_problem(conversation: npb.Conversation, text: str, key: str) -> str:
    if conversation.state not in REPLY_STATES:
        return "Not sent: take the conversation over first, so that the bot is silent."
    if not text:
        return "Not sent: write a reply first."
    if len(text) > MAX_REPLY:
        return f"Not sent: a reply is at most {MAX_REPLY} characters."
    if not _FORM_KEY.fullmatch(key):
        return "Not sent: the form is out of date; reload the page."
    return ""


async def reply(visit: Visit) -> Response:
    """Send the seller's reply once, however often the form is sent."""
    conversation, page = await visit.scope.conversation(visit.param("conversation_id"))
    text, key = visit.form.get("text").strip(), visit.form.get("key")
    problem = _reply_problem(conversation, text, key)
    if problem:
        draft = Draft(text, key if _FORM_KEY.fullmatch(key) else "", problem)
        return await _render(visit, conversation.conversation_id, draft=draft, status=409)
    message = HumanReply(
        page_id=page.page_id,
        recipient_id=conversation.buyer_id,
        text=text,
        idempotency_key=visit.signer.reply_key(visit.seller_id, conversation.conversation_id, key),
        conversation_id=conversation.conversation_id,
        seller_id=visit.seller_id,
        agent_id=f"dashboard:{visit.seller_id}",
    )
    try:
        await _own_thread(visit, message)
        sent = await visit.services.delivery.send_as_human(message)
    except Refused as exc:
        draft = Draft(text, key, f"Not sent: {exc.details}")
        return await _render(visit, conversation.conversation_id, draft=draft, status=409)
    return _back(conversation.conversation_id, "sent_tagged" if sent.tag else "sent")


async def _own_thread(visit: Visit, message: HumanReply) -> None:
    """Take the thread back from the Page Inbox: only the owner of a thread may send in it."""
    delivery = visit.services.delivery
    owner = await delivery.thread_owner(message.page_id, message.recipient_id)
    if owner.with_page_inbox:
        reason = "the seller answers from the Parley dashboard"
        await delivery.take_thread(message.page_id, message.recipient_id, reason)
