"""Send API errors (MESSENGER.md's table, classified by parley_kit.graph) to the next step."""

from __future__ import annotations

import pytest

from parley_delivery.domain.failures import Failure, Step, decide
from parley_delivery.domain.model import Outcome
from parley_kit.graph import classify


def step_for(
    code: int | None, subcode: int | None = None, status: int = 400
) -> tuple[Step, Outcome | None]:
    kind = classify(code, subcode, status)
    decision = decide(Failure(str(kind), code, subcode))
    return decision.step, decision.outcome


@pytest.mark.parametrize(
    ("code", "subcode", "status", "expected"),
    [
        (10, 2018278, 400, (Step.GIVE_UP, Outcome.REFUSED)),
        (10, 2534022, 400, (Step.GIVE_UP, Outcome.REFUSED)),
        (551, None, 400, (Step.GIVE_UP, Outcome.UNAVAILABLE)),
        (200, 1545041, 400, (Step.GIVE_UP, Outcome.UNAVAILABLE)),
        (613, 2534040, 400, (Step.BACK_OFF, None)),
        (4, None, 400, (Step.BACK_OFF, None)),
        (32, None, 400, (Step.BACK_OFF, None)),
        (1, None, 500, (Step.RETRY, None)),
        (2, None, 503, (Step.RETRY, None)),
        (1200, None, 400, (Step.RETRY, None)),
        (None, None, 502, (Step.RETRY, None)),
        (190, 460, 400, (Step.REPORT_TOKEN, None)),
        (200, None, 400, (Step.GIVE_UP, Outcome.REJECTED)),
        (100, None, 400, (Step.GIVE_UP, Outcome.REJECTED)),
        (100, 2018001, 400, (Step.GIVE_UP, Outcome.REJECTED)),
        (10, 2018300, 400, (Step.GIVE_UP, Outcome.HANDED_OVER)),
        (100, 2534037, 400, (Step.GIVE_UP, Outcome.HANDED_OVER)),
    ],
)
def test_each_meta_error_leads_to_its_step(
    code: int | None, subcode: int | None, status: int, expected: tuple[Step, Outcome | None]
) -> None:
    assert step_for(code, subcode, status) == expected


def test_a_failure_that_may_have_sent_is_reconciled_not_retried() -> None:
    for kind in ("retry", "rate_limited"):
        assert decide(Failure(kind, maybe_delivered=True)).step is Step.RECONCILE


def test_a_transport_failure_before_sending_is_retried() -> None:
    assert decide(Failure("retry", maybe_delivered=False)).step is Step.RETRY
