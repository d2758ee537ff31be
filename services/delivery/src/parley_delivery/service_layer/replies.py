"""A reply command from start to end: policy, human pace, the parts sent once, the thread moved.

Every command settles with exactly one recorded outcome (and its event); a command delivered
again finds that outcome and sends nothing.
"""

from __future__ import annotations

import logging

from parley_delivery.adapters import inbound_repo, ratelimit_repo, replies_repo
from parley_delivery.adapters.tenants import PageUnavailable, TenantsUnreachable
from parley_delivery.domain.messages import (
    MARK_SEEN,
    TYPING_ON,
    InvalidContent,
    Message,
    build_parts,
    sender_action_body,
)
from parley_delivery.domain.model import Author, Outcome, Pace, Progress, Reply, Window
from parley_delivery.domain.window import Permit, Refusal, permit, permit_private_reply
from parley_delivery.service_layer import outcomes, threads
from parley_delivery.service_layer.outcomes import DONE, Hold, Result
from parley_delivery.service_layer.sending import PartSender, unclaimed
from parley_delivery.service_layer.unit import Deps
from parley_kit.graph import GraphError
from parley_kit.secrets import Secret

log = logging.getLogger(__name__)
LAG_RETRY_S = 0.2


async def deliver(deps: Deps, reply: Reply, *, budget_s: float | None = None) -> Result:
    """Deliver one reply command (or human send); DONE once settled, else Hold."""
    budget = deps.policy.attempt_budget_s if budget_s is None else budget_s
    parts = _parts(deps, reply)
    if parts is not None and not _paced(deps, reply):
        return await _deliver_at_once(deps, reply, parts, budget)
    progress, window = await replies_repo.load_context(deps.pool, reply)
    if not progress.message_final:
        result = await _message(deps, reply, progress, window, budget)
        if isinstance(result, Hold):
            return result
    elif progress.thread_done:
        return DONE  # a duplicate: everything was done before
    return await threads.move_for_reply(deps, reply)


def _parts(deps: Deps, reply: Reply) -> list[Message] | None:
    """The reply's Send API messages, or None when it has none to send (or cannot be sent)."""
    if reply.content.empty:
        return None
    try:
        return build_parts(reply.content, deps.policy.text_limit)
    except InvalidContent:
        return None


async def _deliver_at_once(deps: Deps, reply: Reply, parts: list[Message], budget: float) -> Result:
    """The unpaced path: claim first (the window comes with the claim), then decide and send:
    one round trip fewer than reading the context first, on the hottest path."""
    claim = await replies_repo.claim(
        deps.pool, reply, lease_s=deps.policy.lease_s, bucket=deps.policy.bucket
    )
    if not claim.claimed:
        if claim.prior_state is not None and claim.prior_state.final:
            return DONE if claim.prior_thread_done else await threads.move_for_reply(deps, reply)
        return unclaimed(claim)
    decision = _permit(deps, reply, claim.window)
    if isinstance(decision, Refusal):
        await replies_repo.release(deps.pool, reply.idempotency_key, in_doubt=claim.was_in_doubt)
        result = await _refused(deps, reply, decision)
    else:
        result = await PartSender(deps, reply, parts, decision, budget, claim).run()
    return result if isinstance(result, Hold) else await threads.move_for_reply(deps, reply)


async def _message(
    deps: Deps, reply: Reply, progress: Progress, window: Window, budget: float
) -> Result:
    if reply.content.empty:
        await outcomes.drop(deps, reply, Outcome.NO_MESSAGE, "the command only moves the thread")
        return DONE
    try:
        parts = build_parts(reply.content, deps.policy.text_limit)
    except InvalidContent as exc:
        await outcomes.drop(deps, reply, Outcome.REJECTED, f"invalid reply: {exc}")
        return DONE
    decision = _permit(deps, reply, window)
    if isinstance(decision, Refusal):
        return await _refused(deps, reply, decision)
    if _paced(deps, reply) and progress.parts_sent == 0:
        paced = await _pace(deps, reply)
        if paced is not None:
            return paced
        decision = _permit(deps, reply, (await replies_repo.load_context(deps.pool, reply))[1])
        if isinstance(decision, Refusal):
            return await _refused(deps, reply, decision)
    return await PartSender(deps, reply, parts, decision, budget).run()


def _permit(deps: Deps, reply: Reply, window: Window) -> Permit | Refusal:
    now = deps.clock()
    if reply.private:
        return permit_private_reply(window, now)
    return permit(reply.author, window, now)


async def _refused(deps: Deps, reply: Reply, refusal: Refusal) -> Result:
    if _inbound_lagging(deps, reply, refusal):
        # The buyer message this reply answers is not recorded yet (another consumer): wait for
        # it rather than refuse a reply the window allows. Never send on the command's word.
        return Hold(LAG_RETRY_S, "waiting for the answered buyer event to be recorded")
    log.info("reply %s refused by policy: %s", reply.idempotency_key, refusal.detail)
    await outcomes.refuse(deps, reply, refusal)
    return DONE


def _inbound_lagging(deps: Deps, reply: Reply, refusal: Refusal) -> bool:
    answered = reply.in_reply_to_at
    if answered is None or reply.private:
        return False
    if refusal.measured_from is not None and refusal.measured_from >= answered:
        return False
    now = deps.clock()
    young = (now - reply.decided_at).total_seconds() < deps.policy.lag_grace_s
    return young and isinstance(permit(reply.author, Window(last_action_at=answered), now), Permit)


def _paced(deps: Deps, reply: Reply) -> bool:
    return (
        deps.policy.pacing.enabled
        and reply.pace is Pace.HUMAN
        and reply.author is Author.BOT
        and not reply.private
    )


async def _pace(deps: Deps, reply: Reply) -> Result | None:
    """mark_seen, typing_on, then a wait that ends early if the buyer writes again; the reply
    is dropped as superseded if they did (negotiation answers the newer message anyway)."""
    try:
        token = await deps.tokens.token(reply.page_id)
    except (PageUnavailable, TenantsUnreachable):
        return None  # the send itself decides what to do about the Page
    for action in (MARK_SEEN, TYPING_ON):
        await _sender_action(deps, token, reply, sender_action_body(reply.recipient_id, action))
    elapsed = (deps.clock() - reply.decided_at).total_seconds()
    delay = deps.policy.pacing.remaining(len(reply.content.text), elapsed, deps.rng)
    await deps.waiters.wait(reply.page_id, reply.recipient_id, delay)
    if await _superseded(deps, reply):
        await outcomes.drop(
            deps, reply, Outcome.SUPERSEDED, "the buyer wrote again while the reply waited"
        )
        return DONE  # the thread still moves if asked: a takeover is never dropped
    return None


async def _sender_action(deps: Deps, token: Secret, reply: Reply, body: Message) -> None:
    """Best effort: a lost typing indicator must never cost the reply."""
    wait = await ratelimit_repo.take(deps.pool, reply.page_id, deps.policy.bucket)
    if wait > 0:
        await deps.sleep(wait)
    try:
        await deps.messenger.sender_action(token, body)
    except GraphError as error:
        log.info("sender action for %s failed: %s", reply.idempotency_key, error)


async def _superseded(deps: Deps, reply: Reply) -> bool:
    answered = reply.in_reply_to_at
    if answered is None:
        return False
    latest = await inbound_repo.last_turn_at(
        deps.pool, page_id=reply.page_id, psid=reply.recipient_id
    )
    return latest is not None and latest > answered
