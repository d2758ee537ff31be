"""What to do about a failed Send API call (MESSENGER.md's error table), as a pure decision."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from parley_delivery.domain.model import Outcome


class Step(StrEnum):
    """The next step after a failed call."""

    RETRY = "retry"  # certainly not sent; temporary: retry with backoff and jitter
    BACK_OFF = "back_off"  # rate limited: slow the Page (or the app) down, then retry
    RECONCILE = "reconcile"  # may have been sent: look for its echo before sending again
    REPORT_TOKEN = "report_token"  # the Page's token is dead: tell tenants, hold the reply
    GIVE_UP = "give_up"  # record the outcome, never retry


@dataclass(frozen=True)
class Failure:
    """A failed call as the Graph client classified it (parley_kit.graph.ErrorKind values)."""

    kind: str
    code: int | None = None
    subcode: int | None = None
    maybe_delivered: bool = False


@dataclass(frozen=True)
class Decision:
    """The step, and for GIVE_UP the outcome to record."""

    step: Step
    outcome: Outcome | None = None


_UNAVAILABLE = frozenset({(551, None), (200, 1545041)})
APP_RATE_CODE = 4  # the app's own limit: every Page slows down, not only this one


def decide(failure: Failure) -> Decision:
    """The step for a failure: retry what certainly failed, never what may have gone out."""
    kind = failure.kind
    if kind in ("retry", "rate_limited") and failure.maybe_delivered:
        return Decision(Step.RECONCILE)
    if kind == "retry":
        return Decision(Step.RETRY)
    if kind == "rate_limited":
        return Decision(Step.BACK_OFF)
    if kind == "token_invalid":
        return Decision(Step.REPORT_TOKEN)
    if kind == "handed_over":
        return Decision(Step.GIVE_UP, Outcome.HANDED_OVER)
    if kind == "policy_window":
        return Decision(Step.GIVE_UP, Outcome.REFUSED)
    if (failure.code, failure.subcode) in _UNAVAILABLE or failure.code == 551:
        return Decision(Step.GIVE_UP, Outcome.UNAVAILABLE)
    return Decision(Step.GIVE_UP, Outcome.REJECTED)
