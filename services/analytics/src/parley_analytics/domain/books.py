"""The books of one batch of facts: the conversations and Page owners it touches, the figures it
adds per scope and hour, and the contributions that must wait for a seller or a listing.

Every contribution goes to the platform, its seller and its Page, and to its listing when known;
so the platform's figures are the sum of the sellers' (which a deletion relies on). A fact that
names no seller takes its conversation's or its Page's; one that names no listing takes its
conversation's. When those are not known yet (a reply overtook the turn it answers, a buyer
wrote to a Page before anything named its seller) the contribution waits, keyed by what will
resolve it, and is added when that arrives.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from parley_analytics.domain.facts import Fact
from parley_analytics.domain.model import PLATFORM, Delta, Scope, ScopeKind
from parley_analytics.domain.tally import Contribution, Conversation, tally


class WaitsFor(StrEnum):
    """What a waiting contribution needs."""

    PAGE = "page"  # the Page's seller
    CONVERSATION = "conversation"  # the conversation's seller and listing


@dataclass(frozen=True)
class Deferral:
    """A contribution waiting for a Page's seller or a conversation's listing."""

    waits_for: WaitsFor
    key: str
    only_listing: bool
    contribution: Contribution


BucketKey = tuple[ScopeKind, str, datetime]


@dataclass
class Books:
    """One batch's view of the state it locked, and what it adds."""

    conversations: dict[str, Conversation] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    ledger: dict[BucketKey, Delta] = field(default_factory=dict)
    waiting: list[Deferral] = field(default_factory=list)
    resolved_pages: set[str] = field(default_factory=set)
    resolved_conversations: set[str] = field(default_factory=set)
    changed_pages: set[str] = field(default_factory=set)
    unattributed: int = 0

    def record(self, fact: Fact) -> None:
        """Add what a fact contributes, updating its conversation and its Page's owner."""
        self._learn_owner(fact)
        conversation = None
        if fact.conversation_id:
            conversation = self.conversations.setdefault(
                fact.conversation_id, Conversation(fact.conversation_id)
            )
        was_known = conversation is None or conversation.known
        for contribution in tally(fact, conversation):
            self.place(contribution)
        if conversation is not None and conversation.known and not was_known:
            self.resolved_conversations.add(conversation.conversation_id)

    def _learn_owner(self, fact: Fact) -> None:
        if not (fact.page_id and fact.seller_id):
            return
        before = self.owners.get(fact.page_id, "")
        if before != fact.seller_id:
            self.owners[fact.page_id] = fact.seller_id
            self.changed_pages.add(fact.page_id)
            if not before:
                self.resolved_pages.add(fact.page_id)

    def place(self, contribution: Contribution, only_listing: bool = False) -> None:
        """Add a contribution to the scopes it resolves to now; the rest waits."""
        target = contribution.target
        conversation = self.conversations.get(target.conversation_id)
        known = conversation if conversation is not None and conversation.known else None
        if not only_listing:
            seller = target.seller_id or (known.seller_id if known else "")
            seller = seller or self.owners.get(target.page_id, "")
            if not seller:
                self._wait_for_seller(contribution, conversation)
                return
            scopes: list[Scope] = [PLATFORM, (ScopeKind.SELLER, seller)]
            if target.page_id:
                scopes.append((ScopeKind.PAGE, target.page_id))
            self._add(scopes, contribution)
        listing = target.listing_id or (known.listing_id if known else "")
        if listing:
            self._add([(ScopeKind.LISTING, listing)], contribution)
        elif conversation is not None and known is None:
            key = conversation.conversation_id
            self.waiting.append(Deferral(WaitsFor.CONVERSATION, key, True, contribution))

    def _wait_for_seller(
        self, contribution: Contribution, conversation: Conversation | None
    ) -> None:
        target = contribution.target
        if conversation is not None and not conversation.known:
            key = conversation.conversation_id
            self.waiting.append(Deferral(WaitsFor.CONVERSATION, key, False, contribution))
        elif target.page_id:
            # The listing is settled now: the Page's seller is all that is missing.
            listing = target.listing_id or (conversation.listing_id if conversation else "")
            settled = replace(target, listing_id=listing, conversation_id="")
            waiting = replace(contribution, target=settled)
            self.waiting.append(Deferral(WaitsFor.PAGE, target.page_id, False, waiting))
        else:
            self.unattributed += 1

    def _add(self, scopes: list[Scope], contribution: Contribution) -> None:
        for kind, scope_id in scopes:
            key = (kind, scope_id, contribution.hour)
            self.ledger.setdefault(key, Delta()).merge(contribution.delta)

    def settle(self, stored: Iterable[Deferral]) -> list[Deferral]:
        """Add what waited (stored earlier, or in this batch) for what is known now; what
        still waits."""
        pending = [*self.waiting, *stored]
        self.waiting = []
        for deferral in pending:
            if self._resolved(deferral):
                self.place(deferral.contribution, deferral.only_listing)
            else:
                self.waiting.append(deferral)
        return self.waiting

    def _resolved(self, deferral: Deferral) -> bool:
        if deferral.waits_for is WaitsFor.PAGE:
            return bool(self.owners.get(deferral.key))
        conversation = self.conversations.get(deferral.key)
        return conversation is not None and conversation.known
