"""Delivery benchmark: publish-to-send latency (pacing off) and sends per second across many
Pages, from one `parley delivery serve` process, against the emulator, NATS and PostgreSQL.

PostgreSQL and NATS come from PARLEY_DATABASE_URL / PARLEY_NATS_URL, or are started here; the
emulator, tenants and delivery run as their own processes, as deployed. The bench plays the
gateway (inbound events opening each buyer's window) and negotiation (reply commands), and reads
the sends back from delivery's reply_sent events and the emulator's record.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import nats
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg

from parley.delivery.v1 import delivery_pb2 as api
from parley.delivery.v1.delivery_pb2_grpc import DeliveryServiceStub
from parley.events.v1 import delivery_pb2, inbound_pb2, replies_pb2
from parley.tenants.v1 import tenants_pb2 as tpb
from parley.tenants.v1.tenants_pb2_grpc import TenantServiceStub
from parley_devstack._process import free_port, server_tempdir
from parley_devstack.stack import LocalStack
from parley_kit.grpc_client import open_channel
from parley_kit.publisher import Outgoing, PipelinedPublisher

PARLEY = str(Path(sys.executable).parent / "parley")
APP_ID, APP_SECRET = "1300000000000888", "bench-delivery-secret-0123456789"
USER_ID = "1000000000000888"
PAGE_BASE = 300000000000000
PSID_BASE = 6000000000000000


@dataclass(frozen=True)
class World:
    """The Pages and buyers of the run."""

    pages: int
    buyers: int

    def page(self, index: int) -> str:
        return str(PAGE_BASE + index)

    def psid(self, page: int, buyer: int) -> str:
        return str(PSID_BASE + page * 1000 + buyer)

    def threads(self) -> list[tuple[str, str]]:
        return [
            (self.page(p), self.psid(p, b)) for p in range(self.pages) for b in range(self.buyers)
        ]

    def seed(self) -> dict[str, Any]:
        pages = [
            {"id": self.page(p), "name": f"Bench Page {p}", "app_id": APP_ID}
            for p in range(self.pages)
        ]
        buyers = [
            {"psid": psid, "page_id": page, "first_name": "Bench"} for page, psid in self.threads()
        ]
        return {
            "apps": [{"id": APP_ID, "secret": APP_SECRET, "name": "Bench", "require_proof": True}],
            "pages": pages,
            "users": [{"id": USER_ID, "name": "Bench Seller", "pages": [p["id"] for p in pages]}],
            "buyers": buyers,
            "config": {"delivery_delay_s": None, "read_delay_s": None},
        }


@dataclass
class Processes:
    """The child processes of the run, stopped in reverse order."""

    children: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL)
        self.children.append(process)
        return process

    def stop(self) -> None:
        for process in reversed(self.children):
            process.terminate()
        for process in reversed(self.children):
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(15)
            if process.poll() is None:
                process.kill()


def wait_http(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=0.5).status_code == 200:
                return
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer in time")


def start_emulator(procs: Processes, world: World, folder: Path) -> str:
    seed = folder / "seed.json"
    seed.write_text(json.dumps(world.seed()))
    port = free_port()
    args = [PARLEY, "emulator", "serve", "--port", str(port), "--seed", str(seed)]
    procs.start(args, dict(os.environ))
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/_emulator/health")
    return url


def start_tenants(
    procs: Processes, stack: LocalStack, emulator: str, tokens: dict[str, str]
) -> str:
    port = free_port()
    env = {
        **os.environ,
        **stack.env,
        "FACEBOOK_APP_ID": APP_ID,
        "FACEBOOK_APP_SECRET": APP_SECRET,
        "FACEBOOK_GRAPH_URL": emulator,
        "PARLEY_ENCRYPTION_KEYS": _fernet_key(),
        "PARLEY_TENANTS_SCHEMA": f"bench_tenants_{uuid.uuid4().hex[:8]}",
        "PARLEY_TENANTS_PORT": str(port),
        "PARLEY_TENANTS_CALLERS": ",".join(f"{k}={v}" for k, v in tokens.items()),
        "PARLEY_TENANTS_STREAM": f"BENCH_TENANTS_{uuid.uuid4().hex[:8].upper()}",
        "PARLEY_TENANTS_SUBJECT_PREFIX": f"bench.tenants.{uuid.uuid4().hex[:8]}",
        "PARLEY_TOKEN_CHECK_INTERVAL_S": "0",
        "PARLEY_LOG_LEVEL": "WARNING",
    }
    subprocess.run([PARLEY, "tenants", "migrate"], env=env, check=True, capture_output=True)
    procs.start([PARLEY, "tenants", "serve"], env)
    return f"127.0.0.1:{port}"


def _fernet_key() -> str:
    import base64

    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


async def connect_pages(address: str, tokens: dict[str, str]) -> int:
    """The seller connects every bench Page through the emulator's login dialog."""
    async with (
        open_channel(address, caller_token=tokens["operator"]) as operator,
        open_channel(address, caller_token=tokens["gateway"]) as gateway,
    ):
        for _ in range(100):
            try:
                seller = await TenantServiceStub(operator).CreateSeller(
                    tpb.CreateSellerRequest(name="Bench", email="b@x.io")
                )
                break
            except Exception:  # noqa: BLE001 - tenants is still starting
                await asyncio.sleep(0.1)
        stub = TenantServiceStub(gateway)
        url = (
            await stub.GetOnboardingUrl(
                tpb.GetOnboardingUrlRequest(seller_id=seller.seller.seller_id)
            )
        ).url
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"{url}&user_id={USER_ID}")
            location = answer.headers.get("location") or _fail(answer.text)
        query = parse_qs(urlsplit(location).query)
        done = await stub.CompleteOnboarding(
            tpb.CompleteOnboardingRequest(code=query["code"][0], state=query["state"][0])
        )
        return len(done.pages)


