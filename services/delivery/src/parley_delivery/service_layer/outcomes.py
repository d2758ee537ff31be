"""Settling a reply: an outcome recorded once, with its event, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from parley_delivery.adapters import replies_repo
from parley_delivery.domain.events import ReplyDropped, ReplyRefused
from parley_delivery.domain.model import Outcome, Reply
from parley_delivery.domain.window import Refusal
from parley_delivery.service_layer.unit import Deps, unit


@dataclass(frozen=True)
class Done:
    """The command needs nothing more: acknowledge it."""


@dataclass(frozen=True)
class Hold:
    """Not now: deliver the command again after `delay_s` (never lost, never sent twice)."""

    delay_s: float
    reason: str


Result = Done | Hold
DONE = Done()


async def refuse(deps: Deps, reply: Reply, refusal: Refusal) -> None:
    """Record a policy refusal and its policy event (once)."""
    async with unit(deps) as work:
        settled = await replies_repo.finish(work.conn, reply, Outcome.REFUSED, refusal.detail)
        if settled is not None:
            work.emit(ReplyRefused(reply, refusal.rule, refusal.detail, refusal.measured_from))
    if settled is not None:
        deps.metrics.settled(Outcome.REFUSED)


async def drop(
    deps: Deps,
    reply: Reply,
    outcome: Outcome,
    detail: str,
    *,
    code: int | None = None,
    subcode: int | None = None,
) -> None:
    """Record an outcome other than sent or refused, and its event (once)."""
    async with unit(deps) as work:
        settled = await replies_repo.finish(work.conn, reply, outcome, detail)
        if settled is not None and outcome is not Outcome.NO_MESSAGE:
            attempts, message_ids = settled
            work.emit(
                ReplyDropped(
                    reply,
                    outcome,
                    detail,
                    attempts,
                    tuple(message_ids),
                    graph_code=code,
                    graph_subcode=subcode,
                )
            )
    if settled is not None:
        deps.metrics.settled(outcome)


def expired(deps: Deps, reply: Reply) -> bool:
    """Whether the reply is past its give-up deadline."""
    return deps.clock() - reply.decided_at > deps.policy.give_up_after
