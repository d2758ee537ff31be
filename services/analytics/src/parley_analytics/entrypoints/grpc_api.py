"""The AnalyticsService gRPC API: rights, translation, one service-layer call per RPC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from parley.analytics.v1 import analytics_pb2 as pb
from parley.analytics.v1 import analytics_pb2_grpc
from parley_analytics.domain.model import PLATFORM, Family, Latency, Scope, ScopeKind
from parley_analytics.domain.report import Figures, Report, Width
from parley_analytics.service_layer import reports
from parley_analytics.service_layer.unit import Deps
from parley_kit.errors import InvalidArgument
from parley_kit.grpc_auth import rights_guard
from parley_kit.grpc_server import GrpcService

Context = Any  # grpc.aio.ServicerContext; the handlers never touch it
GATEWAY, OPERATOR = "gateway", "operator"
RIGHTS: dict[str, tuple[str, ...]] = {
    # The gateway serves sellers' dashboards (it asks only for the signed-in seller's scopes).
    "GetReport": (GATEWAY, OPERATOR),
}
guarded = rights_guard(RIGHTS)

_WIDTHS = {pb.BUCKET_UNSPECIFIED: Width.TOTAL, pb.BUCKET_HOUR: Width.HOUR, pb.BUCKET_DAY: Width.DAY}
_SCOPES = {
    "seller_id": ScopeKind.SELLER,
    "page_id": ScopeKind.PAGE,
    "listing_id": ScopeKind.LISTING,
}
# Counters reported as they are stored.
_COUNTERS = (
    "conversations_started",
    "conversations_converted",
    "human_takeovers",
    "messages_received",
    "offers_received",
    "deals_agreed",
    "escrow_offered",
    "scam_flags",
    "replies_sent",
    "policy_blocks",
    "send_failures",
)


class AnalyticsApi(analytics_pb2_grpc.AnalyticsServiceServicer):
    """Each method: check the caller, translate, call the service layer, translate back."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    @guarded
    async def GetReport(
        self, request: pb.GetReportRequest, context: Context
    ) -> pb.GetReportResponse:
        width = _WIDTHS.get(request.bucket)
        if width is None:
            raise InvalidArgument(f"bucket: unknown value {request.bucket}")
        report = await reports.get_report(
            self._deps,
            scope_of(request),
            _moment("start", request, request.start),
            _moment("end", request, request.end),
            width,
        )
        return report_out(report)


def scope_of(request: pb.GetReportRequest) -> Scope:
    """The scope a request names; the platform when it names none."""
    which = request.WhichOneof("scope")
    if which is None:
        return PLATFORM
    scope_id = str(getattr(request, which))
    if not scope_id:
        raise InvalidArgument(
            f"{which}: must not be empty (leave the scope unset for the platform)"
        )
    return (_SCOPES[which], scope_id)


def _moment(
    name: Literal["start", "end"], request: pb.GetReportRequest, stamp: Timestamp
) -> datetime:
    if not request.HasField(name):
        raise InvalidArgument(f"{name}: is required")
    try:
        return stamp.ToDatetime(UTC)
    except ValueError as exc:  # seconds or nanos outside what a Timestamp may hold
        raise InvalidArgument(f"{name}: {exc}") from None


def _stamp(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _duration(ms: float | None) -> Duration | None:
    if ms is None:
        return None
    duration = Duration()
    duration.FromNanoseconds(round(ms * 1_000_000))
    return duration


def figures_out(figures: Figures) -> pb.Figures:
    """The API's figures of a bucket or a total."""
    out = pb.Figures(
        conversion_rate=figures.conversion_rate,
        takeover_rate=figures.takeover_rate,
        average_price_to_asking=figures.average_price_to_asking,
        average_price_in_zone=figures.average_price_in_zone,
        send_failures_by_class=figures.classes(Family.SEND_FAILURE),
        policy_blocks_by_rule=figures.classes(Family.POLICY_RULE),
        scam_flags_by_kind=figures.classes(Family.SCAM),
        first_responses=figures.observed(Latency.FIRST_RESPONSE),
        replies_timed=figures.observed(Latency.REPLY_TIME),
        first_response_p50=_duration(figures.percentile(Latency.FIRST_RESPONSE, 50)),
        first_response_p95=_duration(figures.percentile(Latency.FIRST_RESPONSE, 95)),
        reply_time_p50=_duration(figures.percentile(Latency.REPLY_TIME, 50)),
        reply_time_p95=_duration(figures.percentile(Latency.REPLY_TIME, 95)),
    )
    for name in _COUNTERS:
        setattr(out, name, figures.n(name))
    if figures.bucket_start is not None:
        out.bucket_start.CopyFrom(_stamp(figures.bucket_start))
    return out


def report_out(report: Report) -> pb.GetReportResponse:
    """The API's report."""
    return pb.GetReportResponse(
        total=figures_out(report.total),
        buckets=[figures_out(bucket) for bucket in report.buckets],
        start=_stamp(report.start),
        end=_stamp(report.end),
    )


def analytics_service(deps: Deps) -> GrpcService[AnalyticsApi]:
    """The API as the kit's build_server takes it."""
    descriptor = pb.DESCRIPTOR.services_by_name["AnalyticsService"]
    return GrpcService(
        AnalyticsApi(deps), analytics_pb2_grpc.add_AnalyticsServiceServicer_to_server, descriptor
    )
