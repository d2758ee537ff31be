"""`parley analytics report`: a report over gRPC with the operator's token, as JSON."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf import json_format

from parley.analytics.v1 import analytics_pb2 as pb
from parley.analytics.v1.analytics_pb2_grpc import AnalyticsServiceStub
from parley_kit.grpc_client import open_channel
from parley_kit.settings import Env

if TYPE_CHECKING:
    from parley.analytics.v1.analytics_pb2_grpc import AnalyticsServiceAsyncStub

_AGO = re.compile(r"(\d+)([hd])")
_BUCKETS = {"none": pb.BUCKET_UNSPECIFIED, "hour": pb.BUCKET_HOUR, "day": pb.BUCKET_DAY}


def moment(text: str, now: datetime | None = None) -> datetime:
    """`2026-11-30`, `2026-11-30T08:00:00+07:00` (UTC when no zone is given), or `36h` / `7d`
    ago."""
    now = now or datetime.now(UTC)
    ago = _AGO.fullmatch(text.strip())
    if ago:
        amount, unit = int(ago[1]), ago[2]
        return now - (timedelta(hours=amount) if unit == "h" else timedelta(days=amount))
    try:
        found = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: use a date, a time or 36h / 7d") from None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def add_commands(sub: Any) -> None:
    """Register `report`."""
    p = sub.add_parser("report", help="figures of a seller, Page, listing or the platform")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--seller")
    scope.add_argument("--page")
    scope.add_argument("--listing")
    p.add_argument("--since", type=moment, required=True, help="start: a date, a time, or 7d")
    p.add_argument("--until", type=moment, help="end (default: now)")
    p.add_argument("--bucket", choices=sorted(_BUCKETS), default="none")


def request_of(args: argparse.Namespace) -> pb.GetReportRequest:
    """The request the arguments describe."""
    request = pb.GetReportRequest(bucket=_BUCKETS[args.bucket])
    for field, value in (("seller_id", args.seller), ("page_id", args.page)):
        if value:
            setattr(request, field, value)
    if args.listing:
        request.listing_id = args.listing
    request.start.FromDatetime(args.since)
    request.end.FromDatetime(args.until or datetime.now(UTC))
    return request


async def call(
    address: str, token: str | None, request: pb.GetReportRequest
) -> pb.GetReportResponse:
    """GetReport on the service at `address`."""
    async with open_channel(address, caller_token=token) as channel:
        stub: AnalyticsServiceAsyncStub = AnalyticsServiceStub(channel)
        return await stub.GetReport(request, timeout=30)


def run(args: argparse.Namespace) -> int:
    """Print the report as JSON; a failure on stderr."""
    env = Env()
    address = env.text("PARLEY_ANALYTICS_ADDR", "127.0.0.1:50054")
    token = env.secret("PARLEY_ANALYTICS_TOKEN", None)
    env.check()
    try:
        answer = asyncio.run(call(address, token.reveal() if token else None, request_of(args)))
    except grpc.aio.AioRpcError as error:
        sys.stderr.write(f"parley analytics report: {error.code().name}: {error.details()}\n")
        return 1
    sys.stdout.write(json_format.MessageToJson(answer, indent=2) + "\n")
    return 0