def _fail(text: str) -> str:
    raise SystemExit(f"the login dialog did not redirect: {text[:500]}")


def delivery_env(
    stack: LocalStack, emulator: str, tenants: str, tokens: dict[str, str], transport: str
) -> tuple[dict[str, str], str, str]:
    unique = uuid.uuid4().hex[:8]
    env = {
        **os.environ,
        **stack.env,
        "FACEBOOK_APP_ID": APP_ID,
        "FACEBOOK_APP_SECRET": APP_SECRET,
        "FACEBOOK_GRAPH_URL": emulator,
        "PARLEY_DELIVERY_SCHEMA": f"bench_delivery_{unique}",
        "PARLEY_DELIVERY_PORT": str(free_port()),
        "PARLEY_DELIVERY_CALLERS": f"operator={secrets.token_urlsafe(24)}",
        "PARLEY_TENANTS_ADDR": tenants,
        "PARLEY_TENANTS_TOKEN": tokens["delivery"],
        "PARLEY_REPLIES_STREAM": f"BENCH_REPLIES_{unique.upper()}",
        "PARLEY_REPLIES_SUBJECT_PREFIX": f"bench.{unique}.replies",
        "PARLEY_INBOUND_STREAM": f"BENCH_INBOUND_{unique.upper()}",
        "PARLEY_INBOUND_SUBJECT_PREFIX": f"bench.{unique}.inbound",
        "PARLEY_DELIVERY_STREAM": f"BENCH_DELIVERY_{unique.upper()}",
        "PARLEY_DELIVERY_SUBJECT_PREFIX": f"bench.{unique}.delivery",
        "PARLEY_DELIVERY_PACING": "false",
        "PARLEY_DELIVERY_GRAPH_TRANSPORT": transport,
        "PARLEY_OUTBOX_POLL_S": "0.05",
        "PARLEY_LOG_LEVEL": "WARNING",
    }
    return env, f"bench.{unique}", unique


@dataclass
class Sends:
    """reply_sent events as they arrive: key -> (sent_at, received)."""

    seen: dict[str, float] = field(default_factory=dict)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def on_event(self, msg: Msg) -> None:
        event = delivery_pb2.ReplySent.FromString(msg.data)
        self.seen[event.reply.idempotency_key] = event.sent_at.ToDatetime(tzinfo=UTC).timestamp()
        self.arrived.set()

    async def wait_for(self, keys: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while any(key not in self.seen for key in keys):
            if time.monotonic() > deadline:
                missing = sum(key not in self.seen for key in keys)
                raise SystemExit(f"{missing} of {len(keys)} replies were not sent in time")
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), 1.0)


