"""The seller's performance from the analytics service: the last days' figures as a table and
conversations per day as a chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.protobuf.duration_pb2 import Duration

from parley.analytics.v1 import analytics_pb2 as pb
from parley_gateway.adapters.analytics import AnalyticsClient
from parley_gateway.dashboard.html import Html, bars, fmt, table

DAYS = 7


async def seller_report(analytics: AnalyticsClient, seller_id: str) -> pb.GetReportResponse:
    """The last DAYS days (today included) for the seller."""
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return await analytics.seller_report(seller_id, end - timedelta(days=DAYS), end)


def _duration(value: Duration, counted: int) -> str:
    if not counted:
        return "-"
    seconds = value.ToTimedelta().total_seconds()
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _share(value: float, counted: int) -> str:
    return f"{value:.0%}" if counted else "-"


def _classes(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items())) or "-"


def performance_section(report: pb.GetReportResponse) -> Html:
    """Figures of the period, then conversations started per day."""
    t = report.total
    rows = [
        ("Conversations started", t.conversations_started),
        ("Buyer messages", t.messages_received),
        (
            "First response, median / 95%",
            f"{_duration(t.first_response_p50, t.first_responses)}"
            f" / {_duration(t.first_response_p95, t.first_responses)}",
        ),
        (
            "Reply time, median / 95%",
            f"{_duration(t.reply_time_p50, t.replies_timed)}"
            f" / {_duration(t.reply_time_p95, t.replies_timed)}",
        ),
        ("Offers received", t.offers_received),
        ("Deals agreed", t.deals_agreed),
        ("Conversion", _share(t.conversion_rate, t.conversations_started)),
        ("Sale price against asking", _share(t.average_price_to_asking, t.deals_agreed)),
        (
            "Sale price within your range (floor 0%, asking 100%)",
            _share(t.average_price_in_zone, t.deals_agreed),
        ),
        ("Escrow offered", t.escrow_offered),
        ("Handed to a person", _share(t.takeover_rate, t.conversations_started)),
        ("Replies blocked by Messenger's policy", t.policy_blocks),
        ("Replies not delivered", _classes(dict(t.send_failures_by_class))),
        ("Scams flagged", _classes(dict(t.scam_flags_by_kind))),
    ]
    per_day = [
        (bucket.bucket_start.ToDatetime().strftime("%a %d %b"), bucket.conversations_started)
        for bucket in report.buckets
    ]
    return fmt(
        "<section><h2>Performance, last {} days</h2>{}<h3>Conversations started per day</h3>"
        "{}</section>",
        DAYS,
        table(("Figure", "Value"), rows, "No figures yet."),
        bars(per_day),
    )
