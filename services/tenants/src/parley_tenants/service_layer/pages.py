"""Pages: read, pause and resume, the kill switch, tokens for delivery, and token health."""

from __future__ import annotations

import logging

from parley_kit.errors import FailedPrecondition, NotFound
from parley_kit.graph import GraphError
from parley_tenants.adapters import pages_repo, sellers_repo
from parley_tenants.adapters.delivery import ProfileSetupFailed
from parley_tenants.domain.events import PageNeedsReconnect, PagePaused, PageResumed
from parley_tenants.domain.model import KillSwitch, Page, PageStatus, SellerStatus
from parley_tenants.service_layer.sellers import set_page_status
from parley_tenants.service_layer.unit import Deps, ProfileSetter, Work, unit

log = logging.getLogger(__name__)
_HEALTH_TASK = "token-health"
_PROFILE_TASK = "profile-setup"


async def get_page(deps: Deps, *, page_id: str) -> Page:
    """A Page, or NotFound."""
    async with deps.pool.acquire() as conn:
        page = await pages_repo.get_page(conn, page_id=page_id)
    if page is None:
        raise NotFound(f"no page {page_id!r}")
    return page


async def list_pages(deps: Deps, *, seller_id: str | None) -> list[Page]:
    """A seller's Pages, or every Page."""
    async with deps.pool.acquire() as conn:
        return await pages_repo.list_pages(conn, seller_id=seller_id)


async def _locked_page(work: Work, page_id: str) -> Page:
    page = await pages_repo.get_page(work.conn, page_id=page_id, lock=True)
    if page is None:
        raise NotFound(f"no page {page_id!r}")
    return page


async def pause_page(deps: Deps, *, page_id: str, reason: str) -> Page:
    """Stop the bot on a Page (idempotent)."""
    async with unit(deps) as work:
        page = await _locked_page(work, page_id)
        if page.status is not PageStatus.ACTIVE:
            return page
        page = await set_page_status(work, page, PageStatus.PAUSED, reason or "paused")
        work.emit(PagePaused(page.seller_id, page_id, page.status_reason))
        return page


async def resume_page(deps: Deps, *, page_id: str) -> Page:
    """Restart the bot on a paused Page; one that needs re-connection must be re-connected."""
    async with unit(deps) as work:
        page = await _locked_page(work, page_id)
        if page.status is PageStatus.NEEDS_RECONNECT:
            raise FailedPrecondition(
                f"page {page_id} needs re-connection: {deps.reconnect_url(page.seller_id)}"
            )
        if page.status is PageStatus.ACTIVE:
            return page
        page = await set_page_status(work, page, PageStatus.ACTIVE, "")
        work.emit(PageResumed(page.seller_id, page_id))
        return page


async def issue_page_token(deps: Deps, *, page_id: str) -> str:
    """The Page's token, for an active Page of an active seller while the platform runs."""
    async with deps.pool.acquire() as conn:
        switch = await sellers_repo.get_kill_switch(conn)
        page = await pages_repo.get_page(conn, page_id=page_id)
        if page is None:
            raise NotFound(f"no page {page_id!r}")
        seller = await sellers_repo.get_seller(conn, seller_id=page.seller_id)
        stored = await pages_repo.get_token(conn, page_id=page_id)
    if switch.engaged:
        raise FailedPrecondition(f"the platform kill switch is engaged: {switch.reason}")
    if page.status is not PageStatus.ACTIVE:
        raise FailedPrecondition(f"page {page_id} is {page.status.value}: {page.status_reason}")
    if seller is None or seller.status is not SellerStatus.ACTIVE:
        raise FailedPrecondition(f"the seller of page {page_id} is not active")
    if stored is None:
        raise NotFound(f"no page {page_id!r}")
    return deps.cipher.decrypt(stored.ciphertext)


async def report_token_invalid(deps: Deps, *, page_id: str, reason: str) -> Page:
    """Mark the Page as needing re-connection and pause it; tell the others once."""
    async with unit(deps) as work:
        page = await _locked_page(work, page_id)
        return await _needs_reconnect(work, deps, page, reason or "token invalid (Graph 190)")


async def _needs_reconnect(work: Work, deps: Deps, page: Page, reason: str) -> Page:
    if page.status is PageStatus.NEEDS_RECONNECT:
        return page
    page = await set_page_status(work, page, PageStatus.NEEDS_RECONNECT, reason)
    work.emit(
        PageNeedsReconnect(page.seller_id, page.page_id, reason, deps.reconnect_url(page.seller_id))
    )
    return page


