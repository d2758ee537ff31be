"""Window status, the outbound log, and the Page's Messenger profile."""

from __future__ import annotations

import logging
from datetime import datetime

from parley_delivery.adapters import inbound_repo, log_repo, profile_repo
from parley_delivery.adapters.log_repo import LoggedReply
from parley_delivery.adapters.tenants import PageUnavailable, TenantsUnreachable
from parley_delivery.domain.events import ProfileApplied
from parley_delivery.domain.profile import ProfileRequest, build_profile, digest, locales_of
from parley_delivery.domain.window import WindowStatus, window_status
from parley_delivery.service_layer.threads import page_token
from parley_delivery.service_layer.unit import Deps, unit
from parley_kit.errors import FailedPrecondition
from parley_kit.graph import ErrorKind, GraphError

log = logging.getLogger(__name__)


async def get_window(deps: Deps, *, page_id: str, psid: str) -> tuple[WindowStatus, bool]:
    """The buyer's window now, and whether Meta blocked the Page."""
    window = await inbound_repo.get_window(deps.pool, page_id=page_id, psid=psid)
    return window_status(window.last_action_at, deps.clock()), window.page_blocked


async def outbound_log(
    deps: Deps,
    *,
    page_id: str,
    psid: str,
    limit: int,
    before: tuple[datetime, str] | None,
) -> list[LoggedReply]:
    """A conversation's replies, newest first."""
    return await log_repo.list_replies(
        deps.pool, page_id=page_id, recipient_id=psid, limit=limit, before=before
    )


async def set_up_profile(
    deps: Deps, *, page_id: str, request: ProfileRequest, force: bool
) -> tuple[bool, list[str]]:
    """Apply the Page's profile unless the same one is in place: (unchanged, fields set)."""
    profile = build_profile(request)
    fingerprint = digest(profile)
    fields = sorted(profile)
    if not force and await profile_repo.applied_digest(deps.pool, page_id) == fingerprint:
        return True, fields
    token = await page_token(deps, page_id)
    async with deps.pool.acquire() as conn, conn.transaction():
        wait = await profile_repo.reserve_call(
            conn,
            page_id,
            calls=deps.policy.profile_calls,
            window_s=deps.policy.profile_window_s,
        )
    if wait > 0:
        raise FailedPrecondition(
            f"the Messenger Profile API allows {deps.policy.profile_calls} calls per "
            f"{deps.policy.profile_window_s:.0f} s per Page: try again in {wait:.0f} s"
        )
    try:
        await deps.messenger.set_profile(token, profile)
    except GraphError as error:
        if error.kind is ErrorKind.TOKEN_INVALID:
            await _report_token(deps, page_id)
        raise _refused(error) from None
    async with unit(deps) as work:
        await profile_repo.save_profile(work.conn, page_id, fingerprint, profile)
        work.emit(ProfileApplied(page_id, tuple(fields), tuple(locales_of(profile))))
    return False, fields


async def _report_token(deps: Deps, page_id: str) -> None:
    try:
        await deps.tokens.report_invalid(page_id, "Messenger Profile API refused the Page token")
    except (PageUnavailable, TenantsUnreachable) as exc:
        log.warning("could not report the invalid token of page %s: %s", page_id, exc)


def _refused(error: GraphError) -> FailedPrecondition:
    if error.kind is ErrorKind.RATE_LIMITED:
        return FailedPrecondition("Facebook's Messenger Profile rate limit: try again later")
    if error.kind is ErrorKind.TOKEN_INVALID:
        return FailedPrecondition("the Page's token was refused: the Page needs re-connection")
    log.warning("messenger profile refused: %s", error)
    return FailedPrecondition(f"Facebook refused the profile (code {error.code}): {error.message}")
