"""One inbound event handled inside one transaction: the conversation locked, the transcript
written, the decision taken, and the reply command stored with it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime

from parley.events.v1 import replies_pb2 as replies
from parley.events.v1.inbound_pb2 import InboundEvent
from parley_kit.db import PoolConnection
from parley_negotiation.adapters import conversations_repo as repo
from parley_negotiation.adapters.conversations_repo import Conversation, State
from parley_negotiation.adapters.tenants import ListingContext, PageInfo
from parley_negotiation.domain.model import Action, Decision, NegotiationState
from parley_negotiation.phrasing.draft import Draft
from parley_negotiation.service_layer import events
from parley_negotiation.service_layer.commands import Outgoing, store_command
from parley_negotiation.service_layer.unit import Deps

# Actions after which a person takes the conversation over, and the thread moves to the inbox.
_HANDS_OVER = frozenset({Action.HANDOVER, Action.FLAG})


@dataclass
class Turn:
    """The state of one event's handling."""

    deps: Deps
    conn: PoolConnection
    event: InboundEvent
    page: PageInfo
    conversation: Conversation
    now: datetime
    # Why the bot stays silent on this event ("" when it may answer).
    silenced: str = ""
    commands: list[str] = field(default_factory=list)

    @property
    def occurred_at(self) -> datetime:
        """When the buyer acted (Facebook's timestamp)."""
        return self.event.occurred_at.ToDatetime(tzinfo=self.now.tzinfo)

    def negotiation(self) -> NegotiationState:
        """The stored negotiation state of the conversation's listing."""
        return NegotiationState.from_json(self.conversation.negotiation)

    def update(self, **changes: object) -> None:
        """Change the conversation (saved when the turn ends)."""
        changes.setdefault("updated_at", self.now)
        self.conversation = dataclasses.replace(self.conversation, **changes)  # type: ignore[arg-type]

    async def note_inbound(self, text: str) -> None:
        """The buyer's line in the transcript."""
        await repo.add_line(
            self.conn,
            conversation_id=self.conversation.conversation_id,
            direction="inbound",
            author="buyer",
            text=text,
            at=self.occurred_at,
            event_id=self.event.event_id,
        )

    async def note_outbound(
        self, text: str, author: str, decision: str = "", at: datetime | None = None
    ) -> None:
        """A line of ours (now), or of the seller (when Facebook says they wrote it)."""
        await repo.add_line(
            self.conn,
            conversation_id=self.conversation.conversation_id,
            direction="outbound",
            author=author,
            text=text,
            at=at or self.now,
            decision=decision,
            event_id=self.event.event_id,
        )

    async def attach(self, listing: ListingContext) -> None:
        """Tie the conversation to a listing; a different one starts a new negotiation."""
        if listing.listing_id != self.conversation.listing_id:
            language = self.negotiation().language
            fresh = NegotiationState(language=language)
            self.update(listing_id=listing.listing_id, negotiation=fresh.to_json())

    async def apply(self, decision: Decision, listing: ListingContext) -> None:
        """Keep the decision's state, say its reply, and hand over when it says so."""
        await events.turn_decided(
            self.conn,
            self.deps.events_prefix,
            conversation=self.conversation,
            listing=listing,
            decision=decision,
            previous=self.negotiation(),
            answered=(self.event.event_id, self.occurred_at),
            decided_at=self.now,
        )
        self.update(negotiation=decision.state.to_json())
        thread = replies.THREAD_ACTION_UNSPECIFIED
        reason = ""
        if decision.action in _HANDS_OVER:
            reason = _handover_reason(decision)
            thread = replies.THREAD_ACTION_PASS_TO_INBOX
            self.update(state=State.HUMAN, state_reason=reason)
        text = await self._phrase(decision, listing) if decision.reply.text else ""
        await self.note_outbound(text, "bot", decision.action.value)
        out = Outgoing(
            page_id=self.page.page_id,
            seller_id=self.page.seller_id,
            conversation_id=self.conversation.conversation_id,
            recipient_id=self.conversation.buyer_id,
            text=text,
            quick_replies=decision.reply.quick_replies,
            decision=decision.action.value,
            language=decision.language,
            pacing=decision.pacing,
            thread_action=thread,
            thread_reason=reason,
        )
        await self.send(out, suffix="reply")

    async def send(self, out: Outgoing, *, suffix: str) -> None:
        """Store a command answering this event (one per suffix, so redelivery adds none)."""
        key = f"{self.event.event_id}:{suffix}"
        await store_command(
            self.conn,
            out,
            key=key,
            prefix=self.deps.replies_prefix,
            decided_at=self.now,
            in_reply_to=(self.event.event_id, self.occurred_at),
        )
        self.commands.append(key)

    async def _phrase(self, decision: Decision, listing: ListingContext) -> str:
        if not self.deps.phrasing_enabled:
            return decision.reply.text
        lines = await repo.recent_lines(
            self.conn, self.conversation.conversation_id, self.deps.history_lines
        )
        history = tuple(
            ("buyer" if line.direction == "inbound" else "seller", line.text)
            for line in lines
            if line.text
        )
        allowed = {listing.facts.price, *decision.amounts}
        if decision.price is not None:
            allowed.add(decision.price)
        draft = Draft(
            text=decision.reply.text,
            language=decision.language,
            action=decision.action.value,
            allowed_amounts=tuple(sorted(allowed)),
            history=history,
        )
        return (await self.deps.phraser.phrase(draft)).text


def _handover_reason(decision: Decision) -> str:
    if decision.action is Action.FLAG and decision.flag is not None:
        return f"scam flagged: {decision.flag.value}"
    return decision.handover_reason or "the buyer asked for a person"
