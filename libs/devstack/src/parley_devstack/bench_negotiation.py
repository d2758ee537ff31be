"""`make bench`, negotiation part: inbound events published to JetStream as the gateway does,
answered by the negotiation service (tenants over gRPC, state in PostgreSQL, the reply command
through the outbox), measured from publish to the reply command on PARLEY_REPLIES.

The whole mesh runs as `make run` starts it, on servers of the bench's own (a fresh PostgreSQL
and NATS under a temporary folder), so earlier runs and tests cannot skew the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from contextlib import ExitStack

import nats
from nats.aio.msg import Msg

from parley.events.v1.inbound_pb2 import InboundEvent, MessageReceived
from parley.events.v1.replies_pb2 import ReplyCommand
from parley_devstack._process import free_port, server_tempdir
from parley_devstack.run import Mesh, Ports, http_json, start_mesh
from parley_devstack.stack import LocalStack

MESSAGES = (
    "is this still available?",
    "would you take 7000 cash",
    "what's the mileage?",
    "can I see it saturday?",
    "ok 7,800?",
)


def inbound(page_id: str, buyer: str, text: str) -> InboundEvent:
    """A buyer message as the gateway publishes it."""
    event = InboundEvent(event_id=uuid.uuid4().hex, page_id=page_id, sender_id=buyer)
    event.occurred_at.GetCurrentTime()
    event.message.CopyFrom(MessageReceived(mid=f"m.{uuid.uuid4().hex}", text=text))
    return event


async def measure(nats_url: str, page_id: str, rate: float, seconds: float) -> dict[str, float]:
    """Publish `rate` messages per second (over many buyers) for `seconds`; latency to reply."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    sent: dict[str, float] = {}
    latencies: list[float] = []

    async def on_reply(msg: Msg) -> None:
        command = ReplyCommand.FromString(msg.data)
        started = sent.pop(command.in_reply_to_event_id, None)
        if started is not None:
            latencies.append(time.perf_counter() - started)

    sub = await nc.subscribe(f"parley.replies.{page_id}", cb=on_reply)
    total = int(rate * seconds)
    began = time.perf_counter()
    for index in range(total):
        buyer = f"71{index % 400:014d}"
        event = inbound(page_id, buyer, MESSAGES[(index // 400) % len(MESSAGES)])
        sent[event.event_id] = time.perf_counter()
        await js.publish(
            f"parley.inbound.{page_id}.message",
            event.SerializeToString(),
            headers={"Nats-Msg-Id": event.event_id},
        )
        delay = began + (index + 1) / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
    async with asyncio.timeout(60):
        while sent and len(latencies) < total:
            await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - began
    await sub.unsubscribe()
    await nc.close()
    ordered = sorted(latencies)
    return {
        "sent": float(total),
        "answered": float(len(ordered)),
        "rate": len(ordered) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[int(len(ordered) * 0.95) - 1] * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    """Start the mesh on private servers, warm up, then measure at each rate."""
    parser = argparse.ArgumentParser(prog="python -m parley_devstack.bench_negotiation")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rates", default="50,200,500")
    args = parser.parse_args(argv)
    # Delivery sends every reply at once here: its pacing would only hold replies in memory.
    os.environ["PARLEY_DELIVERY_PACING"] = "false"
    with ExitStack() as cleanup:
        data = cleanup.enter_context(server_tempdir("parley-bench-", in_memory=True))
        (data / "logs").mkdir()
        stack = cleanup.enter_context(LocalStack(data, env={}, fsync=False))
        mesh = Mesh(data / "logs")
        cleanup.callback(mesh.stop)
        ports = Ports(*(free_port() for _ in range(6)))
        running = start_mesh(mesh, stack, data, ports)
        page_id = http_json("GET", f"{running.emulator}/_emulator/pages")["data"][0]["id"]
        asyncio.run(measure(stack.nats_url, page_id, rate=50, seconds=2))  # warm-up
        print("negotiation: buyer message on JetStream -> reply command (publish to publish)")
        print(
            f"{'rate/s':>8} {'answered':>9} {'done/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
        )
        for rate in (float(r) for r in args.rates.split(",")):
            f = asyncio.run(measure(stack.nats_url, page_id, rate=rate, seconds=args.seconds))
            print(
                f"{rate:8.0f} {f['answered']:>5.0f}/{f['sent']:<3.0f} {f['rate']:8.0f} "
                f"{f['p50_ms']:8.1f} {f['p95_ms']:8.1f} {f['p99_ms']:8.1f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
