"""Data deletion requests: a seller's figures and events go, a buyer's id is anonymised."""

from __future__ import annotations

import logging

from parley_analytics.adapters import deletion_repo
from parley_analytics.domain.facts import DeletionRequested
from parley_kit.db import PoolConnection

log = logging.getLogger(__name__)


async def forget(conn: PoolConnection, request: DeletionRequested) -> None:
    """Delete what analytics holds of the request's sellers and Pages and anonymise the person
    as a buyer, in the caller's transaction (which holds the ingestion lock exclusively)."""
    sellers = sorted(set(request.seller_ids))
    pages, listings = await deletion_repo.scopes_of(conn, sellers)
    pages = sorted({*pages, *request.page_ids})
    if sellers:
        await deletion_repo.subtract_from_platform(conn, sellers)
    await deletion_repo.delete_figures(conn, sellers, pages, listings)
    events = await deletion_repo.delete_records(conn, sellers, pages)
    conversations = 0
    if request.user_id:
        conversations = await deletion_repo.anonymise_buyer(conn, request.user_id)
    log.info(
        "deletion %s: %d seller(s), %d Page(s), %d listing(s), %d event(s) removed; "
        "%d conversation(s) of the buyer anonymised",
        request.event_id,
        len(sellers),
        len(pages),
        len(listings),
        events,
        conversations,
    )
