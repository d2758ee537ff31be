"""`make bench`, end to end: a buyer's message as a signed webhook to the gateway, to the Send
API call that answers it (received by the emulator), through the whole mesh on private servers
with delivery's pacing off. p50/p95/p99 at a steady rate, then the rate stepped up to find the
highest one sustained (everything answered, replies at >= 95% of the offered rate, p99 <= 1 s).

Load: signed webhooks POSTed by this process (prepared before the clock starts, raw keep-alive
HTTP/1.1 on a few dozen connections, uvloop); its own CPU use is printed with each step.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import replace

import uvloop

from parley_devstack.bench_load import (
    Target,
    drive,
    measure,
    plan,
    reply_times,
    sent_total,
    wait_for_replies,
)
from parley_devstack.bench_mesh import (
    BenchMesh,
    bench_mesh,
    connect_pages,
    cpu_all,
    population,
    rss_all,
    seed_pages,
    wait_idle,
)
from parley_devstack.bench_stats import Step, highest_sustained, sustained

CONNECTIONS = 32
DRAIN_S = 20.0
HOW = (
    "load: signed webhooks POSTed to the gateway by the bench process (prepared in advance, raw "
    "HTTP/1.1 keep-alive, uvloop) on the same 2 cores; latency from when each message was due "
    "to the emulator's receipt of the Send API call answering it (matched by its metadata)"
)


def run_step(bench: BenchMesh, targets: Sequence[Target], rate: float, seconds: float) -> Step:
    """Offer `rate` messages a second for `seconds`, wait for the answers, measure."""
    base = sent_total(bench.emulator)
    count = max(1, int(rate * seconds))
    host = f"127.0.0.1:{bench.gateway_port}"
    start = time.time() + 0.5 + count * 30e-6
    load = plan(targets, rate=rate, count=count, start=start, secret=bench.secret, host=host)
    cpu, mesh_cpu = time.process_time(), cpu_all(bench)
    uvloop.run(drive(bench.gateway_port, load, CONNECTIONS))
    cpu = time.process_time() - cpu
    wait_for_replies(bench.emulator, base, count, DRAIN_S)
    step = measure(load, reply_times(bench.emulator, base), rate, cpu)
    used = {name: (spent - mesh_cpu[name]) * 1000 / count for name, spent in cpu_all(bench).items()}
    return replace(step, cpu_ms_per_message=used)


def open_conversations(bench: BenchMesh, targets: Sequence[Target], rate: float) -> Step:
    """One first message from every buyer, so each has a live conversation."""
    return run_step(bench, targets, rate, len(targets) / rate)


def describe(step: Step) -> str:
    """One line of a step's figures."""
    mark = "sustained" if sustained(step) else "NOT sustained"
    return (
        f"{step.rate:7.0f} {step.answered:>6}/{step.sent:<6} {step.rejected:>4} "
        f"{step.achieved:8.0f} {step.p(0.5):8.1f} {step.p(0.95):8.1f} {step.p(0.99):8.1f} "
        f"{step.generator_cpu * 100:5.1f}%  {mark}"
    )


def describe_cpu(step: Step) -> str:
    """CPU milliseconds each process spent per message in a step (comparable on a busy box)."""
    parts = [f"{name} {ms:.2f}" for name, ms in step.cpu_ms_per_message.items()]
    total = sum(step.cpu_ms_per_message.values())
    return f"        CPU ms per message: {', '.join(parts)}; total {total:.2f}"


HEADER = (
    f"{'rate/s':>7} {'answered':>13} {'non-200':>7} {'replies/s':>8} {'p50 ms':>8} "
    f"{'p95 ms':>8} {'p99 ms':>8} {'gen cpu':>6}"
)


def sweep(
    bench: BenchMesh, targets: Sequence[Target], rates: Sequence[float], seconds: float
) -> tuple[list[Step], dict[str, float]]:
    """Each rate in turn until one is not sustained; RSS at the end of the last step run."""
    steps: list[Step] = []
    rss: dict[str, float] = {}
    print(HEADER, flush=True)
    for rate in rates:
        wait_idle(bench)
        step = run_step(bench, targets, rate, seconds)
        rss = rss_all(bench)
        steps.append(step)
        print(describe(step), flush=True)
        print(describe_cpu(step), flush=True)
        if not sustained(step):
            break
    return steps, rss


def prepare(bench: BenchMesh, pages: int, buyers: int, rate: float) -> list[Target]:
    """Pages and buyers seeded, connected, a conversation opened per buyer."""
    began = time.monotonic()
    targets = population(0, pages, buyers)
    seed_pages(bench, targets)
    connected = connect_pages(bench)
    opened = open_conversations(bench, targets, rate)
    print(
        f"set up {pages} Pages x {buyers} buyers ({connected} Pages connected) and opened "
        f"{opened.answered}/{opened.sent} conversations in {time.monotonic() - began:.1f} s",
        flush=True,
    )
    return targets


def main(argv: list[str] | None = None) -> int:
    """Start the mesh, open the conversations, measure at each rate."""
    parser = argparse.ArgumentParser(prog="python -m parley_devstack.bench_e2e")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rates", default="200,300,400,500,600,800,1000")
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--buyers", type=int, default=20, help="buyers per Page")
    parser.add_argument("--hold", type=float, default=0.0, help="keep the first rate this long")
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rates.split(",")]
    with bench_mesh() as bench:
        print(f"idle RSS MB: {_rss_line(rss_all(bench))}", flush=True)
        targets = prepare(bench, args.pages, args.buyers, 200.0)
        print(HOW, flush=True)
        if args.hold:
            print(describe(run_step(bench, targets, rates[0], args.hold)), flush=True)
        steps, rss = sweep(bench, targets, rates, args.seconds)
        print(f"highest sustained rate: {highest_sustained(steps):.0f} msg/s", flush=True)
        print(f"RSS MB at the end of the last step: {_rss_line(rss)}", flush=True)
    return 0


def _rss_line(rss: dict[str, float]) -> str:
    return ", ".join(f"{name} {mb:.0f}" for name, mb in rss.items())


if __name__ == "__main__":
    sys.exit(main())
