"""Comments on a listing's post: one private reply inviting the person to chat, when the
comment asks about the item (price, availability, "interested"); other comments are left."""

from __future__ import annotations

import re
from datetime import timedelta

from parley.events.v1 import inbound_pb2 as inbound
from parley.events.v1.inbound_pb2 import InboundEvent
from parley_kit.db import unit_of_work
from parley_negotiation.adapters import conversations_repo as repo
from parley_negotiation.adapters.tenants import ListingContext
from parley_negotiation.domain.reading import Intent, ReadContext
from parley_negotiation.domain.understanding import read
from parley_negotiation.service_layer import notices
from parley_negotiation.service_layer.commands import Outgoing, store_command
from parley_negotiation.service_layer.unit import Deps

# Meta allows one private reply per comment, within 7 days of it.
PRIVATE_REPLY_WINDOW = timedelta(days=7)
_ASKING = frozenset(
    {
        Intent.PRICE_QUESTION,
        Intent.AVAILABILITY,
        Intent.OFFER,
        Intent.ITEM_QUESTION,
        Intent.VIEWING,
        Intent.PAYMENT,
    }
)
_INTERESTED = re.compile(
    r"\b(interested|pm(?:'?d)?|dm(?:'?d)?|inbox(?:ed)?|how much|still (?:for sale|available))\b"
    r"|สนใจ|ราคา|เท่าไร|เท่าไหร่|ยังอยู่|ทักแชท",
    re.IGNORECASE,
)


async def handle_comment(deps: Deps, event: InboundEvent) -> str:
    """Answer a new comment that asks about a listing with one private reply."""
    comment = event.feed_comment
    if comment.verb != inbound.FEED_VERB_ADD or not comment.message.strip():
        return "ignored"
    if comment.from_id == event.page_id:
        return "ignored"  # the Page's own comment
    now = deps.clock()
    if now - comment.created_at.ToDatetime(tzinfo=now.tzinfo) > PRIVATE_REPLY_WINDOW:
        return "too_old"
    page = await deps.tenants.page(event.page_id)
    if page is None or not page.active or await deps.tenants.kill_switch():
        return "ignored"
    listing = await _listing_of_post(deps, page.page_id, page.seller_id, comment.post_id)
    if listing is None or not _asks_about(comment.message, listing):
        return "ignored"
    language = listing.rules.language
    out = Outgoing(
        page_id=page.page_id,
        seller_id=page.seller_id,
        conversation_id=f"comment-{comment.comment_id}",
        comment_id=comment.comment_id,
        text=notices.comment_invite(language, listing.facts.title, _link(listing)),
        decision="invite",
        language=language,
    )
    async with unit_of_work(deps.pool) as conn:
        if not await repo.mark_handled(conn, event.event_id):
            return "duplicate"
        claimed = await repo.claim_comment(
            conn, comment_id=comment.comment_id, page_id=page.page_id, listing_id=listing.listing_id
        )
        if not claimed:
            return "already_replied"
        await store_command(
            conn, out, key=f"{event.event_id}:invite", prefix=deps.replies_prefix, decided_at=now
        )
    deps.on_outbox()
    return "invited"


async def _listing_of_post(
    deps: Deps, page_id: str, seller_id: str, post_id: str
) -> ListingContext | None:
    """The listing whose post this is (attribute `post_ids`), or the Page's only listing."""
    listings = await deps.tenants.page_listings(page_id, seller_id)
    for listing in listings:
        if post_id in listing.post_ids:
            return listing
    return listings[0] if len(listings) == 1 else None


def _asks_about(text: str, listing: ListingContext) -> bool:
    if _INTERESTED.search(text):
        return True
    reading = read(text, ReadContext(reference_price=listing.facts.price))
    return reading.intent in _ASKING


def _link(listing: ListingContext) -> str:
    return listing.m_me_url or f"https://m.me/{listing.page_id}?ref={listing.ref}"
