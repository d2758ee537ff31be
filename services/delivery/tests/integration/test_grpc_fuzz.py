"""Every DeliveryService RPC fed malformed but well-typed requests, as its first permitted caller:
only proper refusals come back (never UNKNOWN / INTERNAL), and the service keeps serving."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley.delivery.v1 import delivery_pb2 as pb
from parley_delivery.entrypoints.rights import RIGHTS
from parley_emulator.testing import PAGE_ID, PSID
from parley_testkit.grpc_fuzz import ACCEPTABLE, call, messages

from .conftest import Stack

pytestmark = pytest.mark.integration
SERVICE = pb.DESCRIPTOR.services_by_name["DeliveryService"]
METHODS = sorted(SERVICE.methods_by_name)
TRIED: dict[str, int] = {}  # "<method> <status>" -> requests
# Known ids reach past "no such Page" into the window, thread and send paths.
_KNOWN = {"page_id": PAGE_ID, "recipient_id": PSID}


def _with_known_ids(request: Message, use: list[str]) -> Message:
    for name in use:
        if name in request.DESCRIPTOR.fields_by_name:
            setattr(request, name, _KNOWN[name])
    return request


def requests() -> st.SearchStrategy[tuple[str, Any]]:
    def for_method(name: str) -> st.SearchStrategy[tuple[str, Any]]:
        drawn = st.builds(
            _with_known_ids,
            messages(SERVICE.methods_by_name[name].input_type),
            st.lists(st.sampled_from(sorted(_KNOWN)), unique=True),
        )
        return st.tuples(st.just(name), drawn)

    return st.sampled_from(METHODS).flatmap(for_method)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=requests())
async def test_malformed_requests_are_refused_never_crash(
    stack: Stack, case: tuple[str, Any]
) -> None:
    method, request = case
    caller = RIGHTS[method][0]
    code = await call(stack.channels[caller], SERVICE, method, request)
    outcome = f"{method} {code.name}"
    TRIED[outcome] = TRIED.get(outcome, 0) + 1
    assert code in ACCEPTABLE, f"{method} answered {code.name} to {request}"


async def test_the_service_still_serves_after_the_fuzzing(stack: Stack) -> None:
    request = pb.GetThreadOwnerRequest(page_id=PAGE_ID, recipient_id=PSID)
    answer = await stack.stub().GetThreadOwner(request)
    assert answer.owner_app_id
    if TRIED:
        sys.stderr.write(f"delivery gRPC fuzz: {sum(TRIED.values())} requests: {TRIED}\n")
