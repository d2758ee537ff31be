"""Data deletion requests (Meta's data-deletion callback) and their status."""

from __future__ import annotations

import hashlib
import logging
import secrets

from parley_kit.db import PoolConnection
from parley_kit.errors import InvalidArgument, NotFound
from parley_kit.graph import GraphError
from parley_tenants.adapters import listings_repo, pages_repo, sellers_repo
from parley_tenants.domain.events import UserDataDeletionRequested
from parley_tenants.domain.model import DeletionRequest
from parley_tenants.service_layer.unit import Deps, unit

log = logging.getLogger(__name__)


def status_url(deps: Deps, code: str) -> str:
    """Where the person can follow their request."""
    return f"{deps.public_url}/deletion/{code}"


async def delete_user_data(deps: Deps, *, user_id: str) -> DeletionRequest:
    """Remove what tenants holds about a Facebook user (as a seller: Pages, tokens, listings,
    settings; the seller anonymised) and tell the other services, in one transaction."""
    if not (user_id.isascii() and user_id.isdigit()):  # isdigit() alone lets "²" or "١" in
        raise InvalidArgument("user_id: a Facebook user id is digits")
    code = secrets.token_hex(10)
    async with unit(deps) as work:
        sellers = await sellers_repo.list_sellers_of_facebook_user(work.conn, user_id=user_id)
        page_ids: list[str] = []
        tokens: list[tuple[str, bytes]] = []
        listings = 0
        for seller in sellers:
            tokens += await _tokens_of(work.conn, seller.seller_id)
            page_ids += await pages_repo.delete_pages_of_seller(
                work.conn, seller_id=seller.seller_id
            )
            listings += await listings_repo.delete_listings_of_seller(
                work.conn, seller_id=seller.seller_id
            )
            await sellers_repo.anonymise_seller(work.conn, seller_id=seller.seller_id)
        progress = [
            f"tenants: {len(sellers)} seller(s) anonymised, {len(page_ids)} Page(s) and their "
            f"tokens removed, {listings} listing(s) removed",
            "other services notified",
        ]
        request = await sellers_repo.create_deletion(
            work.conn,
            code=code,
            user_id_sha256=hashlib.sha256(user_id.encode()).hexdigest(),
            progress=progress,
        )
        seller_ids = tuple(seller.seller_id for seller in sellers)
        work.emit(UserDataDeletionRequested(user_id, code, seller_ids, tuple(page_ids)))
    await _unsubscribe(deps, tokens)
    return request


async def _tokens_of(conn: PoolConnection, seller_id: str) -> list[tuple[str, bytes]]:
    """(page id, encrypted token) of each of a seller's Pages, read before they are removed."""
    found: list[tuple[str, bytes]] = []
    for page in await pages_repo.list_pages(conn, seller_id=seller_id):
        stored = await pages_repo.get_token(conn, page_id=page.page_id)
        if stored is not None:
            found.append((page.page_id, stored.ciphertext))
    return found


async def _unsubscribe(deps: Deps, tokens: list[tuple[str, bytes]]) -> None:
    """Stop the removed Pages' webhooks; best effort, as the person may have revoked the app."""
    for page_id, ciphertext in tokens:
        try:
            await deps.facebook.unsubscribe(page_id, deps.cipher.decrypt(ciphertext))
        except GraphError as error:
            log.info(
                "page %s could not be unsubscribed (%s); its events are dropped", page_id, error
            )


async def get_deletion(deps: Deps, *, code: str) -> DeletionRequest:
    """A deletion request by confirmation code, or NotFound."""
    async with deps.pool.acquire() as conn:
        request = await sellers_repo.get_deletion(conn, code=code)
    if request is None:
        raise NotFound("no deletion request with this confirmation code")
    return request