def reply(page: str, psid: str, key: str) -> bytes:
    command = replies_pb2.ReplyCommand(
        idempotency_key=key,
        page_id=page,
        recipient_id=psid,
        conversation_id=f"{page}:{psid}",
        author=replies_pb2.REPLY_AUTHOR_BOT,
        pacing=replies_pb2.REPLY_PACING_INSTANT,
        message=replies_pb2.ReplyMessage(text="Yes, it is still available: 8,500 THB."),
    )
    command.decided_at.FromDatetime(datetime.now(UTC))
    return command.SerializeToString()


async def open_windows(nc: NATS, emulator: str, world: World, prefix: str) -> None:
    """Each buyer writes: the emulator's window opens, and delivery hears of it as the gateway
    would tell it (an inbound message event)."""
    publisher = PipelinedPublisher(nc)
    await publisher.start()
    outgoing = []
    async with httpx.AsyncClient(base_url=emulator, timeout=30) as client:
        for page, psid in world.threads():
            answer = (
                await client.post(f"/_emulator/buyers/{psid}/messages", json={"text": "hi"})
            ).json()
            event = inbound_pb2.InboundEvent(
                event_id=f"message:{answer['mid']}", page_id=page, sender_id=psid
            )
            event.occurred_at.FromMilliseconds(answer["timestamp"])
            event.message.mid = answer["mid"]
            outgoing.append(
                Outgoing(
                    f"{prefix}.inbound.{page}.message", event.SerializeToString(), event.event_id
                )
            )
    await publisher.publish(outgoing, timeout=30)
    await publisher.close()


async def latency(nc: NATS, sends: Sends, world: World, prefix: str, count: int) -> list[float]:
    """One command at a time, every 10 ms: milliseconds from publish to accepted send."""
    js = nc.jetstream()
    threads = world.threads()
    published: dict[str, float] = {}
    for index in range(count):
        page, psid = threads[index % len(threads)]
        key = f"lat-{index}-{uuid.uuid4().hex[:6]}"
        published[key] = time.time()
        await js.publish(
            f"{prefix}.replies.{page}", reply(page, psid, key), headers={"Nats-Msg-Id": key}
        )
        await asyncio.sleep(0.01)
    await sends.wait_for(list(published), timeout=60)
    return sorted((sends.seen[key] - at) * 1000 for key, at in published.items())


async def throughput(nc: NATS, sends: Sends, world: World, prefix: str, count: int) -> float:
    """`count` commands published at once across every Page: sends per second to drain them."""
    publisher = PipelinedPublisher(nc)
    await publisher.start()
    threads = world.threads()
    keys = [f"thr-{index}-{uuid.uuid4().hex[:6]}" for index in range(count)]
    outgoing = [
        Outgoing(
            f"{prefix}.replies.{threads[i % len(threads)][0]}",
            reply(*threads[i % len(threads)], key),
            key,
        )
        for i, key in enumerate(keys)
    ]
    for start in range(0, len(outgoing), 2000):
        await publisher.publish(outgoing[start : start + 2000], timeout=30)
    await publisher.close()
    await sends.wait_for(keys, timeout=count / 200 + 30)
    times = sorted(sends.seen[key] for key in keys)
    return (len(times) - 1) / (times[-1] - times[0])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(
    args: argparse.Namespace, stack: LocalStack, procs: Processes, folder: Path
) -> dict[str, Any]:
    world = World(args.pages, args.buyers)
    emulator = start_emulator(procs, world, folder)
    tokens = {name: secrets.token_urlsafe(24) for name in ("operator", "gateway", "delivery")}
    tenants = start_tenants(procs, stack, emulator, tokens)
    connected = await connect_pages(tenants, tokens)
    env, prefix, _ = delivery_env(stack, emulator, tenants, tokens, args.transport)
    subprocess.run([PARLEY, "delivery", "migrate"], env=env, check=True, capture_output=True)
    delivery = procs.start([PARLEY, "delivery", "serve"], env)
    nc = await nats.connect(stack.nats_url)
    sends = Sends()
    await nc.subscribe(f"{prefix}.delivery.*.reply_sent", cb=sends.on_event)
    await _wait_for_stream(nc, env["PARLEY_REPLIES_STREAM"])
    await _check_api(env)
    await open_windows(nc, emulator, world, prefix)
    await asyncio.sleep(1.0)  # delivery records the windows
    await latency(nc, sends, world, prefix, 50)  # warm-up: connections, tokens, statements
    lat = await latency(nc, sends, world, prefix, args.latency_samples)
    cpu_before = cpu_seconds(delivery.pid)
    started = time.monotonic()
    rate = await throughput(nc, sends, world, prefix, args.sends)
    cpu = (cpu_seconds(delivery.pid) - cpu_before) / (time.monotonic() - started)
    total = httpx.get(f"{emulator}/_emulator/sent", params={"limit": 0}).json()["total"]
    await nc.drain()
    expected = 50 + args.latency_samples + args.sends
    return {
        "transport": args.transport,
        "pages_connected": connected,
        "latency_p50_ms": round(statistics.median(lat), 2),
        "latency_p99_ms": round(lat[int(len(lat) * 0.99) - 1], 2),
        "latency_samples": len(lat),
        "sends_per_s": round(rate),
        "sends": args.sends,
        "delivery_cpu_share": round(cpu, 2),
        "accepted_by_emulator": total,
        "sent_exactly_once": total == expected,
    }