async def check_tokens(deps: Deps) -> dict[str, int]:
    """Ask debug_token about every active Page's token; mark invalid ones and subscribe the app
    where an earlier subscription failed. Counts by outcome; only one replica runs a round at a
    time (the others count it as skipped)."""
    counts = {"valid": 0, "invalid": 0, "unknown": 0, "subscribed": 0, "skipped": 0}
    async with deps.pool.acquire() as lead:
        if not await pages_repo.try_lead(lead, _HEALTH_TASK):
            counts["skipped"] = 1
            return counts
        try:
            pages = await pages_repo.list_pages(lead, status=PageStatus.ACTIVE)
            for page in pages:
                for outcome in await _check_one(deps, page):
                    counts[outcome] += 1
        finally:
            await pages_repo.stop_leading(lead, _HEALTH_TASK)
    return counts


async def _check_one(deps: Deps, page: Page) -> list[str]:
    async with deps.pool.acquire() as conn:
        stored = await pages_repo.get_token(conn, page_id=page.page_id)
    if stored is None:
        return ["unknown"]
    token = deps.cipher.decrypt(stored.ciphertext)
    check = await deps.facebook.check_token(token)
    if check.valid is None:
        log.warning("token of page %s could not be checked: %s", page.page_id, check.reason)
        return ["unknown"]
    if check.valid:
        return ["valid", *await _resubscribe(deps, page, token)]
    async with unit(deps) as work:
        current = await _locked_page(work, page.page_id)
        if current.version != page.version:
            return ["unknown"]  # re-connected or changed meanwhile: the next round looks again
        log.warning("token of page %s is invalid: %s", page.page_id, check.reason)
        await _needs_reconnect(work, deps, current, check.reason)
        return ["invalid"]


async def _resubscribe(deps: Deps, page: Page, token: str) -> list[str]:
    """Record the good check; subscribe the app again if onboarding could not."""
    subscribed: list[str] = []
    if not page.webhooks_subscribed:
        try:
            await deps.facebook.subscribe(page.page_id, token)
        except GraphError as error:
            log.warning("page %s is still not subscribed: %s", page.page_id, error)
        else:
            subscribed.append("subscribed")
    async with unit(deps) as work:
        await pages_repo.update_token_checked(work.conn, page_id=page.page_id, now=work.now)
        if subscribed:
            await pages_repo.mark_subscribed(work.conn, page_id=page.page_id)
    return subscribed


async def set_up_profiles(deps: Deps) -> dict[str, int]:
    """Ask delivery to set up the Messenger profile of every Page still pending; counts by
    outcome. One replica at a time; a failure stays pending for the next round."""
    counts = {"set_up": 0, "failed": 0, "skipped": 0}
    if deps.profiles is None:
        return counts
    async with deps.pool.acquire() as lead:
        if not await pages_repo.try_lead(lead, _PROFILE_TASK):
            counts["skipped"] = 1
            return counts
        try:
            pending = [
                page
                for page in await pages_repo.list_pages(lead)
                if page.profile_setup_pending and page.status is not PageStatus.NEEDS_RECONNECT
            ]
            for page in pending:
                counts[await _set_up_one(deps, deps.profiles, page)] += 1
        finally:
            await pages_repo.stop_leading(lead, _PROFILE_TASK)
    return counts


async def _set_up_one(deps: Deps, profiles: ProfileSetter, page: Page) -> str:
    async with deps.pool.acquire() as conn:
        settings = await sellers_repo.get_settings(conn, seller_id=page.seller_id)
    if settings is None:
        return "failed"
    try:
        await profiles.set_up(page, settings)
    except ProfileSetupFailed as error:
        log.warning("profile of page %s is still not set up: %s", page.page_id, error)
        return "failed"
    async with deps.pool.acquire() as conn:
        await pages_repo.mark_profile_set_up(conn, page_id=page.page_id, version=page.version)
    return "set_up"


async def get_kill_switch(deps: Deps) -> KillSwitch:
    """The platform kill switch."""
    async with deps.pool.acquire() as conn:
        return await sellers_repo.get_kill_switch(conn)


async def set_kill_switch(deps: Deps, *, engaged: bool, reason: str) -> KillSwitch:
    """Engage or release the platform kill switch."""
    async with unit(deps) as work:
        switch = await sellers_repo.update_kill_switch(work.conn, engaged=engaged, reason=reason)
    log.warning("kill switch %s: %s", "engaged" if engaged else "released", reason)
    return switch
