"""The books of a batch: what each fact adds and to whom, in whatever order the streams deliver
them, with a fake store carrying state from batch to batch as PostgreSQL does."""

from __future__ import annotations

import copy
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from parley_analytics.domain.books import Books, Deferral, WaitsFor
from parley_analytics.domain.facts import (
    BuyerMessage,
    Dropped,
    Fact,
    PageOwned,
    Refused,
    Sent,
    Source,
    StateChanged,
    Turn,
)
from parley_analytics.domain.model import PLATFORM, Delta, Latency, Scope, ScopeKind
from parley_analytics.domain.report import Figures
from parley_analytics.domain.tally import Conversation

T = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
SELLER, PAGE, LISTING, OTHER_LISTING = "seller-1", "page-1", "listing-1", "listing-2"


def at(minutes: float) -> datetime:
    return T + timedelta(minutes=minutes)


@dataclass
class Store:
    """What PostgreSQL keeps between batches."""

    conversations: dict[str, Conversation] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    deferred: list[Deferral] = field(default_factory=list)
    ledger: dict[tuple[ScopeKind, str, datetime], Delta] = field(default_factory=dict)

    def batch(self, facts: Sequence[Fact]) -> None:
        """What service_layer.ingest does with one batch, in memory."""
        books = Books(copy.deepcopy(self.conversations), dict(self.owners))
        for fact in facts:
            books.record(fact)
        stored = [d for d in self.deferred if _resolves(d, books)]
        self.deferred = [d for d in self.deferred if d not in stored]
        self.deferred += books.settle(stored)
        self.conversations.update(books.conversations)
        self.owners.update(books.owners)
        for key, delta in books.ledger.items():
            self.ledger.setdefault(key, Delta()).merge(delta)

    def figures(self, scope: Scope) -> Figures:
        total = Delta()
        for (kind, scope_id, _), delta in self.ledger.items():
            if (kind, scope_id) == scope:
                total.merge(delta)
        return Figures(None, total)


def _resolves(deferral: Deferral, books: Books) -> bool:
    if deferral.waits_for is WaitsFor.PAGE:
        return deferral.key in books.resolved_pages
    return deferral.key in books.resolved_conversations


def turn(n: int, minutes: float, conversation: str = "c1", **fields: object) -> Turn:
    values: dict[str, object] = {
        "event_id": f"turn-{n}",
        "source": Source.NEGOTIATION,
        "kind": "turn_decided",
        "at": at(minutes),
        "page_id": PAGE,
        "seller_id": SELLER,
        "listing_id": LISTING,
        "conversation_id": conversation,
        "started": False,
        "action": "answer",
        "asking_minor": 10_000,
        "floor_minor": 8_000,
    }
    values.update(fields)
    return Turn(**values)  # type: ignore[arg-type]


def sent(
    n: int, minutes: float, answered: float | None, conversation: str = "c1", seller: str = SELLER
) -> Sent:
    return Sent(
        event_id=f"sent-{n}",
        source=Source.DELIVERY,
        kind="reply_sent",
        at=at(minutes),
        page_id=PAGE,
        seller_id=seller,
        conversation_id=conversation,
        buyer_id="buyer-1",
        answered_at=None if answered is None else at(answered),
    )


def message(n: int, minutes: float) -> BuyerMessage:
    return BuyerMessage(
        event_id=f"in-{n}", source=Source.INBOUND, kind="message", at=at(minutes), page_id=PAGE
    )


def negotiation() -> list[Fact]:
    """Conversation c1 starts at 10:00, gets a counter, then a deal; c2 is handed over."""
    return [
        turn(1, 0, started=True, offer_minor=8_500, action="counter", price_minor=9_500),
        turn(2, 5, offer_minor=9_000, action="accept", price_minor=9_000, escrow_offered=True),
        turn(3, 6, action="accept", price_minor=9_000),  # a second accept is no second deal
        turn(4, 30, conversation="c2", started=True, scam_flag="overpayment", action="flag"),
        StateChanged(
            event_id="state-1",
            source=Source.NEGOTIATION,
            kind="conversation_state_changed",
            at=at(30.1),
            page_id=PAGE,
            seller_id=SELLER,
            listing_id=LISTING,
            conversation_id="c2",
            state="human",
            previous_state="bot",
        ),
    ]


def delivery() -> list[Fact]:
    """Replies 2 s and 3 s after the buyer (c1), a human's reply with no seller (c2), a block,
    a failure and a superseded reply (not a failure)."""
    common = {"source": Source.DELIVERY, "page_id": PAGE, "seller_id": SELLER}
    return [
        sent(1, 2 / 60, 0),
        sent(2, 5 + 3 / 60, 5),
        sent(3, 31, None, conversation="c2", seller=""),
        Refused(
            event_id="ref-1",
            kind="reply_refused",
            at=at(40),
            conversation_id="c2",
            rule="bot_window_closed",
            **common,
        ),  # type: ignore[arg-type]
        Dropped(
            event_id="drop-1",
            kind="reply_dropped",
            at=at(41),
            conversation_id="c2",
            outcome="expired",
            **common,
        ),  # type: ignore[arg-type]
        Dropped(
            event_id="drop-2",
            kind="reply_dropped",
            at=at(42),
            conversation_id="c2",
            outcome="superseded",
            **common,
        ),  # type: ignore[arg-type]
    ]


