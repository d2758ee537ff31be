"""The analytics service as the dashboard uses it: a seller's report."""

from __future__ import annotations

from datetime import datetime

from parley.analytics.v1 import analytics_pb2 as pb
from parley.analytics.v1.analytics_pb2_grpc import AnalyticsServiceStub
from parley_gateway.adapters.calls import call
from parley_kit.grpc_client import open_channel

_SERVICE = "analytics"


class AnalyticsClient:
    """Calls analytics as the `gateway` caller, with a deadline on every call."""

    def __init__(self, address: str, caller_token: str | None, timeout_s: float = 5.0) -> None:
        self._channel = open_channel(address, caller_token=caller_token)
        self._stub = AnalyticsServiceStub(self._channel)
        self._timeout = timeout_s

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close(None)

    async def seller_report(
        self, seller_id: str, start: datetime, end: datetime
    ) -> pb.GetReportResponse:
        """The seller's figures over [start, end), bucketed by day."""
        request = pb.GetReportRequest(seller_id=seller_id, bucket=pb.BUCKET_DAY)
        request.start.FromDatetime(start)
        request.end.FromDatetime(end)
        return await call(_SERVICE, self._stub.GetReport(request, timeout=self._timeout))
