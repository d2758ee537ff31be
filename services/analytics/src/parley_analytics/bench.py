"""Analytics benchmark: events ingested per second and GetReport latency, from one
`parley analytics serve` process against PostgreSQL and NATS (`python -m parley_analytics.bench`).

PostgreSQL and NATS come from PARLEY_DATABASE_URL / PARLEY_NATS_URL, or are started here. The
bench plays the producers: it declares their streams and stores a backlog of events (by default
about 100,000: buyer messages, decided turns, replies sent, refused and dropped, state changes,
over 30 days, many sellers, Pages and listings), then starts analytics and times it draining the
backlog (every event logged and counted). Then it calls GetReport from several callers at once
for random scopes (platform, seller, Page, listing) in hour buckets over 7 days and day buckets
over 30 days.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import nats
from google.protobuf.message import Message
from nats.aio.client import Client as NATS

from parley.analytics.v1 import analytics_pb2 as pb
from parley.analytics.v1.analytics_pb2_grpc import AnalyticsServiceStub
from parley.events.v1 import delivery_pb2, inbound_pb2, negotiation_pb2
from parley_devstack._process import free_port, server_tempdir
from parley_devstack.stack import LocalStack
from parley_kit import bus
from parley_kit.grpc_client import open_channel
from parley_kit.publisher import Outgoing, PipelinedPublisher

if TYPE_CHECKING:
    from parley.analytics.v1.analytics_pb2_grpc import AnalyticsServiceAsyncStub

PARLEY = str(Path(sys.executable).parent / "parley")
START = datetime(2026, 11, 1, tzinfo=UTC)
SOURCES = ("inbound", "negotiation", "delivery")


class Backlog:
    """Conversations as the producers would report them, as (source, subject, event)."""

    def __init__(self, rng: random.Random, sellers: int, pages_per_seller: int) -> None:
        self.rng = rng
        self.pages = [
            (f"seller-{s}", str(100_000_000_000_000 + s * 100 + p), f"listing-{s}-{p}")
            for s in range(sellers)
            for p in range(pages_per_seller)
        ]
        self.events: list[tuple[str, str, Message]] = []
        self.seq = 0

    def _id(self) -> str:
        self.seq += 1
        return f"bench-{self.seq}"

    def conversation(self, index: int) -> None:
        """A buyer's conversation: 2 to 5 turns, each a message, a decision and a reply."""
        seller, page, listing = self.rng.choice(self.pages)
        buyer = str(7_000_000_000_000_000 + index)
        at = START + timedelta(seconds=self.rng.uniform(0, 30 * 86400))
        turns = self.rng.randint(2, 5)
        for n in range(turns):
            at += timedelta(seconds=self.rng.uniform(20, 900))
            self._message(page, buyer, at)
            action = "accept" if n == turns - 1 and self.rng.random() < 0.4 else "counter"
            self._turn(seller, page, listing, buyer, at, n == 0, action)
            self._outcome(seller, page, buyer, at)
        if self.rng.random() < 0.05:
            self._human(seller, page, listing, buyer, at + timedelta(seconds=1))

    def _message(self, page: str, buyer: str, at: datetime) -> None:
        event = inbound_pb2.InboundEvent(
            event_id=self._id(),
            page_id=page,
            sender_id=buyer,
            message=inbound_pb2.MessageReceived(),
        )
        event.occurred_at.FromDatetime(at)
        self.events.append(("inbound", f"{page}.message", event))

    def _turn(
        self,
        seller: str,
        page: str,
        listing: str,
        buyer: str,
        at: datetime,
        started: bool,
        action: str,
    ) -> None:
        offer = self.rng.randrange(800_000, 1_000_000, 5_000)
        event = negotiation_pb2.TurnDecided(
            event_id=self._id(),
            page_id=page,
            seller_id=seller,
            conversation_id=f"{page}-{buyer}",
            listing_id=listing,
            conversation_started=started,
            action=action,
            offer_minor=offer,
            price_minor=offer,
            asking_minor=1_000_000,
            floor_minor=800_000,
            currency="USD",
            scam_flag="overpayment" if self.rng.random() < 0.01 else "",
        )
        event.buyer_at.FromDatetime(at)
        event.decided_at.FromDatetime(at + timedelta(milliseconds=30))
        self.events.append(("negotiation", f"{page}.turn_decided", event))

    def _outcome(self, seller: str, page: str, buyer: str, at: datetime) -> None:
        header = delivery_pb2.ReplyHeader(
            page_id=page, recipient_id=buyer, conversation_id=f"{page}-{buyer}", seller_id=seller
        )
        header.in_reply_to_at.FromDatetime(at)
        roll = self.rng.random()
        done = at + timedelta(seconds=3)
        event: delivery_pb2.ReplyRefused | delivery_pb2.ReplyDropped | delivery_pb2.ReplySent
        if roll < 0.02:
            rule = delivery_pb2.POLICY_RULE_BOT_WINDOW_CLOSED
            event = delivery_pb2.ReplyRefused(event_id=self._id(), reply=header, rule=rule)
            kind = "reply_refused"
        elif roll < 0.04:
            outcome = delivery_pb2.REPLY_OUTCOME_EXPIRED
            event = delivery_pb2.ReplyDropped(event_id=self._id(), reply=header, outcome=outcome)
            kind = "reply_dropped"
        else:
            event = delivery_pb2.ReplySent(event_id=self._id(), reply=header)
            done = at + timedelta(seconds=self.rng.lognormvariate(1, 0.8))
            event.sent_at.FromDatetime(done)
            kind = "reply_sent"
        event.occurred_at.FromDatetime(done)
        self.events.append(("delivery", f"{page}.{kind}", event))

    def _human(self, seller: str, page: str, listing: str, buyer: str, at: datetime) -> None:
        event = negotiation_pb2.ConversationStateChanged(
            event_id=self._id(),
            page_id=page,
            seller_id=seller,
            conversation_id=f"{page}-{buyer}",
            listing_id=listing,
            state="human",
            previous_state="bot",
        )
        event.occurred_at.FromDatetime(at)
        self.events.append(("negotiation", f"{page}.conversation_state_changed", event))


