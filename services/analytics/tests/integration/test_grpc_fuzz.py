"""AnalyticsService.GetReport fed malformed but well-typed requests, as its first permitted caller:
only proper refusals come back (never UNKNOWN / INTERNAL), and the service keeps serving."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley.analytics.v1 import analytics_pb2 as pb
from parley_analytics.entrypoints.grpc_api import RIGHTS
from parley_kit.grpc_client import open_channel
from parley_testkit.grpc_fuzz import ACCEPTABLE, call, messages

from .conftest import CALLERS, Service

pytestmark = pytest.mark.integration
SERVICE = pb.DESCRIPTOR.services_by_name["AnalyticsService"]
METHOD = "GetReport"
TRIED: dict[str, int] = {}  # status -> requests
# Timestamps protobuf accepts (years 1 to 9999): ranges from an hour to whole millennia.
_SECONDS = st.one_of(
    st.integers(-62_135_596_800, 253_402_300_799),
    st.integers(1_700_000_000, 1_700_000_000 + 40 * 86_400),
)


@st.composite
def reports(draw: st.DrawFn) -> pb.GetReportRequest:
    """Random requests; half of them with valid (but possibly huge or inverted) ranges."""
    request = draw(messages(SERVICE.methods_by_name[METHOD].input_type))
    assert isinstance(request, pb.GetReportRequest)
    if draw(st.booleans()):
        request.start.seconds = draw(_SECONDS)
        request.start.nanos = 0
        request.end.seconds = draw(_SECONDS)
        request.end.nanos = 0
    return request


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=reports())
async def test_malformed_report_requests_are_refused_never_crash(
    service: Service, request: pb.GetReportRequest
) -> None:
    address = f"127.0.0.1:{service.analytics.server.port}"
    async with open_channel(address, caller_token=CALLERS[RIGHTS[METHOD][0]]) as channel:
        code = await call(channel, SERVICE, METHOD, request)
    TRIED[code.name] = TRIED.get(code.name, 0) + 1
    assert code in ACCEPTABLE, f"{METHOD} answered {code.name} to {request}"


async def test_the_service_still_serves_after_the_fuzzing(service: Service) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    answer = await service.report(start, start + timedelta(days=1), pb.BUCKET_HOUR)
    assert len(answer.buckets) == 24
    if TRIED:
        sys.stderr.write(f"analytics gRPC fuzz: {sum(TRIED.values())} requests: {TRIED}\n")


@pytest.mark.parametrize(
    ("seconds", "nanos"),
    [(1_700_000_000, -1), (1_700_000_000, 1_000_000_000), (-(2**62), 0), (2**62, 0)],
)
async def test_a_timestamp_out_of_range_is_an_invalid_argument(
    service: Service, seconds: int, nanos: int
) -> None:
    request = pb.GetReportRequest(page_id="1")
    request.start.FromDatetime(datetime(2024, 1, 1, tzinfo=UTC))
    request.end.seconds, request.end.nanos = seconds, nanos
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await service.stub().GetReport(request, timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "end" in (refused.value.details() or "")