def inbound() -> list[Fact]:
    return [message(1, 0), message(2, 5), message(3, 30)]


def check(store: Store) -> None:
    """The hand count, the same for the platform, the seller, the Page and the listing."""
    for scope in (
        PLATFORM,
        (ScopeKind.SELLER, SELLER),
        (ScopeKind.PAGE, PAGE),
        (ScopeKind.LISTING, LISTING),
    ):
        figures = store.figures(scope)
        assert figures.n("conversations_started") == 2, scope
        assert figures.n("offers_received") == 2
        assert figures.n("deals_agreed") == 1 and figures.n("conversations_converted") == 1
        assert figures.average_price_to_asking == pytest.approx(0.9)
        assert figures.average_price_in_zone == pytest.approx(0.5)
        assert figures.n("escrow_offered") == 1 and figures.n("scam_flags") == 1
        assert figures.n("human_takeovers") == 1 and figures.takeover_rate == 0.5
        assert figures.n("replies_sent") == 3 and figures.observed(Latency.REPLY_TIME) == 2
        assert figures.percentile(Latency.REPLY_TIME, 95) == pytest.approx(3000, rel=0.05)
        assert figures.observed(Latency.FIRST_RESPONSE) == 2
        assert figures.percentile(Latency.FIRST_RESPONSE, 50) == pytest.approx(2000, rel=0.05)
        assert figures.percentile(Latency.FIRST_RESPONSE, 95) == pytest.approx(60_000, rel=0.05)
        assert figures.n("policy_blocks") == 1 and figures.n("send_failures") == 1
        assert figures.n("messages_received") == (0 if scope[0] is ScopeKind.LISTING else 3)
    assert not store.deferred


def test_in_order_everything_is_counted_at_once() -> None:
    store = Store()
    store.batch(inbound() + negotiation() + delivery())
    check(store)


def test_replies_and_messages_that_overtake_the_turns_wait_for_them() -> None:
    store = Store()
    store.batch(inbound())
    assert {d.waits_for for d in store.deferred} == {WaitsFor.PAGE}
    store.batch(delivery())
    # The replies named the Page's seller: the messages are counted, the listing still waits.
    assert {d.waits_for for d in store.deferred} == {WaitsFor.CONVERSATION}
    assert store.figures((ScopeKind.SELLER, SELLER)).n("messages_received") == 3
    assert store.figures((ScopeKind.SELLER, SELLER)).n("replies_sent") == 3
    assert store.figures((ScopeKind.LISTING, LISTING)).n("replies_sent") == 0
    store.batch(negotiation())
    check(store)


@pytest.mark.parametrize("seed", range(5))
def test_any_interleaving_of_the_streams_in_any_batches_gives_the_same_figures(seed: int) -> None:
    rng = random.Random(seed)
    streams = [inbound(), negotiation(), delivery()]
    merged: list[Fact] = []
    while any(streams):
        merged.append(rng.choice([s for s in streams if s]).pop(0))
    store = Store()
    size = rng.randint(1, 4)
    for start in range(0, len(merged), size):
        store.batch(merged[start : start + size])
    check(store)


def test_a_new_listing_starts_a_new_conversation_with_its_own_cohort() -> None:
    store = Store()
    store.batch(
        [
            turn(1, 0, started=True),
            sent(1, 0.1, 0),
            turn(2, 10, started=True, listing_id=OTHER_LISTING, action="accept", price_minor=9_000),
            sent(2, 10.5, 10),
        ]
    )
    first, second = (
        store.figures((ScopeKind.LISTING, LISTING)),
        store.figures((ScopeKind.LISTING, OTHER_LISTING)),
    )
    assert first.n("conversations_started") == 1 and first.n("conversations_converted") == 0
    assert second.n("conversations_started") == 1 and second.n("conversations_converted") == 1
    assert second.percentile(Latency.FIRST_RESPONSE, 50) == pytest.approx(30_000, rel=0.05)
    assert store.figures(PLATFORM).n("replies_sent") == 2


def test_a_page_owner_from_tenants_releases_the_buyer_messages_waiting_for_it() -> None:
    store = Store()
    store.batch(inbound())
    assert store.figures(PLATFORM).n("messages_received") == 0
    owned = PageOwned(
        event_id="page-1",
        source=Source.TENANTS,
        kind="page_connected",
        at=T,
        page_id=PAGE,
        seller_id=SELLER,
    )
    store.batch([owned])
    assert store.figures((ScopeKind.SELLER, SELLER)).n("messages_received") == 3
    assert store.figures(PLATFORM).n("messages_received") == 3
    assert not store.deferred


def test_figures_of_a_fact_with_no_seller_and_no_page_are_not_counted() -> None:
    books = Books()
    books.record(
        Refused(
            event_id="r", source=Source.DELIVERY, kind="reply_refused", at=T, rule="comment_too_old"
        )
    )
    assert books.ledger == {} and books.unattributed == 1
