"""The tenants service as it runs: real PostgreSQL, NATS JetStream, gRPC, and the emulator."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import grpc
import httpx
import pytest
from cryptography.fernet import Fernet
from nats.js import JetStreamContext

from parley.tenants.v1 import tenants_pb2 as pb
from parley.tenants.v1.tenants_pb2_grpc import TenantServiceStub
from parley_emulator.persist import load
from parley_emulator.server import EmulatorServer
from parley_emulator.testing import APP_ID, APP_SECRET, seed
from parley_emulator.world import World
from parley_kit.grpc_client import open_channel
from parley_kit.migrations import migrate
from parley_kit.outbox import pending_events
from parley_tenants.bootstrap import Tenants, build, migrations_folder
from parley_tenants.settings import TenantsSettings

if TYPE_CHECKING:
    from parley.tenants.v1.tenants_pb2_grpc import TenantServiceAsyncStub

PUBLIC_URL = "https://parley.test"
TOKENS = {
    "gateway": "gateway-token-0123456789abcdef",
    "delivery": "delivery-token-0123456789abcdef",
    "negotiation": "negotiation-token-0123456789abc",
    "operator": "operator-token-0123456789abcdef",
}
KEY_A = Fernet.generate_key().decode()


@dataclass
class FakeClock:
    """Now, moved on by tests."""

    offset: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@dataclass
class Service:
    """A running tenants service and what tests need around it."""

    tenants: Tenants
    emulator: EmulatorServer
    clock: FakeClock
    channels: dict[str, grpc.aio.Channel]
    js: JetStreamContext
    settings: TenantsSettings

    def stub(self, caller: str = "operator") -> TenantServiceAsyncStub:
        return TenantServiceStub(self.channels[caller])

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.tenants.server.port}"

    async def emulator_op(self, method: str, path: str, **kwargs: object) -> dict[str, object]:
        async with httpx.AsyncClient(base_url=self.emulator.url) as client:
            response = await client.request(method, f"/_emulator{path}", **kwargs)  # type: ignore[arg-type]
            assert response.status_code < 300, response.text
            result: dict[str, object] = response.json()
            return result

    async def create_seller(self, name: str = "Sam Seller") -> str:
        answer = await self.stub().CreateSeller(pb.CreateSellerRequest(name=name, email="s@x.io"))
        return str(answer.seller.seller_id)

    async def login(self, seller_id: str, user_id: str | None = None) -> tuple[str, str]:
        """GetOnboardingUrl, then the seller at the dialog: (code, state) Facebook sends back."""
        url = (
            await self.stub("gateway").GetOnboardingUrl(
                pb.GetOnboardingUrlRequest(seller_id=seller_id)
            )
        ).url
        params = {"user_id": user_id} if user_id else None
        async with httpx.AsyncClient() as client:
            response = await client.get(url, params=params, follow_redirects=False)
        assert response.status_code == 302, response.text
        location = urlsplit(response.headers["location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == (
            f"{PUBLIC_URL}/oauth/callback"
        )
        query = parse_qs(location.query)
        return query["code"][0], query["state"][0]

    async def onboard(
        self, seller_id: str, user_id: str | None = None
    ) -> pb.CompleteOnboardingResponse:
        code, state = await self.login(seller_id, user_id)
        return await self.stub("gateway").CompleteOnboarding(
            pb.CompleteOnboardingRequest(code=code, state=state)
        )

    async def events(self, kind: str) -> list[tuple[str, bytes, dict[str, str]]]:
        """(subject, payload, headers) of every stored event of one kind, oldest first."""
        await self.relay_now()
        info = await self.js.stream_info(self.settings.stream)
        found: list[tuple[str, bytes, dict[str, str]]] = []
        if info.state.messages == 0:
            return found
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await self.js.get_msg(self.settings.stream, seq)
            if msg.subject == f"{self.settings.subject_prefix}.{kind}":
                found.append((msg.subject, msg.data or b"", dict(msg.headers or {})))
        return found

    async def relay_now(self) -> None:
        """Wait until the running relay published (and marked) every stored event."""
        async with asyncio.timeout(5):
            while await pending_events(self.tenants.pool):
                await asyncio.sleep(0.01)


def emulator_seed() -> dict[str, object]:
    """The emulator's test world, the Page not yet subscribed to any app (as before onboarding)."""
    world = copy.deepcopy(seed("http://127.0.0.1:9/webhook"))
    world["pages"][0]["subscribed_fields"] = []
    return world


def settings_for(
    emulator_url: str, database_url: str, nats_url: str, schema: str, unique_id: str, keys: str
) -> TenantsSettings:
    return TenantsSettings.from_env(
        {
            "FACEBOOK_APP_ID": APP_ID,
            "FACEBOOK_APP_SECRET": APP_SECRET,
            "FACEBOOK_GRAPH_URL": emulator_url,
            "PARLEY_DATABASE_URL": database_url,
            "PARLEY_TENANTS_SCHEMA": schema,
            "PARLEY_NATS_URL": nats_url,
            "PARLEY_ENCRYPTION_KEYS": keys,
            "PARLEY_TENANTS_PORT": "0",
            "PARLEY_TENANTS_CALLERS": ",".join(f"{n}={t}" for n, t in TOKENS.items()),
            "PARLEY_PUBLIC_URL": PUBLIC_URL,
            "PARLEY_TENANTS_STREAM": f"TENANTS_{unique_id.upper()}",
            "PARLEY_TENANTS_SUBJECT_PREFIX": f"t.{unique_id}.tenants",
            "PARLEY_TOKEN_CHECK_INTERVAL_S": "0",
            "PARLEY_OUTBOX_POLL_S": "0.05",
        }
    )


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    world = World()
    load(world, emulator_seed())
    server = EmulatorServer(world)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def service(
    emulator: EmulatorServer, database_url: str, nats_url: str, pg_schema: str, unique_id: str
) -> AsyncIterator[Service]:
    settings = settings_for(emulator.url, database_url, nats_url, pg_schema, unique_id, KEY_A)
    await migrate(database_url, pg_schema, migrations_folder())
    clock = FakeClock()
    tenants = await build(settings, clock=clock)
    await tenants.start()
    address = f"127.0.0.1:{tenants.server.port}"
    channels = {name: open_channel(address, caller_token=token) for name, token in TOKENS.items()}
    try:
        yield Service(tenants, emulator, clock, channels, tenants.nc.jetstream(), settings)
    finally:
        for channel in channels.values():
            await channel.close(None)
        await tenants.stop(grace=0)
