"""Hourly figures per scope: added to in bulk (rows in one sorted order), read back summed per
report bucket from the primary key's range, never from the event log."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime

from parley_analytics.domain.books import BucketKey
from parley_analytics.domain.model import COUNTERS, SUMS, Delta, Scope
from parley_analytics.domain.report import Width
from parley_kit.db import Pool, PoolConnection

_COLUMNS = (*COUNTERS, *SUMS)
_ADD_HOURLY = (
    f"INSERT INTO hourly (scope, scope_id, hour, {', '.join(_COLUMNS)}) "
    "SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], "
    + ", ".join(
        f"${i}::{'bigint' if name in COUNTERS else 'float8'}[]"
        for i, name in enumerate(_COLUMNS, start=4)
    )
    + ") ON CONFLICT (scope, scope_id, hour) DO UPDATE SET "
    + ", ".join(f"{name} = hourly.{name} + EXCLUDED.{name}" for name in _COLUMNS)
)
_ADD_CLASSES = (
    "INSERT INTO hourly_classes (scope, scope_id, hour, family, class, count) "
    "SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], "
    "$6::bigint[]) ON CONFLICT (scope, scope_id, hour, family, class) "
    "DO UPDATE SET count = hourly_classes.count + EXCLUDED.count"
)
_ADD_LATENCY = (
    "INSERT INTO hourly_latency (scope, scope_id, hour, metric, bin, count) "
    "SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], "
    "$5::smallint[], $6::bigint[]) ON CONFLICT (scope, scope_id, hour, metric, bin) "
    "DO UPDATE SET count = hourly_latency.count + EXCLUDED.count"
)
_BUCKET = {
    Width.TOTAL: "$3::timestamptz",
    Width.HOUR: "hour",
    Width.DAY: "date_trunc('day', hour, 'UTC')",
}


async def add(conn: PoolConnection, ledger: Mapping[BucketKey, Delta]) -> None:
    """Add a batch's figures to the hourly rows."""
    keys = sorted(ledger)
    if not keys:
        return
    columns: list[list[object]] = [
        [kind.value for kind, _, _ in keys],
        [scope_id for _, scope_id, _ in keys],
        [hour for _, _, hour in keys],
    ]
    columns += [[ledger[key].counts.get(name, 0) for key in keys] for name in COUNTERS]
    columns += [[ledger[key].sums.get(name, 0.0) for key in keys] for name in SUMS]
    await conn.execute(_ADD_HOURLY, *columns)
    classes = [
        (key, family, name, n)
        for key in keys
        for (family, name), n in sorted(ledger[key].classes.items())
    ]
    await _add_detail(conn, _ADD_CLASSES, classes)
    bins = [
        (key, metric, k, n) for key in keys for (metric, k), n in sorted(ledger[key].bins.items())
    ]
    await _add_detail(conn, _ADD_LATENCY, bins)


async def _add_detail(
    conn: PoolConnection, sql: str, rows: Sequence[tuple[BucketKey, str, object, int]]
) -> None:
    if not rows:
        return
    await conn.execute(
        sql,
        [key[0].value for key, _, _, _ in rows],
        [key[1] for key, _, _, _ in rows],
        [key[2] for key, _, _, _ in rows],
        [detail for _, detail, _, _ in rows],
        [item for _, _, item, _ in rows],
        [n for _, _, _, n in rows],
    )


async def read(
    pool: Pool, scope: Scope, start: datetime, end: datetime, width: Width
) -> dict[datetime, Delta]:
    """The figures of a scope per bucket of [start, end) (hours aligned); buckets with none are
    absent."""
    bucket = _BUCKET[width]
    where = "WHERE scope = $1 AND scope_id = $2 AND hour >= $3 AND hour < $4"
    sums = ", ".join(f"sum({name}) AS {name}" for name in _COLUMNS)
    args = (scope[0].value, scope[1], start, end)
    counters, classes, bins = await asyncio.gather(
        pool.fetch(f"SELECT {bucket} AS bucket, {sums} FROM hourly {where} GROUP BY 1", *args),
        pool.fetch(
            f"SELECT {bucket} AS bucket, family, class, sum(count) AS n FROM hourly_classes "
            f"{where} GROUP BY 1, 2, 3 HAVING sum(count) <> 0",
            *args,
        ),
        pool.fetch(
            f"SELECT {bucket} AS bucket, metric, bin, sum(count) AS n FROM hourly_latency "
            f"{where} GROUP BY 1, 2, 3 HAVING sum(count) <> 0",
            *args,
        ),
    )
    found: dict[datetime, Delta] = {}
    for row in counters:
        delta = found.setdefault(row["bucket"], Delta())
        delta.counts.update({name: int(row[name]) for name in COUNTERS if row[name]})
        delta.sums.update({name: float(row[name]) for name in SUMS if row[name]})
    for row in classes:
        found.setdefault(row["bucket"], Delta()).classes[(row["family"], row["class"])] = int(
            row["n"]
        )
    for row in bins:
        found.setdefault(row["bucket"], Delta()).bins[(row["metric"], row["bin"])] = int(row["n"])
    return found
