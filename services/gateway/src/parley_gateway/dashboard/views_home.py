"""The overview: the seller's Pages and their health, and the conversation numbers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from starlette.responses import Response

from parley.tenants.v1 import tenants_pb2 as pb
from parley_gateway.adapters.calls import Refused, Unavailable
from parley_gateway.dashboard.html import Html, fmt, notice, table
from parley_gateway.dashboard.numbers import numbers_section, page_numbers
from parley_gateway.dashboard.performance import performance_section, seller_report
from parley_gateway.dashboard.visit import Visit

_STATUS = {
    pb.PAGE_STATUS_ACTIVE: "Active",
    pb.PAGE_STATUS_PAUSED: "Paused",
    pb.PAGE_STATUS_NEEDS_RECONNECT: "Needs reconnecting",
}


def when(stamp: datetime | None) -> str:
    """A moment as pages show it (UTC)."""
    return "-" if stamp is None else stamp.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _checked(page: pb.Page) -> str:
    return (
        when(page.token_checked_at.ToDatetime(UTC))
        if page.HasField("token_checked_at")
        else "never"
    )


def _health(page: pb.Page) -> Html:
    status = _STATUS.get(page.status, "Unknown")
    reason = (
        fmt(' <span class="muted">({})</span>', page.status_reason) if page.status_reason else ""
    )
    return fmt('<span class="state">{}</span>{}', status, Html(reason))


def _pages_table(pages: list[pb.Page]) -> Html:
    rows = [
        (
            fmt('<a href="/dashboard/pages/{}">{}</a>', page.page_id, page.name),
            _health(page),
            "yes" if page.webhooks_subscribed else "no",
            "pending" if page.profile_setup_pending else "set up",
            _checked(page),
        )
        for page in pages
    ]
    headers = ("Page", "Status", "Receiving messages", "Messenger profile", "Token last checked")
    return table(headers, rows, "You have not connected a Facebook Page yet.")


def _reconnect(pages: list[pb.Page], link: str) -> Html:
    if not link:
        return Html("")
    if not pages:
        return notice(
            fmt('<a href="{}">Connect your Facebook Pages</a> to let Parley answer buyers.', link)
        )
    names = ", ".join(p.name for p in pages if p.status == pb.PAGE_STATUS_NEEDS_RECONNECT)
    return notice(
        fmt(
            "Facebook no longer lets Parley answer on {}. "
            '<a href="{}">Reconnect your Pages</a> (log in to Facebook and allow Parley again).',
            names,
            link,
        ),
        "error",
    )


async def _performance(visit: Visit) -> Html:
    """The analytics report, or a line saying it cannot be shown now (the rest still can)."""
    analytics = visit.services.analytics
    if analytics is None:
        return Html("")
    try:
        report = await seller_report(analytics, visit.seller_id)
    except (Unavailable, Refused) as exc:
        return fmt('<p class="muted">Performance figures are not available now ({}).</p>', exc)
    return performance_section(report)


async def overview(visit: Visit) -> Response:
    """Pages with their health (and the reconnect link when one needs it), then the numbers."""
    pages = await visit.scope.pages()
    needs_link = not pages or any(p.status == pb.PAGE_STATUS_NEEDS_RECONNECT for p in pages)
    negotiation = visit.services.negotiation
    numbers = await asyncio.gather(*(page_numbers(negotiation, page) for page in pages))
    link = await visit.services.tenants.connect_link(visit.seller_id) if needs_link else ""
    body = fmt(
        "{}<section><h2>Facebook Pages</h2>{}</section>{}{}",
        _reconnect(pages, link),
        _pages_table(pages),
        await _performance(visit),
        numbers_section(list(numbers)),
    )
    return visit.page("Overview", body)
