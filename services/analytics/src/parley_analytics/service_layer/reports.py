"""Reports over a scope and a range, read from the hourly figures."""

from __future__ import annotations

from datetime import datetime

from parley_analytics.adapters import buckets_repo
from parley_analytics.domain.model import Scope
from parley_analytics.domain.report import RangeError, Report, Width, build_report, widen
from parley_analytics.service_layer.unit import Deps
from parley_kit.errors import InvalidArgument


async def get_report(
    deps: Deps, scope: Scope, start: datetime, end: datetime, width: Width
) -> Report:
    """The figures of a scope over [start, end) widened to whole buckets, and per bucket."""
    try:
        low, high = widen(start, end, width)
    except RangeError as exc:
        raise InvalidArgument(f"range: {exc}") from None
    found = await buckets_repo.read(deps.pool, scope, low, high, width)
    return build_report(low, high, width, found)
