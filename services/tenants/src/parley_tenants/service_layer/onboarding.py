"""Onboarding: the login dialog URL with a signed state, and connecting the seller's Pages."""

from __future__ import annotations

import logging
from datetime import datetime

from parley_kit.errors import FailedPrecondition, InvalidArgument
from parley_kit.graph import GraphError
from parley_tenants.adapters import pages_repo, sellers_repo
from parley_tenants.domain.events import PageConnected
from parley_tenants.domain.model import ConnectedPage, Page, SellerStatus
from parley_tenants.domain.oauth_state import (
    OAuthState,
    decode_connect_link,
    decode_state,
    encode_state,
    new_state,
)
from parley_tenants.service_layer.sellers import locked_seller
from parley_tenants.service_layer.unit import Deps, Work, unit

log = logging.getLogger(__name__)


async def onboarding_url(
    deps: Deps, *, seller_id: str = "", connect_link: str = ""
) -> tuple[str, datetime]:
    """The login dialog URL for a seller (named, or by a signed connect link), and when its
    state expires."""
    if bool(seller_id) == bool(connect_link):
        raise InvalidArgument("seller_id: give either seller_id or connect_link")
    if connect_link:
        seller_id = decode_connect_link(connect_link, deps.state_key, deps.clock())
    async with unit(deps) as work:
        await sellers_repo.purge_expired_states(work.conn, work.now)
        await locked_seller(work, seller_id)
        state = new_state(seller_id, work.now, deps.state_ttl)
        await sellers_repo.create_oauth_state(
            work.conn, nonce=state.nonce, seller_id=seller_id, expires_at=state.expires_at
        )
    url = deps.facebook.login_url(deps.redirect_uri, encode_state(state, deps.state_key))
    return url, state.expires_at


async def connect_link(deps: Deps, *, seller_id: str) -> tuple[str, datetime]:
    """The seller's signed connect link, and when it expires."""
    async with unit(deps) as work:
        await locked_seller(work, seller_id)
    return deps.connect_link(seller_id)


async def complete_onboarding(deps: Deps, *, code: str, state: str) -> tuple[str, list[Page]]:
    """Exchange the code, store every Page of the user with its encrypted token, subscribe the
    app to each, and announce them; the seller id and the Pages."""
    if not code:
        raise InvalidArgument("code: is required")
    checked = decode_state(state, deps.state_key, deps.clock())
    await _use_state(deps, checked)
    try:
        user_id, pages = await _fetch_pages(deps, code)
    except GraphError as error:
        log.warning("onboarding of seller %s failed at Facebook: %s", checked.seller_id, error)
        raise FailedPrecondition(
            f"Facebook refused the connection ({error.kind}, code {error.code}); "
            "start onboarding again"
        ) from None
    if not pages:
        raise FailedPrecondition("the Facebook user manages no Page this app may use")
    subscribed = {page.page_id: await _subscribe(deps, page) for page in pages}
    async with unit(deps) as work:
        await locked_seller(work, checked.seller_id)
        await sellers_repo.update_seller_facebook_user(
            work.conn, seller_id=checked.seller_id, user_id=user_id
        )
        stored = [
            await _store_page(work, deps, checked.seller_id, page, subscribed[page.page_id])
            for page in pages
        ]
    deps.on_connected()
    return checked.seller_id, stored


async def _use_state(deps: Deps, state: OAuthState) -> None:
    """Single use: mark it now, before the code is spent, so a replay fails early."""
    async with unit(deps) as work:
        seller = await locked_seller(work, state.seller_id)
        if seller.status is SellerStatus.DELETED:
            raise FailedPrecondition("state: the seller no longer exists")
        outcome = await sellers_repo.use_oauth_state(
            work.conn, nonce=state.nonce, seller_id=state.seller_id, now=work.now
        )
    if outcome == "replayed":
        raise FailedPrecondition("state: already used; start onboarding again")
    if outcome == "unknown":
        raise InvalidArgument("state: was never issued")


async def _fetch_pages(deps: Deps, code: str) -> tuple[str, list[ConnectedPage]]:
    short = await deps.facebook.exchange_code(code, deps.redirect_uri)
    user_token = await deps.facebook.long_lived(short)
    user_id = await deps.facebook.user_id(user_token)
    return user_id, await deps.facebook.pages(user_token)


async def _subscribe(deps: Deps, page: ConnectedPage) -> bool:
    """Subscribe the app to the Page; a failure leaves it to be retried, it does not stop us."""
    try:
        await deps.facebook.subscribe(page.page_id, page.token)
    except GraphError as error:
        log.warning("could not subscribe the app to page %s: %s", page.page_id, error)
        return False
    return True


async def _store_page(
    work: Work, deps: Deps, seller_id: str, page: ConnectedPage, subscribed: bool
) -> Page:
    existing = await pages_repo.get_page(work.conn, page_id=page.page_id, lock=True)
    if existing is not None and existing.seller_id != seller_id:
        raise FailedPrecondition(
            f"page {page.page_id} ({page.name}) is connected to another seller; "
            "that seller must remove it first"
        )
    stored = await pages_repo.upsert_page(
        work.conn,
        page_id=page.page_id,
        seller_id=seller_id,
        name=page.name,
        ciphertext=deps.cipher.encrypt(page.token),
        key_id=deps.cipher.current_key_id,
        subscribed=subscribed,
        now=work.now,
    )
    work.emit(PageConnected(seller_id, page.page_id, page.name, existing is not None))
    return stored