def build_backlog(events: int, sellers: int, pages: int, seed: int) -> Backlog:
    """At least `events` events."""
    backlog = Backlog(random.Random(seed), sellers, pages)
    index = 0
    while len(backlog.events) < events:
        backlog.conversation(index)
        index += 1
    return backlog


def analytics_env(stack: LocalStack, port: int, token: str) -> dict[str, str]:
    """An analytics process of the bench's own: its schema, streams and durables."""
    unique = uuid.uuid4().hex[:8]
    env = {
        **os.environ,
        **stack.env,
        "PARLEY_ANALYTICS_SCHEMA": f"bench_analytics_{unique}",
        "PARLEY_ANALYTICS_PORT": str(port),
        "PARLEY_ANALYTICS_CALLERS": f"operator={token}",
        "PARLEY_TENANTS_STREAM": f"BENCH_TENANTS_{unique.upper()}",
        "PARLEY_TENANTS_SUBJECT_PREFIX": f"bench.{unique}.tenants",
        "PARLEY_LOG_LEVEL": "WARNING",
    }
    for source in SOURCES:
        env[f"PARLEY_{source.upper()}_STREAM"] = f"BENCH_{source.upper()}_{unique.upper()}"
        env[f"PARLEY_{source.upper()}_SUBJECT_PREFIX"] = f"bench.{unique}.{source}"
    return env


async def store_backlog(nc: NATS, env: dict[str, str], backlog: Backlog) -> float:
    """Declare the producers' streams and store the backlog; seconds it took."""
    js = nc.jetstream()
    for source in (*SOURCES, "tenants"):
        name, prefix = (
            env[f"PARLEY_{source.upper()}_STREAM"],
            env[f"PARLEY_{source.upper()}_SUBJECT_PREFIX"],
        )
        await bus.ensure_stream(js, bus.StreamSpec(name, (f"{prefix}.>",)))
    publisher = PipelinedPublisher(nc)
    await publisher.start()
    started = time.perf_counter()
    for chunk in range(0, len(backlog.events), 2000):
        batch = [
            Outgoing(
                f"{env[f'PARLEY_{source.upper()}_SUBJECT_PREFIX']}.{subject}",
                event.SerializeToString(),
                getattr(event, "event_id"),  # noqa: B009 - every event has one
            )
            for source, subject, event in backlog.events[chunk : chunk + 2000]
        ]
        await publisher.publish(batch, timeout=60)
    await publisher.close()
    return time.perf_counter() - started


