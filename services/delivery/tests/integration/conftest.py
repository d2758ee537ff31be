"""Delivery as it runs: real PostgreSQL, NATS JetStream and gRPC, the emulator playing Facebook,
the real gateway turning its webhooks into inbound events, and the real tenants service issuing
Page tokens (onboarded through the emulator's login dialog)."""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import grpc
import httpx
import pytest
from cryptography.fernet import Fernet
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from parley.delivery.v1.delivery_pb2_grpc import DeliveryServiceStub
from parley.events.v1 import replies_pb2
from parley.tenants.v1 import tenants_pb2 as tpb
from parley.tenants.v1.tenants_pb2_grpc import TenantServiceStub
from parley_delivery.bootstrap import Delivery, build, migrations_folder
from parley_delivery.settings import DeliverySettings
from parley_emulator.persist import load
from parley_emulator.server import AppServer, EmulatorServer
from parley_emulator.testing import APP_ID, APP_SECRET, PAGE_ID, PSID, VERIFY_TOKEN, seed
from parley_emulator.world import World
from parley_gateway.bootstrap import build_app
from parley_gateway.settings import GatewaySettings
from parley_kit import bus
from parley_kit.grpc_client import open_channel
from parley_kit.migrations import migrate
from parley_kit.outbox import pending_events
from parley_tenants import bootstrap as tenants_bootstrap
from parley_tenants.settings import TenantsSettings

if TYPE_CHECKING:
    from parley.delivery.v1.delivery_pb2_grpc import DeliveryServiceAsyncStub

CALLERS = {
    "negotiation": "negotiation-token-0123456789abc",
    "gateway": "gateway-token-0123456789abcdef",
    "tenants": "tenants-token-0123456789abcdef",
    "operator": "operator-token-0123456789abcdef",
}
TENANTS_TOKENS = {
    "delivery": "delivery-at-tenants-0123456789ab",
    "operator": "operator-at-tenants-0123456789ab",
    "gateway": "gateway-at-tenants-0123456789abc",
}
PUBLIC_URL = "https://parley.test"
EXTRA_PSIDS = [f"50000000000001{i:02d}" for i in range(10, 40)]
PAGE_2 = "222000222000222"


