"""Sellers: create, read, pause and resume."""

from __future__ import annotations

import re
import uuid

import asyncpg

from parley_kit.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from parley_tenants.adapters import pages_repo, sellers_repo
from parley_tenants.domain.events import PagePaused, PageResumed
from parley_tenants.domain.model import Page, PageStatus, Seller, SellerStatus
from parley_tenants.service_layer.unit import Deps, Work, unit

SELLER_PAUSED = "seller paused"
_SELLER_ID = re.compile(r"[a-z0-9-]{1,64}")


async def create_seller(deps: Deps, *, name: str, email: str, seller_id: str = "") -> Seller:
    """Register a seller with default settings (under `seller_id` when given)."""
    if not name.strip():
        raise InvalidArgument("name: is required")
    if email and "@" not in email:
        raise InvalidArgument("email: is not an e-mail address")
    if seller_id and not _SELLER_ID.fullmatch(seller_id):
        raise InvalidArgument("seller_id: use 1 to 64 characters of a-z 0-9 -")
    async with unit(deps) as work:
        try:
            async with work.conn.transaction():
                return await sellers_repo.create_seller(
                    work.conn,
                    seller_id=seller_id or uuid.uuid4().hex,
                    name=name.strip(),
                    email=email.strip(),
                )
        except asyncpg.UniqueViolationError:
            raise AlreadyExists(f"seller {seller_id!r} exists") from None


async def get_seller(deps: Deps, *, seller_id: str) -> Seller:
    """A seller, or NotFound."""
    async with deps.pool.acquire() as conn:
        seller = await sellers_repo.get_seller(conn, seller_id=seller_id)
    if seller is None:
        raise NotFound(f"no seller {seller_id!r}")
    return seller


async def locked_seller(work: Work, seller_id: str) -> Seller:
    """The seller, locked for the transaction; NotFound, or FailedPrecondition when deleted."""
    seller = await sellers_repo.get_seller(work.conn, seller_id=seller_id, lock=True)
    if seller is None:
        raise NotFound(f"no seller {seller_id!r}")
    if seller.status is SellerStatus.DELETED:
        raise FailedPrecondition(f"seller {seller_id!r} was deleted")
    return seller


async def pause_seller(deps: Deps, *, seller_id: str, reason: str) -> tuple[Seller, list[Page]]:
    """Pause the seller and every active Page of theirs."""
    async with unit(deps) as work:
        await locked_seller(work, seller_id)
        seller = await sellers_repo.update_seller_status(
            work.conn, seller_id=seller_id, status=SellerStatus.PAUSED
        )
        result = []
        for page in await pages_repo.list_pages(work.conn, seller_id=seller_id):
            if page.status is PageStatus.ACTIVE:
                page = await set_page_status(work, page, PageStatus.PAUSED, SELLER_PAUSED)
                work.emit(PagePaused(seller_id, page.page_id, reason or SELLER_PAUSED))
            result.append(page)
        return seller, result


async def resume_seller(deps: Deps, *, seller_id: str) -> tuple[Seller, list[Page]]:
    """Resume the seller and the Pages that pausing the seller stopped."""
    async with unit(deps) as work:
        await locked_seller(work, seller_id)
        seller = await sellers_repo.update_seller_status(
            work.conn, seller_id=seller_id, status=SellerStatus.ACTIVE
        )
        pages = await pages_repo.list_pages(work.conn, seller_id=seller_id)
        result = []
        for page in pages:
            if page.status is PageStatus.PAUSED and page.status_reason == SELLER_PAUSED:
                page = await set_page_status(work, page, PageStatus.ACTIVE, "")
                work.emit(PageResumed(seller_id, page.page_id))
            result.append(page)
        return seller, result


async def set_page_status(work: Work, page: Page, status: PageStatus, reason: str) -> Page:
    """The Page in the new status; FailedPrecondition if it changed since it was read."""
    updated = await pages_repo.update_page_status(
        work.conn,
        page_id=page.page_id,
        status=status,
        reason=reason,
        expected_version=page.version,
        now=work.now,
    )
    if updated is None:
        raise FailedPrecondition(f"page {page.page_id} changed meanwhile; try again")
    return updated