async def drained(nc: NATS, env: dict[str, str]) -> float:
    """Wait for analytics' consumers to exist, then until they acknowledged everything; the
    seconds from the first to the last."""
    js = nc.jetstream()
    durables = [
        (env[f"PARLEY_{source.upper()}_STREAM"], f"analytics-{source}")
        for source in (*SOURCES, "tenants")
    ]
    started: float | None = None
    while True:
        try:
            infos = [await js.consumer_info(stream, durable) for stream, durable in durables]
        except nats.js.errors.NotFoundError:
            await asyncio.sleep(0.05)
            continue
        started = started or time.perf_counter()
        if all(i.num_pending == 0 and i.num_ack_pending == 0 for i in infos):
            return time.perf_counter() - started
        await asyncio.sleep(0.05)


async def reports(
    address: str, token: str, backlog: Backlog, seconds: float, concurrency: int
) -> list[float]:
    """GetReport latencies (seconds) for random scopes and ranges."""
    rng = random.Random(7)
    latencies: list[float] = []
    async with open_channel(address, caller_token=token) as channel:
        stub: AnalyticsServiceAsyncStub = AnalyticsServiceStub(channel)
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                request = _request(rng, backlog)
                began = time.perf_counter()
                await stub.GetReport(request, timeout=30)
                latencies.append(time.perf_counter() - began)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def _request(rng: random.Random, backlog: Backlog) -> pb.GetReportRequest:
    seller, page, listing = rng.choice(backlog.pages)
    request = rng.choice(
        [pb.GetReportRequest(), pb.GetReportRequest(seller_id=seller)]
        + [pb.GetReportRequest(page_id=page), pb.GetReportRequest(listing_id=listing)]
    )
    if rng.random() < 0.5:
        request.bucket = pb.BUCKET_HOUR
        start = START + timedelta(days=rng.randint(0, 23))
        request.start.FromDatetime(start)
        request.end.FromDatetime(start + timedelta(days=7))
    else:
        request.bucket = pb.BUCKET_DAY
        request.start.FromDatetime(START)
        request.end.FromDatetime(START + timedelta(days=30))
    return request


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-percent * len(ordered) // 100) - 1)]


async def measure(args: argparse.Namespace, stack: LocalStack) -> dict[str, float]:
    """Store the backlog, run analytics over it, then call GetReport."""
    token, port = secrets.token_urlsafe(24), free_port()
    env = analytics_env(stack, port, token)
    backlog = build_backlog(args.events, args.sellers, args.pages, seed=1)
    nc = await nats.connect(stack.nats_url)
    try:
        stored_s = await store_backlog(nc, env, backlog)
        subprocess.run([PARLEY, "analytics", "migrate"], env=env, check=True, capture_output=True)
        process = subprocess.Popen([PARLEY, "analytics", "serve"], env=env)
        try:
            ingest_s = await drained(nc, env)
            latencies = await reports(
                f"127.0.0.1:{port}", token, backlog, args.report_seconds, args.concurrency
            )
        finally:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(15)
    finally:
        await nc.drain()
    return {
        "events": float(len(backlog.events)),
        "stored_per_s": len(backlog.events) / stored_s,
        "ingested_per_s": len(backlog.events) / ingest_s,
        "report_calls": float(len(latencies)),
        "report_p50_ms": statistics.median(latencies) * 1000,
        "report_p99_ms": _percentile(latencies, 99) * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the analytics benchmark and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m parley_analytics.bench", description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--sellers", type=int, default=50)
    parser.add_argument("--pages", type=int, default=3, help="Pages (one listing each) per seller")
    parser.add_argument("--report-seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--no-fsync", dest="fsync", action="store_false", help="our PostgreSQL without fsync"
    )
    args = parser.parse_args(argv)
    with (
        server_tempdir("parley-bench-analytics-") as tmp,
        LocalStack(tmp, fsync=args.fsync) as stack,
    ):
        figures = asyncio.run(measure(args, stack))
    sys.stdout.write(
        f"analytics ingestion: {figures['ingested_per_s']:,.0f} events/s from a backlog of "
        f"{figures['events']:,.0f} events (one instance, four durable consumers)\n"
        f"analytics GetReport, {args.concurrency} in flight: "
        f"p50 {figures['report_p50_ms']:.1f} ms, p99 {figures['report_p99_ms']:.1f} ms "
        f"({figures['report_calls']:,.0f} calls; hour buckets over 7 days or day buckets over "
        "30, random scopes)\n"
    )
    sys.stdout.write(json.dumps({"analytics": figures}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