@dataclass
class Stack:
    """Delivery and everything around it, with helpers to act and to look."""

    delivery: Delivery
    emulator: EmulatorServer
    http: httpx.AsyncClient
    js: JetStreamContext
    settings: DeliverySettings
    tenants_stub: Any
    channels: dict[str, grpc.aio.Channel]
    start_delivery: Callable[..., Any]
    extra: list[Delivery] = field(default_factory=list)

    async def restart(self, **overrides: str) -> Delivery:
        """Replace the delivery instance by one with these settings changed."""
        await self.delivery.stop(grace=0)
        self.extra.remove(self.delivery)
        for channel in self.channels.values():
            await channel.close(None)
        self.delivery = await self.start_delivery(**overrides)
        self.settings = self.delivery.settings
        address = f"127.0.0.1:{self.delivery.server.port}"
        self.channels = {n: open_channel(address, caller_token=t) for n, t in CALLERS.items()}
        return self.delivery

    def stub(self, caller: str = "operator") -> DeliveryServiceAsyncStub:
        return DeliveryServiceStub(self.channels[caller])

    @property
    def pool(self) -> asyncpg.Pool[asyncpg.Record]:
        return self.delivery.pool

    async def op(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(method, f"/_emulator{path}", **kwargs)
        assert response.status_code < 300, response.text
        return response.json()

    async def buyer_says(
        self, text: str = "Is it still available?", psid: str = PSID, seconds_ago: float = 0
    ) -> datetime:
        """The buyer writes; returns when once delivery recorded it (through the gateway)."""
        answer = await self.op(
            "POST",
            f"/buyers/{psid}/messages",
            json={"text": text, "seconds_ago": seconds_ago, "page_id": PAGE_ID},
        )
        at = datetime.fromtimestamp(answer["timestamp"] / 1000, UTC)
        await self.until(lambda: self._turn_recorded(psid, at), what="the buyer's message")
        return at

    async def _turn_recorded(self, psid: str, at: datetime) -> bool:
        found = await self.pool.fetchval(
            "SELECT last_message_at FROM windows WHERE page_id = $1 AND psid = $2", PAGE_ID, psid
        )
        return found is not None and found >= at

    async def until(self, check: Callable[[], Any], *, what: str, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not await check():
                await asyncio.sleep(0.02)

    async def publish(self, command: replies_pb2.ReplyCommand, msg_id: str | None = None) -> None:
        subject = f"{self.settings.streams.replies_prefix}.{command.page_id}"
        await bus.publish(
            self.js, subject, command.SerializeToString(), msg_id=msg_id or uuid.uuid4().hex
        )

    async def settled(self, key: str, timeout: float = 10.0) -> asyncpg.Record:
        """The reply's row once its message and thread action are settled."""
        row: asyncpg.Record | None = None

        async def done() -> bool:
            nonlocal row
            row = await self.pool.fetchrow("SELECT * FROM replies WHERE idempotency_key = $1", key)
            return row is not None and row["state"] != "sending" and row["thread_done"]

        await self.until(done, what=f"reply {key}", timeout=timeout)
        assert row is not None
        return row

    async def sent(self, psid: str = PSID) -> list[dict[str, Any]]:
        """Messages the emulator accepted for the buyer."""
        answer = await self.op("GET", "/sent", params={"page_id": PAGE_ID, "psid": psid})
        items: list[dict[str, Any]] = answer["items"]
        return items

    async def sent_for(self, key: str, psid: str = PSID) -> list[dict[str, Any]]:
        return [
            item
            for item in await self.sent(psid)
            if str(item.get("metadata") or "").startswith(f"parley:{key}:")
        ]

    async def events(self, kind: str) -> list[tuple[str, bytes]]:
        """(subject, payload) of every delivery event of one kind, oldest first."""
        async with asyncio.timeout(5):
            while await pending_events(self.pool):
                await asyncio.sleep(0.01)
        stream = self.settings.streams.events
        info = await self.js.stream_info(stream)
        found = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            if info.state.messages == 0:
                break
            msg = await self.js.get_msg(stream, seq)
            if msg.subject.endswith(f".{kind}"):
                found.append((msg.subject, msg.data or b""))
        return found


def command(
    key: str | None = None,
    *,
    text: str = "Yes, it is still available.",
    psid: str = PSID,
    author: int = replies_pb2.REPLY_AUTHOR_BOT,
    pacing: int = replies_pb2.REPLY_PACING_INSTANT,
    in_reply_to_at: datetime | None = None,
    page_id: str = PAGE_ID,
    **fields: Any,
) -> replies_pb2.ReplyCommand:
    """A reply command as negotiation publishes it."""
    message = replies_pb2.ReplyCommand(
        idempotency_key=key or uuid.uuid4().hex,
        page_id=page_id,
        recipient_id=psid,
        conversation_id=f"conv-{psid}",
        seller_id="seller-1",
        author=author,
        pacing=pacing,
        message=replies_pb2.ReplyMessage(text=text),
        **fields,
    )
    message.decided_at.FromDatetime(datetime.now(UTC))
    if in_reply_to_at is not None:
        message.in_reply_to_at.FromDatetime(in_reply_to_at)
    return message


def emulator_seed() -> dict[str, Any]:
    world = copy.deepcopy(seed(None))  # type: ignore[arg-type]
    world["pages"][0]["subscribed_fields"] = []
    world["pages"].append(
        {
            "id": PAGE_2,
            "name": "Second Shop",
            "app_id": APP_ID,
            "access_token": "test-page-token-second-0000000001",
            "subscribed_fields": [],
        }
    )
    world["users"][0]["pages"].append(PAGE_2)
    world["buyers"] += [
        {"psid": psid, "page_id": PAGE_ID, "first_name": f"Buyer {i}"}
        for i, psid in enumerate(EXTRA_PSIDS)
    ]
    return world


def delivery_env(
    emulator_url: str, database_url: str, nats_url: str, schema: str, unique: str, tenants: str
) -> dict[str, str]:
    return {
        "FACEBOOK_APP_ID": APP_ID,
        "FACEBOOK_APP_SECRET": APP_SECRET,
        "FACEBOOK_GRAPH_URL": emulator_url,
        "FACEBOOK_GRAPH_TIMEOUT_S": "0.5",
        "PARLEY_DATABASE_URL": database_url,
        "PARLEY_DELIVERY_SCHEMA": schema,
        "PARLEY_NATS_URL": nats_url,
        "PARLEY_DELIVERY_PORT": "0",
        "PARLEY_DELIVERY_CALLERS": ",".join(f"{n}={t}" for n, t in CALLERS.items()),
        "PARLEY_TENANTS_ADDR": tenants,
        "PARLEY_TENANTS_TOKEN": TENANTS_TOKENS["delivery"],
        "PARLEY_REPLIES_STREAM": f"REPLIES_{unique.upper()}",
        "PARLEY_REPLIES_SUBJECT_PREFIX": f"t.{unique}.replies",
        "PARLEY_INBOUND_STREAM": f"INBOUND_{unique.upper()}",
        "PARLEY_INBOUND_SUBJECT_PREFIX": f"t.{unique}.inbound",
        "PARLEY_DELIVERY_STREAM": f"DELIVERY_{unique.upper()}",
        "PARLEY_DELIVERY_SUBJECT_PREFIX": f"t.{unique}.delivery",
        "PARLEY_DELIVERY_PACING": "false",
        "PARLEY_DELIVERY_ECHO_WAIT_S": "1.5",
        "PARLEY_DELIVERY_HOLD_S": "0.3",
        "PARLEY_DELIVERY_RETRY_BASE_S": "0.02",
        "PARLEY_DELIVERY_RETRY_CAP_S": "0.2",
        "PARLEY_DELIVERY_RATE_BACKOFF_S": "0.1",
        "PARLEY_DELIVERY_PAGE_RATE": "200",
        "PARLEY_DELIVERY_PAGE_BURST": "50",
        "PARLEY_OUTBOX_POLL_S": "0.05",
    }


def tenants_settings(
    emulator_url: str, database_url: str, nats_url: str, schema: str, unique: str
) -> TenantsSettings:
    return TenantsSettings.from_env(
        {
            "FACEBOOK_APP_ID": APP_ID,
            "FACEBOOK_APP_SECRET": APP_SECRET,
            "FACEBOOK_GRAPH_URL": emulator_url,
            "PARLEY_DATABASE_URL": database_url,
            "PARLEY_TENANTS_SCHEMA": schema,
            "PARLEY_NATS_URL": nats_url,
            "PARLEY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "PARLEY_TENANTS_PORT": "0",
            "PARLEY_TENANTS_CALLERS": ",".join(f"{n}={t}" for n, t in TENANTS_TOKENS.items()),
            "PARLEY_PUBLIC_URL": PUBLIC_URL,
            "PARLEY_TENANTS_STREAM": f"TENANTS_{unique.upper()}",
            "PARLEY_TENANTS_SUBJECT_PREFIX": f"t.{unique}.tenants",
            "PARLEY_TOKEN_CHECK_INTERVAL_S": "0",
            "PARLEY_OUTBOX_POLL_S": "0.05",
        }
    )


@pytest.fixture
async def extra_schema(database_url: str, unique_id: str) -> AsyncIterator[str]:
    name = f"t_{unique_id}_tenants"
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f'CREATE SCHEMA "{name}"')
        yield name
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        await conn.close()


@pytest.fixture
async def stack(
    database_url: str,
    nats_url: str,
    nats_client: NATS,
    pg_schema: str,
    extra_schema: str,
    unique_id: str,
) -> AsyncIterator[Stack]:
    world = World()
    load(world, emulator_seed())
    emulator = EmulatorServer(world)
    await emulator.start()
    tenants = await _start_tenants(emulator.url, database_url, nats_url, extra_schema, unique_id)
    tenants_address = f"127.0.0.1:{tenants.server.port}"
    env = delivery_env(emulator.url, database_url, nats_url, pg_schema, unique_id, tenants_address)
    gateway = await _start_gateway(env, nats_url)
    http = httpx.AsyncClient(base_url=emulator.url)
    await http.put(f"/_emulator/apps/{APP_ID}/webhook", json={"url": f"{gateway.url}/webhook"})
    await migrate(database_url, pg_schema, migrations_folder())
    started: list[Delivery] = []

    async def start_delivery(**overrides: str) -> Delivery:
        instance = await build(DeliverySettings.from_env({**env, **overrides}))
        await instance.start()
        started.append(instance)
        return instance

    delivery = await start_delivery()
    address = f"127.0.0.1:{delivery.server.port}"
    channels = {name: open_channel(address, caller_token=token) for name, token in CALLERS.items()}
    tenants_channel = open_channel(tenants_address, caller_token=TENANTS_TOKENS["operator"])
    test_stack = Stack(
        delivery,
        emulator,
        http,
        nats_client.jetstream(),
        delivery.settings,
        TenantServiceStub(tenants_channel),
        channels,
        start_delivery,
        started,
    )
    try:
        yield test_stack
    finally:
        for channel in (*test_stack.channels.values(), tenants_channel):
            await channel.close(None)
        for instance in reversed(started):
            await instance.stop(grace=0)
        await gateway.stop()
        await tenants.stop(grace=0)
        await http.aclose()
        await emulator.stop()
        await _delete_streams(nats_url, unique_id)


async def _start_tenants(
    emulator_url: str, database_url: str, nats_url: str, schema: str, unique: str
) -> tenants_bootstrap.Tenants:
    settings = tenants_settings(emulator_url, database_url, nats_url, schema, unique)
    await migrate(database_url, schema, tenants_bootstrap.migrations_folder())
    tenants = await tenants_bootstrap.build(settings)
    await tenants.start()
    address = f"127.0.0.1:{tenants.server.port}"
    async with open_channel(address, caller_token=TENANTS_TOKENS["operator"]) as channel:
        seller = await TenantServiceStub(channel).CreateSeller(
            tpb.CreateSellerRequest(name="Sam", email="s@x.io")
        )
    await connect_pages(address, seller.seller.seller_id)
    return tenants


async def connect_pages(tenants_address: str, seller_id: str) -> None:
    """The seller connects (or re-connects) their Pages through the emulator's login dialog."""
    async with open_channel(tenants_address, caller_token=TENANTS_TOKENS["gateway"]) as channel:
        stub = TenantServiceStub(channel)
        answer = await stub.GetOnboardingUrl(tpb.GetOnboardingUrlRequest(seller_id=seller_id))
        async with httpx.AsyncClient() as client:
            response = await client.get(answer.url, follow_redirects=False)
        query = parse_qs(urlsplit(response.headers["location"]).query)
        await stub.CompleteOnboarding(
            tpb.CompleteOnboardingRequest(code=query["code"][0], state=query["state"][0])
        )


async def _start_gateway(env: dict[str, str], nats_url: str) -> AppServer:
    settings = GatewaySettings.from_env(
        {
            "FACEBOOK_APP_SECRET": APP_SECRET,
            "FACEBOOK_VERIFY_TOKEN": VERIFY_TOKEN,
            "PARLEY_NATS_URL": nats_url,
            "PARLEY_GATEWAY_PORT": "0",
            "PARLEY_INBOUND_STREAM": env["PARLEY_INBOUND_STREAM"],
            "PARLEY_INBOUND_SUBJECT_PREFIX": env["PARLEY_INBOUND_SUBJECT_PREFIX"],
        }
    )
    gateway = AppServer(build_app(settings))
    await gateway.start()
    async with httpx.AsyncClient(base_url=gateway.url) as client, asyncio.timeout(10):
        while (await client.get("/readyz")).status_code != 200:
            await asyncio.sleep(0.02)
    return gateway


async def _delete_streams(nats_url: str, unique: str) -> None:
    nc = await bus.connect(nats_url, name="cleanup")
    js = nc.jetstream()
    for prefix in ("REPLIES", "INBOUND", "DELIVERY", "TENANTS"):
        try:
            await js.delete_stream(f"{prefix}_{unique.upper()}")
        except Exception:  # noqa: BLE001 - already gone, or never made
            pass
    await nc.drain()


def hours_ago(hours: float) -> float:
    """seconds_ago for the emulator."""
    return timedelta(hours=hours).total_seconds()
