"""`make bench`: the benchmark suite in one run, one table of figures against the targets.

1. Gateway ingest against a bare Starlette app (parley_devstack.bench, wrk), before the mesh.
2. The mesh on private servers, delivery's pacing off: end to end, webhook to Send API call,
   p50/p95/p99 at 200 buyer messages/s, then the rate stepped up to the highest sustained.
3. 1,000 connected Pages with 20 live conversations each: setup time, then end to end again.
4. RSS of every process at idle and after the heaviest load.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import platform
import sys
import tempfile
from pathlib import Path

from parley_devstack import bench
from parley_devstack.bench_e2e import HOW, prepare, sweep
from parley_devstack.bench_mesh import RSS_LIMIT_MB, bench_mesh, rss_all
from parley_devstack.bench_pages import PagesRun, run_pages
from parley_devstack.bench_stats import Row, Step, format_table, highest_sustained
from parley_devstack.servers import NatsServer

E2E_P99_MS = 100.0
SUSTAINED_TARGET = 500.0
GATEWAY_RATIO = 0.35
GATEWAY_P99_MS = 25.0


def gateway_vs_bare(seconds: int) -> tuple[bench.Figures, bench.Figures]:
    """parley_devstack.bench's two runs: bare Starlette, then the gateway on its own NATS."""
    args = argparse.Namespace(seconds=seconds, connections=32, threads=1, bodies=200_000)
    wrk = bench.ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        scripts = bench.write_scripts(Path(tmp), args.bodies)
        with NatsServer(Path(tmp) / "nats") as nats:
            bare = bench.bench_bare(wrk, scripts[0], args)
            gateway = bench.bench_gateway(wrk, scripts[1], args, nats.url)
    print(bench.report(bare, gateway), flush=True)
    return bare, gateway


def gateway_rows(bare: bench.Figures, gateway: bench.Figures) -> list[Row]:
    """Ingest rate against the baseline, and the gateway's p99."""
    return [
        Row("bare Starlette, POST /webhook", bare.requests_per_s, "req/s"),
        Row("gateway ingest (signed, JetStream)", gateway.requests_per_s, "req/s"),
        Row(
            "gateway / bare throughput",
            gateway.requests_per_s / bare.requests_per_s,
            "x",
            GATEWAY_RATIO,
        ),
        Row("gateway ingest p99", gateway.p99_ms, "ms", GATEWAY_P99_MS, higher_is_better=False),
    ]


def e2e_rows(steps: list[Step]) -> list[Row]:
    """Latency at the first (200/s) step and the highest sustained rate."""
    first = steps[0]
    at = f"at {first.rate:.0f} msg/s"
    return [
        Row(f"end to end p50 {at}", first.p(0.5), "ms"),
        Row(f"end to end p95 {at}", first.p(0.95), "ms"),
        Row(f"end to end p99 {at}", first.p(0.99), "ms", E2E_P99_MS, higher_is_better=False),
        Row("highest sustained rate", highest_sustained(steps), "msg/s", SUSTAINED_TARGET),
        Row(f"CPU per message {at}, all processes", sum(first.cpu_ms_per_message.values()), "ms"),
    ]


def pages_rows(run: PagesRun) -> list[Row]:
    """Setup at scale and end to end over all those conversations."""
    at = f"at {run.step.rate:.0f} msg/s over {run.conversations:,} conversations"
    return [
        Row("Pages connected", float(run.connected), ""),
        Row(f"connecting {run.pages:,} Pages (seed + Facebook login)", run.connect_s, "s"),
        Row(f"opening {run.opened.sent:,} conversations", run.open_s, "s"),
        Row(f"end to end p50 {at}", run.step.p(0.5), "ms"),
        Row(f"end to end p99 {at}", run.step.p(0.99), "ms", E2E_P99_MS, higher_is_better=False),
    ]


def rss_rows(idle: dict[str, float], loaded: dict[str, float]) -> list[Row]:
    """RSS of each process at idle and after the heaviest load, against 250 MB."""
    rows = []
    for name in idle:
        for when, rss in (("idle", idle), ("loaded", loaded)):
            rows.append(Row(f"RSS {name}, {when}", rss.get(name, 0.0), "MB", RSS_LIMIT_MB, False))
    return rows


def header(shared: bool) -> str:
    """When and where the figures were measured."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    note = " (measured while the machine was shared)" if shared else ""
    return (
        f"Measured {datetime.date.today().isoformat()} on {os.cpu_count()} cores ({cpu}), "
        f"everything on one box{note}."
    )


def measure_mesh(args: argparse.Namespace) -> list[Row]:
    """Parts 2 to 4 on one mesh."""
    rates = [float(r) for r in args.rates.split(",")]
    with bench_mesh() as mesh:
        idle = rss_all(mesh)
        targets = prepare(mesh, args.e2e_pages, args.buyers, args.open_rate)
        print(HOW, flush=True)
        steps, loaded = sweep(mesh, targets, rates, args.seconds)
        rows = e2e_rows(steps)
        if args.pages:
            run = run_pages(
                mesh,
                pages=args.pages,
                buyers=args.buyers,
                rate=rates[0],
                seconds=args.seconds,
                open_rate=args.open_rate,
                already=targets,
            )
            rows += pages_rows(run)
            loaded = {k: max(v, run.rss_mb.get(k, 0.0)) for k, v in loaded.items()}
        return rows + rss_rows(idle, loaded)


def main(argv: list[str] | None = None) -> int:
    """Run every part and print one table."""
    parser = argparse.ArgumentParser(prog="python -m parley_devstack.bench_suite")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each load step")
    parser.add_argument("--rates", default="200,300,400,500,600,800,1000")
    parser.add_argument("--e2e-pages", type=int, default=50, help="Pages of the rate steps")
    parser.add_argument("--pages", type=int, default=1000, help="Pages at scale (0: skip)")
    parser.add_argument("--buyers", type=int, default=20, help="conversations per Page")
    parser.add_argument("--open-rate", type=float, default=200.0, help="first messages per s")
    parser.add_argument("--gateway-seconds", type=int, default=8, help="0: skip wrk")
    parser.add_argument("--shared", action="store_true", help="say the machine was shared")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    if args.gateway_seconds:
        rows += gateway_rows(*gateway_vs_bare(args.gateway_seconds))
    rows += measure_mesh(args)
    print()
    print(header(args.shared))
    print()
    print(format_table(rows))
    over = [row.figure for row in rows if row.unit == "MB" and row.verdict() == "FAIL"]
    if over:
        print(f"above {RSS_LIMIT_MB:.0f} MB: " + "; ".join(over))
    return 0


if __name__ == "__main__":
    sys.exit(main())