async def _check_api(env: dict[str, str]) -> None:
    """The gRPC API answers under the service's event loop (uvloop)."""
    token = env["PARLEY_DELIVERY_CALLERS"].split("=", 1)[1]
    address = f"127.0.0.1:{env['PARLEY_DELIVERY_PORT']}"
    async with open_channel(address, caller_token=token) as channel:
        request = api.GetWindowStatusRequest(page_id=str(PAGE_BASE), recipient_id=str(PSID_BASE))
        answer = await DeliveryServiceStub(channel).GetWindowStatus(request, timeout=10)
    if answer.state != api.WINDOW_STATE_CLOSED:
        raise SystemExit(f"unexpected window status before any buyer wrote: {answer}")


async def _wait_for_stream(nc: NATS, stream: str) -> None:
    js = nc.jetstream()
    for _ in range(200):
        try:
            await js.stream_info(stream)
            await asyncio.sleep(0.5)  # and its consumers
            return
        except Exception:  # noqa: BLE001 - delivery is still starting
            await asyncio.sleep(0.1)
    raise SystemExit("delivery did not declare its streams")


@contextlib.contextmanager
def running(args: argparse.Namespace) -> Iterator[tuple[LocalStack, Processes, Path]]:
    procs = Processes()
    with (
        server_tempdir("parley-bench-delivery-") as tmp,
        LocalStack(tmp, fsync=args.fsync) as stack,
    ):
        with tempfile.TemporaryDirectory() as folder:
            try:
                yield stack, procs, Path(folder)
            finally:
                procs.stop()


def main(argv: list[str] | None = None) -> int:
    """Run the delivery benchmark and print its two figures."""
    parser = argparse.ArgumentParser(prog="python -m parley_delivery.bench", description=__doc__)
    parser.add_argument("--pages", type=int, default=64)
    parser.add_argument("--buyers", type=int, default=10, help="buyers per Page")
    parser.add_argument("--sends", type=int, default=15000)
    parser.add_argument("--latency-samples", type=int, default=500)
    parser.add_argument("--transport", choices=["aiohttp", "httpx"], default="aiohttp")
    parser.add_argument(
        "--no-fsync", dest="fsync", action="store_false", help="our PostgreSQL without fsync"
    )
    args = parser.parse_args(argv)
    with running(args) as (stack, procs, folder):
        figures = asyncio.run(measure(args, stack, procs, folder))
    sys.stdout.write(
        f"delivery ({figures['transport']} transport), pacing off: publish-to-send "
        f"p50 {figures['latency_p50_ms']:.1f} ms, p99 {figures['latency_p99_ms']:.1f} ms "
        f"({figures['latency_samples']} replies, one at a time)\n"
        f"delivery throughput: {figures['sends_per_s']:,} sends/s across {args.pages} Pages "
        f"from one instance ({figures['sends']:,} replies, delivery process at "
        f"{figures['delivery_cpu_share']:.0%} of a core; emulator accepted "
        f"{figures['accepted_by_emulator']:,}, exactly once: {figures['sent_exactly_once']})\n"
    )
    sys.stdout.write(json.dumps({"delivery": figures}) + "\n")
    return 0 if figures["sent_exactly_once"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
