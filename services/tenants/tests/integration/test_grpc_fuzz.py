"""Every TenantService RPC fed malformed but well-typed requests, as each of its callers: only
proper refusals come back (never UNKNOWN / INTERNAL), and the service keeps serving."""

from __future__ import annotations

import sys

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley.tenants.v1 import tenants_pb2 as pb
from parley_tenants.entrypoints.rights import RIGHTS
from parley_testkit.grpc_fuzz import ACCEPTABLE, call, messages

from .conftest import Service

pytestmark = pytest.mark.integration
SERVICE = pb.DESCRIPTOR.services_by_name["TenantService"]
# The token-issuing RPC is fuzzed too: as delivery, for random Page ids.
METHODS = sorted(SERVICE.methods_by_name)
TRIED: dict[str, int] = {}


def requests() -> st.SearchStrategy[tuple[str, object]]:
    return st.sampled_from(METHODS).flatmap(
        lambda name: st.tuples(st.just(name), messages(SERVICE.methods_by_name[name].input_type))
    )


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=requests())
async def test_malformed_requests_are_refused_never_crash(
    service: Service, case: tuple[str, object]
) -> None:
    method, request = case
    caller = RIGHTS[method][0]
    code = await call(service.channels[caller], SERVICE, method, request)  # type: ignore[arg-type]
    TRIED[method] = TRIED.get(method, 0) + 1
    assert code in ACCEPTABLE, f"{method} answered {code.name} to {request}"


async def test_the_service_still_serves_after_the_fuzzing(service: Service) -> None:
    answer = await service.stub().GetKillSwitch(pb.GetKillSwitchRequest())
    assert answer.engaged is False
    if TRIED:
        sys.stderr.write(
            f"tenants gRPC fuzz: {sum(TRIED.values())} requests over {len(TRIED)} RPCs\n"
        )
    assert grpc.StatusCode.INTERNAL not in ACCEPTABLE


async def test_a_nul_character_is_an_invalid_argument_not_an_internal_error(
    service: Service,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await service.stub().DeleteListing(pb.DeleteListingRequest(listing_id="bad\x00id"))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "NUL" in (refused.value.details() or "")
