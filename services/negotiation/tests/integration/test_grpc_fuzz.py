"""Every NegotiationService RPC fed malformed but well-typed requests: only proper refusals
come back (never UNKNOWN / INTERNAL), and the service keeps answering buyers."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley.negotiation.v1 import negotiation_pb2 as npb
from parley_negotiation.entrypoints.grpc_api import RIGHTS
from parley_testkit.grpc_fuzz import ACCEPTABLE, call, messages

from .conftest import Service

pytestmark = pytest.mark.integration
SERVICE = npb.DESCRIPTOR.services_by_name["NegotiationService"]


def requests() -> st.SearchStrategy[tuple[str, object]]:
    return st.sampled_from(sorted(SERVICE.methods_by_name)).flatmap(
        lambda name: st.tuples(st.just(name), messages(SERVICE.methods_by_name[name].input_type))
    )


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=requests())
async def test_malformed_requests_are_refused_never_crash(
    service: Service, case: tuple[str, object]
) -> None:
    method, request = case
    channel = service.channel(RIGHTS[method][0])
    code = await call(channel, SERVICE, method, request)  # type: ignore[arg-type]
    await channel.close(None)
    assert code in ACCEPTABLE, f"{method} answered {code.name} to {request}"
