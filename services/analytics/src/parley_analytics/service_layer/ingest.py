"""Ingesting a batch of facts in one transaction: logged once each, their figures added to the
hourly rows, deletion requests applied in their place in the batch."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from parley_analytics.adapters import buckets_repo, events_repo, state_repo
from parley_analytics.domain.books import Books
from parley_analytics.domain.facts import DeletionRequested, Fact
from parley_analytics.service_layer.deletion import forget
from parley_analytics.service_layer.unit import Deps, hold_ingest_lock
from parley_kit.db import PoolConnection, unit_of_work

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ingested:
    """What became of a batch."""

    recorded: int
    duplicates: int
    forgotten: int


async def ingest(deps: Deps, facts: Sequence[Fact]) -> Ingested:
    """Record the facts not seen before and add their figures, all or nothing."""
    exclusive = any(isinstance(fact, DeletionRequested) for fact in facts)
    async with unit_of_work(deps.pool) as conn:
        await hold_ingest_lock(conn, exclusive=exclusive)
        sellers = {fact.seller_id for fact in facts if fact.seller_id}
        forgotten = await events_repo.forgotten_sellers(conn, sellers)
        kept = [fact for fact in facts if fact.seller_id not in forgotten]
        fresh = await events_repo.record(conn, kept)
        gone: set[str] = set()
        for part in _segments(fresh):
            if isinstance(part, DeletionRequested):
                await forget(conn, part)  # also deletes the logged events of its sellers
                gone.update(part.seller_ids)
            else:
                await _apply(conn, [fact for fact in part if fact.seller_id not in gone])
    dropped = len(facts) - len(kept)
    return Ingested(len(fresh), len(kept) - len(fresh), dropped)


def _segments(facts: Sequence[Fact]) -> Iterator[DeletionRequested | list[Fact]]:
    """Runs of facts, split at deletion requests (which see the runs before them applied)."""
    run: list[Fact] = []
    for fact in facts:
        if isinstance(fact, DeletionRequested):
            if run:
                yield run
                run = []
            yield fact
        else:
            run.append(fact)
    if run:
        yield run


async def _apply(conn: PoolConnection, facts: list[Fact]) -> None:
    conversations = await state_repo.lock_conversations(
        conn, {fact.conversation_id for fact in facts if fact.conversation_id}
    )
    pages = {fact.page_id for fact in facts if fact.page_id}
    pages |= {c.page_id for c in conversations.values() if c.page_id}
    books = Books(conversations, await state_repo.lock_pages(conn, pages))
    for fact in facts:
        books.record(fact)
    stored = await state_repo.take_deferred(
        conn, pages=books.resolved_pages, conversations=books.resolved_conversations
    )
    await state_repo.add_deferred(conn, books.settle(stored))
    await state_repo.save_conversations(conn, books.conversations.values())
    await state_repo.save_owners(conn, {page: books.owners[page] for page in books.changed_pages})
    await buckets_repo.add(conn, books.ledger)
    if books.unattributed:
        log.info("%d contribution(s) name no seller nor Page: not counted", books.unattributed)
