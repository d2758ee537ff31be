"""Thread control (Conversation Routing): pass a thread to the Page Inbox, take it back, ask
who owns it; for reply commands (after their message) and over gRPC (the takeover flow)."""

from __future__ import annotations

import logging

from parley_delivery.adapters import replies_repo
from parley_delivery.adapters.tenants import PageUnavailable, TenantsUnreachable
from parley_delivery.domain.events import ThreadMoved
from parley_delivery.domain.model import PAGE_INBOX_APP_ID, Reply, ThreadMove
from parley_delivery.service_layer import outcomes
from parley_delivery.service_layer.outcomes import DONE, Hold, Result
from parley_delivery.service_layer.unit import Deps, unit
from parley_kit.errors import FailedPrecondition, NotFound
from parley_kit.graph import ErrorKind, GraphError
from parley_kit.secrets import Secret

log = logging.getLogger(__name__)


async def move_for_reply(deps: Deps, reply: Reply) -> Result:
    """The reply command's thread action, once (a retried one is harmless: Meta answers that
    the thread is already where it should be)."""
    if reply.thread_move is ThreadMove.NONE:
        return DONE
    try:
        owner = await _move(
            deps, reply.page_id, reply.recipient_id, reply.thread_move, "", reply.thread_reason
        )
    except (PageUnavailable, TenantsUnreachable) as exc:
        if outcomes.expired(deps, reply):
            return await _thread_given_up(deps, reply, str(exc))
        return Hold(deps.policy.hold_s, str(exc))
    except GraphError as error:
        return await _thread_failed(deps, reply, error)
    async with unit(deps) as work:
        if await replies_repo.finish_thread(work.conn, reply.idempotency_key):
            work.emit(_moved(reply, owner))
    return DONE


def _moved(reply: Reply, owner: str) -> ThreadMoved:
    return ThreadMoved(
        reply.page_id,
        reply.recipient_id,
        reply.thread_move,
        owner,
        reply.thread_reason,
        reply.conversation_id,
        reply.idempotency_key,
    )


async def _thread_failed(deps: Deps, reply: Reply, error: GraphError) -> Result:
    if error.kind is ErrorKind.TOKEN_INVALID:
        deps.tokens.forget(reply.page_id)
        return Hold(deps.policy.hold_s, "the Page token was refused")
    if error.retryable and not outcomes.expired(deps, reply):
        return Hold(deps.policy.backoff.delay(1, deps.rng), f"thread control: {error.kind}")
    return await _thread_given_up(deps, reply, error.message)


async def _thread_given_up(deps: Deps, reply: Reply, detail: str) -> Result:
    log.error("thread action of %s abandoned: %s", reply.idempotency_key, detail)
    await replies_repo.finish_thread(deps.pool, reply.idempotency_key)
    return DONE


async def _move(
    deps: Deps, page_id: str, psid: str, move: ThreadMove, target_app_id: str, reason: str
) -> str:
    """Pass or take the thread; the app that owns it afterwards."""
    token = await deps.tokens.token(page_id)
    if move is ThreadMove.PASS_TO_INBOX:
        target = target_app_id or PAGE_INBOX_APP_ID
        try:
            await deps.messenger.pass_thread(token, psid, target, reason)
        except GraphError as error:
            if error.kind is not ErrorKind.HANDED_OVER:
                raise
            # Only the owner may pass: it is already with another app.
            return await _owner(deps, token, psid)
        return target
    await deps.messenger.take_thread(token, psid, reason)
    return deps.messenger.app_id


async def _owner(deps: Deps, token: Secret, psid: str) -> str:
    try:
        return await deps.messenger.thread_owner(token, psid)
    except GraphError:
        return ""


async def pass_thread(
    deps: Deps, *, page_id: str, psid: str, reason: str, target_app_id: str = ""
) -> str:
    """Hand the thread to another app (the Page Inbox by default); the owner afterwards."""
    owner = await _rpc_move(deps, page_id, psid, ThreadMove.PASS_TO_INBOX, target_app_id, reason)
    async with unit(deps) as work:
        work.emit(ThreadMoved(page_id, psid, ThreadMove.PASS_TO_INBOX, owner, reason))
    return owner


async def take_thread(deps: Deps, *, page_id: str, psid: str, reason: str) -> str:
    """Take the thread back for Parley; the owner afterwards."""
    owner = await _rpc_move(deps, page_id, psid, ThreadMove.TAKE_BACK, "", reason)
    async with unit(deps) as work:
        work.emit(ThreadMoved(page_id, psid, ThreadMove.TAKE_BACK, owner, reason))
    return owner


async def thread_owner(deps: Deps, *, page_id: str, psid: str) -> str:
    """The app that owns the thread ("" when none)."""
    token = await page_token(deps, page_id)
    try:
        return await deps.messenger.thread_owner(token, psid)
    except GraphError as error:
        raise _precondition(error) from None


async def _rpc_move(
    deps: Deps, page_id: str, psid: str, move: ThreadMove, target_app_id: str, reason: str
) -> str:
    await page_token(deps, page_id)
    try:
        return await _move(deps, page_id, psid, move, target_app_id, reason)
    except GraphError as error:
        raise _precondition(error) from None


async def page_token(deps: Deps, page_id: str) -> Secret:
    """The Page's token for an RPC: NOT_FOUND or FAILED_PRECONDITION when unavailable."""
    try:
        return await deps.tokens.token(page_id)
    except PageUnavailable as exc:
        if exc.unknown:
            raise NotFound(f"page {page_id} is not connected to Parley") from None
        raise FailedPrecondition(str(exc)) from None
    except TenantsUnreachable as exc:
        raise FailedPrecondition(f"page tokens are unavailable, try again: {exc}") from None


def _precondition(error: GraphError) -> FailedPrecondition:
    if error.kind is ErrorKind.HANDED_OVER:
        return FailedPrecondition("another app owns the thread")
    return FailedPrecondition(f"Facebook refused ({error.kind}, code {error.code})")
