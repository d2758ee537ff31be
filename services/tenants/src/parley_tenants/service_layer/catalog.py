"""Seller settings and listings: validated writes, reads, and the rules in force for a listing."""

from __future__ import annotations

import dataclasses
import uuid

import asyncpg

from parley_kit.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from parley_tenants.adapters import listings_repo, pages_repo, sellers_repo
from parley_tenants.domain.events import RulesChanged
from parley_tenants.domain.model import Listing, ListingRules, ListingStatus, SellerSettings
from parley_tenants.domain.rules import effective_rules, validate_listing, validate_settings
from parley_tenants.service_layer.sellers import locked_seller
from parley_tenants.service_layer.unit import Deps, Work, unit


async def get_settings(deps: Deps, *, seller_id: str) -> SellerSettings:
    """A seller's settings, or NotFound."""
    async with deps.pool.acquire() as conn:
        settings = await sellers_repo.get_settings(conn, seller_id=seller_id)
    if settings is None:
        raise NotFound(f"no settings for seller {seller_id!r}")
    return settings


async def update_settings(deps: Deps, *, settings: SellerSettings) -> SellerSettings:
    """Replace a seller's settings; a stale non-zero version is FailedPrecondition."""
    validate_settings(settings)
    async with unit(deps) as work:
        await locked_seller(work, settings.seller_id)
        updated = await sellers_repo.update_settings(
            work.conn, settings=settings, expected_version=settings.version or None
        )
        if updated is not None:
            work.emit(RulesChanged(settings.seller_id, "", "settings"))
    if updated is None:
        raise FailedPrecondition(
            f"settings changed since version {settings.version}; read them again"
        )
    return updated


async def create_listing(deps: Deps, *, listing: Listing) -> Listing:
    """Add a listing (a fresh id; the ref must be unique)."""
    listing = dataclasses.replace(listing, listing_id=uuid.uuid4().hex)
    validate_listing(listing)
    async with unit(deps) as work:
        await _check_owner(work, listing)
        try:
            async with work.conn.transaction():
                await listings_repo.create_listing(work.conn, listing=listing)
        except asyncpg.UniqueViolationError:
            raise AlreadyExists(f"ref: {listing.ref!r} is used by another listing") from None
        work.emit(RulesChanged(listing.seller_id, listing.listing_id, "created"))
        return await _read(work, listing.listing_id)


async def update_listing(deps: Deps, *, listing: Listing) -> Listing:
    """Replace a listing, if `version` is still the stored one."""
    validate_listing(listing)
    async with unit(deps) as work:
        current = await _read(work, listing.listing_id)
        if current.seller_id != listing.seller_id:
            raise InvalidArgument("seller_id: a listing cannot move to another seller")
        await _check_owner(work, listing)
        try:
            async with work.conn.transaction():
                saved = await listings_repo.update_listing(
                    work.conn, listing=listing, expected_version=listing.version
                )
        except asyncpg.UniqueViolationError:
            raise AlreadyExists(f"ref: {listing.ref!r} is used by another listing") from None
        if not saved:
            raise FailedPrecondition(
                f"listing changed since version {listing.version} (now {current.version})"
            )
        work.emit(RulesChanged(listing.seller_id, listing.listing_id, "updated"))
        return await _read(work, listing.listing_id)


async def mark_sold(deps: Deps, *, listing_id: str) -> Listing:
    """Mark a listing sold (idempotent)."""
    async with unit(deps) as work:
        current = await _read(work, listing_id)
        if current.status is not ListingStatus.SOLD:
            sold = dataclasses.replace(current, status=ListingStatus.SOLD)
            await listings_repo.update_listing(
                work.conn, listing=sold, expected_version=current.version
            )
            work.emit(RulesChanged(current.seller_id, listing_id, "sold"))
        return await _read(work, listing_id)


async def delete_listing(deps: Deps, *, listing_id: str) -> None:
    """Remove a listing, or NotFound."""
    async with unit(deps) as work:
        current = await _read(work, listing_id)
        if not await listings_repo.delete_listing(work.conn, listing_id=listing_id):
            raise NotFound(f"no listing {listing_id!r}")
        work.emit(RulesChanged(current.seller_id, listing_id, "deleted"))


async def get_listing(deps: Deps, *, listing_id: str) -> Listing:
    """A listing, or NotFound."""
    async with unit(deps) as work:
        return await _read(work, listing_id)


async def get_listing_by_ref(deps: Deps, *, ref: str, page_id: str | None) -> Listing:
    """The listing an m.me ref points to, or NotFound."""
    async with deps.pool.acquire() as conn:
        listing = await listings_repo.get_listing_by_ref(conn, ref=ref, page_id=page_id)
    if listing is None:
        raise NotFound(f"no listing with ref {ref!r}")
    return listing


async def list_listings(
    deps: Deps, *, seller_id: str | None, page_id: str | None, available_only: bool
) -> list[Listing]:
    """Listings of a seller and/or Page."""
    if seller_id is None and page_id is None:
        raise InvalidArgument("seller_id or page_id: one is required")
    async with deps.pool.acquire() as conn:
        return await listings_repo.list_listings(
            conn, seller_id=seller_id, page_id=page_id, available_only=available_only
        )


async def get_rules(deps: Deps, *, listing_id: str) -> ListingRules:
    """The rules in force for a listing."""
    async with unit(deps) as work:
        listing = await _read(work, listing_id)
        settings = await sellers_repo.get_settings(work.conn, seller_id=listing.seller_id)
    if settings is None:
        raise NotFound(f"no settings for seller {listing.seller_id!r}")
    return effective_rules(settings, listing)


async def _read(work: Work, listing_id: str) -> Listing:
    listing = await listings_repo.get_listing(work.conn, listing_id=listing_id)
    if listing is None:
        raise NotFound(f"no listing {listing_id!r}")
    return listing


async def _check_owner(work: Work, listing: Listing) -> None:
    """The seller exists and, when a Page is named, it is the seller's."""
    await locked_seller(work, listing.seller_id)
    if listing.page_id is None:
        return
    page = await pages_repo.get_page(work.conn, page_id=listing.page_id)
    if page is None or page.seller_id != listing.seller_id:
        raise InvalidArgument(f"page_id: {listing.page_id!r} is not a Page of this seller")
