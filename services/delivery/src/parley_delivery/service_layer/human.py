"""Replies written by people (the dashboard, internal teams): sent at once, exactly once, with
no tag inside 24 hours and HUMAN_AGENT up to 7 days, refused after."""

from __future__ import annotations

from dataclasses import dataclass

from parley_delivery.adapters import replies_repo
from parley_delivery.domain.model import Outcome, Reply
from parley_delivery.service_layer import replies
from parley_delivery.service_layer.outcomes import Hold
from parley_delivery.service_layer.unit import Deps
from parley_kit.errors import FailedPrecondition

RPC_BUDGET_S = 8.0


@dataclass(frozen=True)
class HumanSent:
    """The message ids of the parts, and how they went out."""

    message_ids: tuple[str, ...]
    messaging_type: str
    tag: str


async def send_as_human(deps: Deps, reply: Reply) -> HumanSent:
    """Send now, or FailedPrecondition saying why not (policy refusals also leave a policy
    event); the same idempotency key again returns the first result without sending."""
    result = await replies.deliver(deps, reply, budget_s=RPC_BUDGET_S)
    settled = await replies_repo.get_settled(deps.pool, reply.idempotency_key)
    if settled is not None and settled.outcome is Outcome.SENT:
        return HumanSent(tuple(settled.message_ids), settled.messaging_type, settled.tag)
    if isinstance(result, Hold) or settled is None or not settled.outcome.final:
        reason = result.reason if isinstance(result, Hold) else "it is still being sent"
        raise FailedPrecondition(f"not sent yet ({reason}): retry with the same idempotency key")
    raise FailedPrecondition(f"not sent ({settled.outcome.value}): {settled.detail}")
