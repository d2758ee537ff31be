"""`make bench` at scale: 1,000 connected Pages with 20 live conversations each.

The Pages are the seller's on Facebook (the emulator); the seller logs in once more and Parley's
onboarding connects every Page the user manages. Every buyer then writes once (so each has a
live conversation, answered), and messages spread over all those conversations are measured
end to end at a steady rate, as bench_e2e measures them.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from parley_devstack.bench_e2e import HEADER, HOW, describe, describe_cpu, run_step
from parley_devstack.bench_load import Target
from parley_devstack.bench_mesh import (
    BenchMesh,
    bench_mesh,
    connect_pages,
    population,
    rss_all,
    seed_pages,
)
from parley_devstack.bench_stats import Step


@dataclass(frozen=True)
class PagesRun:
    """What setting up took and what the load at scale measured."""

    pages: int
    connected: int
    conversations: int
    opened: Step
    connect_s: float
    open_s: float
    step: Step
    rss_mb: dict[str, float]


def scale_up(
    bench: BenchMesh, pages: int, buyers: int, already: Sequence[Target], open_rate: float
) -> tuple[list[Target], int, Step, float, float]:
    """Seed and connect the Pages, then open a conversation for every buyer not yet talking."""
    targets = population(0, pages, buyers)
    began = time.monotonic()
    seed_pages(bench, targets)
    connected = connect_pages(bench)
    connect_s = time.monotonic() - began
    talking = set(already)
    fresh = [t for t in targets if t not in talking]
    began = time.monotonic()
    opened = run_step(bench, fresh, open_rate, len(fresh) / open_rate)
    return targets, connected, opened, connect_s, time.monotonic() - began


def run_pages(
    bench: BenchMesh,
    *,
    pages: int,
    buyers: int,
    rate: float,
    seconds: float,
    open_rate: float,
    already: Sequence[Target] = (),
) -> PagesRun:
    """Scale up, then measure at `rate` over every conversation (each message to a new one
    while the step lasts, when there are more conversations than messages)."""
    targets, connected, opened, connect_s, open_s = scale_up(
        bench, pages, buyers, already, open_rate
    )
    print(
        f"{pages} Pages seeded and connected ({connected} connected in all) in {connect_s:.1f} s; "
        f"{opened.answered}/{opened.sent} new conversations opened at {open_rate:.0f}/s "
        f"in {open_s:.1f} s",
        flush=True,
    )
    step = run_step(bench, targets, rate, seconds)
    print(HEADER, flush=True)
    print(describe(step), flush=True)
    print(describe_cpu(step), flush=True)
    rss = rss_all(bench)
    return PagesRun(pages, connected, len(targets), opened, connect_s, open_s, step, rss)


def main(argv: list[str] | None = None) -> int:
    """Start the mesh, scale up, measure."""
    parser = argparse.ArgumentParser(prog="python -m parley_devstack.bench_pages")
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--buyers", type=int, default=20, help="live conversations per Page")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--open-rate", type=float, default=200.0, help="first messages per s")
    args = parser.parse_args(argv)
    with bench_mesh() as bench:
        print(HOW, flush=True)
        run = run_pages(
            bench,
            pages=args.pages,
            buyers=args.buyers,
            rate=args.rate,
            seconds=args.seconds,
            open_rate=args.open_rate,
        )
        print("RSS MB: " + ", ".join(f"{k} {v:.0f}" for k, v in run.rss_mb.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
