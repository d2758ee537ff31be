"""The seller dashboard as it runs: the real gateway (webhooks and dashboard) in front of the real
tenants, negotiation and delivery services, PostgreSQL, NATS JetStream, and the Messenger
emulator playing Facebook. Three sellers, each with a Page connected through the emulator's
login dialog and a listing; buyers write through the emulator, as on Messenger.

One mesh per test module (it takes about a second to start); every test uses buyers of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import grpc
import httpx
import pytest_asyncio
from cryptography.fernet import Fernet

from parley.delivery.v1 import delivery_pb2 as dpb
from parley.delivery.v1.delivery_pb2_grpc import DeliveryServiceStub
from parley.negotiation.v1 import negotiation_pb2 as npb
from parley.negotiation.v1.negotiation_pb2_grpc import NegotiationServiceStub
from parley.tenants.v1 import tenants_pb2 as tpb
from parley.tenants.v1.tenants_pb2_grpc import TenantServiceStub
from parley_analytics import bootstrap as analytics_bootstrap
from parley_analytics.settings import AnalyticsSettings
from parley_delivery import bootstrap as delivery_bootstrap
from parley_delivery.settings import DeliverySettings
from parley_emulator.persist import load
from parley_emulator.server import EmulatorServer
from parley_emulator.testing import APP_ID, APP_SECRET, PAGE_ID, USER_ID, VERIFY_TOKEN, seed
from parley_emulator.world import World
from parley_gateway.bootstrap import build_app
from parley_gateway.dashboard.auth import Signer
from parley_gateway.settings import GatewaySettings
from parley_kit import bus
from parley_kit.grpc_client import open_channel
from parley_kit.migrations import migrate
from parley_negotiation import bootstrap as negotiation_bootstrap
from parley_negotiation.settings import NegotiationSettings
from parley_tenants import bootstrap as tenants_bootstrap
from parley_tenants.settings import TenantsSettings
from parley_testkit.asgi import serve_app

DASHBOARD_SECRET = "dashboard-secret-for-the-tests-0123456789"
TENANTS_TOKENS = {
    name: f"{name}-at-tenants-0123456789abcdef"
    for name in ("gateway", "negotiation", "delivery", "operator")
}
NEGOTIATION_TOKENS = {name: f"{name}-at-negotiation-0123456789" for name in ("gateway", "operator")}
ANALYTICS_TOKENS = {name: f"{name}-at-analytics-0123456789" for name in ("gateway", "operator")}
DELIVERY_TOKENS = {
    name: f"{name}-at-delivery-0123456789abc"
    for name in ("gateway", "negotiation", "tenants", "operator")
}
PUBLIC_URL = "https://parley.test"


@dataclass(frozen=True)
class Seller:
    """A seller of the mesh with its Facebook user, Page and first listing."""

    seller_id: str
    name: str
    user_id: str
    page_id: str
    page_name: str
    listing_id: str = ""


SELLERS = (
    Seller("seller-a", "Dana's <Cars>", USER_ID, PAGE_ID, "Test Shop"),
    Seller("seller-b", "Bo's Bikes", "1000000000000043", "222000222000222", "Bike Barn"),
    Seller("seller-c", "Cy's Corner", "1000000000000044", "333000333000333", "Corner Shop"),
)
_psids = itertools.count(1)


def new_psid() -> str:
    """A buyer no test used before."""
    return f"59{next(_psids):014d}"


def emulator_seed() -> dict[str, Any]:
    """The test app; one Facebook user and Page per seller (not yet subscribed)."""
    world = copy.deepcopy(seed(None))  # type: ignore[arg-type]
    world["pages"] = [
        {
            "id": s.page_id,
            "name": s.page_name,
            "app_id": APP_ID,
            "access_token": f"test-page-token-{s.seller_id}-000000000",
            "subscribed_fields": [],
        }
        for s in SELLERS
    ]
    world["users"] = [{"id": s.user_id, "name": s.name, "pages": [s.page_id]} for s in SELLERS]
    world["buyers"] = []
    return world


@dataclass
class Mesh:
    """Everything running, with what tests use to act and to look."""

    gateway: str
    emulator: httpx.AsyncClient
    tenants: Any
    negotiation: Any
    delivery: Any
    sellers: dict[str, Seller]
    tenants_address: str
    stop: dict[str, Callable[[], Awaitable[Any]]]
    signer: Signer = field(default_factory=lambda: Signer(DASHBOARD_SECRET.encode()))

    def seller(self, seller_id: str) -> Seller:
        return self.sellers[seller_id]

    async def buyer_says(
        self, seller_id: str, text: str, *, psid: str | None = None, seconds_ago: float = 0
    ) -> str:
        """A buyer writes to the seller's Page; the conversation's id once negotiation stored
        the message and answered (or chose not to)."""
        psid = psid or new_psid()
        page_id = self.seller(seller_id).page_id
        body = {"page_id": page_id, "text": text, "seconds_ago": seconds_ago}
        answer = await self.emulator.post(f"/_emulator/buyers/{psid}/messages", json=body)
        assert answer.status_code == 200, answer.text
        return await self._conversation(page_id, psid, text)

    async def _conversation(self, page_id: str, psid: str, text: str) -> str:
        async def stored() -> str | None:
            request = npb.ListConversationsRequest(page_id=page_id, page_size=500)
            for found in (await self.negotiation.ListConversations(request)).conversations:
                if found.buyer_id == psid:
                    full = await self.conversation(found.conversation_id)
                    lines = [line for line in full.transcript]
                    if any(line.text == text for line in lines) and len(lines) > 1:
                        return str(found.conversation_id)
            return None

        return await until(stored, what=f"the conversation of {psid}")

    async def conversation(self, conversation_id: str) -> npb.Conversation:
        request = npb.GetConversationRequest(conversation_id=conversation_id)
        return (await self.negotiation.GetConversation(request)).conversation

    async def sent(self, psid: str) -> list[dict[str, Any]]:
        """Messages the emulator accepted for the buyer."""
        answer = await self.emulator.get("/_emulator/sent", params={"psid": psid})
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    async def thread_owner(self, seller_id: str, psid: str) -> dpb.GetThreadOwnerResponse:
        request = dpb.GetThreadOwnerRequest(
            page_id=self.seller(seller_id).page_id, recipient_id=psid
        )
        answer: dpb.GetThreadOwnerResponse = await self.delivery.GetThreadOwner(request)
        return answer

    def login_link(self, seller_id: str, *, ttl_s: int = 300, now: float | None = None) -> str:
        return f"/dashboard/login/{self.signer.login_token(seller_id, ttl_s, now)}"

    @contextlib.asynccontextmanager
    async def browser(self, seller_id: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
        """An HTTP client to the gateway; signed in as the seller through a login link."""
        async with httpx.AsyncClient(base_url=self.gateway, timeout=20) as client:
            if seller_id is not None:
                signed = await client.post(self.login_link(seller_id))
                assert signed.status_code == 303, signed.text
            yield client


_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_KEY = re.compile(r'name="key" value="([^"]+)"')


def form_token(page: httpx.Response) -> str:
    """The CSRF token the page's forms carry."""
    match = _CSRF.search(page.text)
    assert match, "no form on the page"
    return match.group(1)


def reply_key(page: httpx.Response) -> str:
    match = _KEY.search(page.text)
    assert match, "no reply form on the page"
    return match.group(1)


async def until(check: Callable[[], Awaitable[Any]], *, what: str, timeout: float = 10.0) -> Any:
    """The first truthy answer of `check`, polled."""
    deadline = time.monotonic() + timeout
    while True:
        found = await check()
        if found:
            return found
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        await asyncio.sleep(0.02)


def _streams(unique: str) -> dict[str, str]:
    return {
        "PARLEY_INBOUND_STREAM": f"IN_{unique}",
        "PARLEY_INBOUND_SUBJECT_PREFIX": f"t{unique}.inbound",
        "PARLEY_TENANTS_STREAM": f"TEN_{unique}",
        "PARLEY_TENANTS_SUBJECT_PREFIX": f"t{unique}.tenants",
        "PARLEY_REPLIES_STREAM": f"REP_{unique}",
        "PARLEY_REPLIES_SUBJECT_PREFIX": f"t{unique}.replies",
        "PARLEY_NEGOTIATION_STREAM": f"NEG_{unique}",
        "PARLEY_NEGOTIATION_SUBJECT_PREFIX": f"t{unique}.negotiation",
        "PARLEY_DELIVERY_STREAM": f"DEL_{unique}",
        "PARLEY_DELIVERY_SUBJECT_PREFIX": f"t{unique}.delivery",
        "PARLEY_OUTBOX_POLL_S": "0.05",
        "PARLEY_STARTUP_WAIT_S": "10",
    }


def _callers(tokens: dict[str, str]) -> str:
    return ",".join(f"{name}={token}" for name, token in tokens.items())


def _facebook(emulator_url: str) -> dict[str, str]:
    return {
        "FACEBOOK_APP_ID": APP_ID,
        "FACEBOOK_APP_SECRET": APP_SECRET,
        "FACEBOOK_GRAPH_URL": emulator_url,
    }


@dataclass
class _Running:
    """What the fixture stops at the end, in reverse order."""

    stops: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)

    async def stop_all(self) -> None:
        for stop in reversed(self.stops):
            with contextlib.suppress(Exception):
                await stop()


async def _schemas(database_url: str, unique: str, running: _Running) -> dict[str, str]:
    services = ("tenants", "negotiation", "delivery", "analytics")
    names = {name: f"t_{unique}_{name}" for name in services}
    conn = await asyncpg.connect(database_url)
    try:
        for name in names.values():
            await conn.execute(f'CREATE SCHEMA "{name}"')
    finally:
        await conn.close()

    async def drop() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            for name in names.values():
                await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        finally:
            await conn.close()

    running.stops.append(drop)
    return names


async def _tenants(env: dict[str, str], database_url: str, schema: str) -> Any:
    settings = TenantsSettings.from_env(
        {
            **env,
            "PARLEY_TENANTS_SCHEMA": schema,
            "PARLEY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "PARLEY_TENANTS_PORT": "0",
            "PARLEY_TENANTS_CALLERS": _callers(TENANTS_TOKENS),
            "PARLEY_PUBLIC_URL": PUBLIC_URL,
            "PARLEY_TOKEN_CHECK_INTERVAL_S": "0",
        }
    )
    await migrate(database_url, schema, tenants_bootstrap.migrations_folder())
    tenants = await tenants_bootstrap.build(settings)
    await tenants.start()
    return tenants


async def _onboard(stub: Any, gateway_stub: Any, seller: Seller) -> Seller:
    """Create the seller, connect their Page through the emulator's dialog, add a listing."""
    await stub.CreateSeller(
        tpb.CreateSellerRequest(seller_id=seller.seller_id, name=seller.name, email="s@x.io")
    )
    dialog = await gateway_stub.GetOnboardingUrl(
        tpb.GetOnboardingUrlRequest(seller_id=seller.seller_id)
    )
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{dialog.url}&user_id={seller.user_id}")
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    await gateway_stub.CompleteOnboarding(
        tpb.CompleteOnboardingRequest(code=query["code"][0], state=query["state"][0])
    )
    created = await stub.CreateListing(
        tpb.CreateListingRequest(listing=corolla(seller.seller_id, seller.page_id))
    )
    return Seller(**{**seller.__dict__, "listing_id": created.listing.listing_id})


def corolla(seller_id: str, page_id: str, ref: str = "") -> tpb.Listing:
    """A car for sale: 8,500 USD asking, 7,600 floor, 8,200 accepted at once."""

    def usd(amount: int) -> tpb.Money:
        return tpb.Money(currency="USD", amount_minor=amount * 100)

    return tpb.Listing(
        seller_id=seller_id,
        page_id=page_id,
        title=f"2015 Toyota Corolla of {seller_id}",
        asking_price=usd(8_500),
        floor_price=usd(7_600),
        auto_accept_price=usd(8_200),
        max_concessions=3,
        ref=ref or f"corolla-{seller_id}-{uuid.uuid4().hex[:6]}",
        vehicle=tpb.Vehicle(year=2015, make="Toyota", model="Corolla", mileage_unit="mi"),
        attributes={"color": "silver"},
        location="Austin, TX",
    )


async def _start_gateway(env: dict[str, str], running: _Running) -> str:
    settings = GatewaySettings.from_env(env)
    server = serve_app(build_app(settings))
    url = await server.__aenter__()
    running.stops.append(lambda: server.__aexit__(None, None, None))
    async with httpx.AsyncClient(base_url=url) as client:
        await until(lambda: _ready(client), what="the gateway to connect to NATS", timeout=10)
    return url


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200


async def _channel(address: str, token: str, running: _Running) -> grpc.aio.Channel:
    channel = open_channel(address, caller_token=token)
    running.stops.append(lambda: channel.close(None))
    return channel


async def _start_services(database_url: str, nats_url: str, unique: str, running: _Running) -> Mesh:
    schemas = await _schemas(database_url, unique, running)
    emulator_server = EmulatorServer(_world())
    await emulator_server.start()
    running.stops.append(emulator_server.stop)
    common = {
        **_facebook(emulator_server.url),
        **_streams(unique),
        "PARLEY_DATABASE_URL": database_url,
        "PARLEY_NATS_URL": nats_url,
    }
    tenants = await _tenants(common, database_url, schemas["tenants"])
    running.stops.append(lambda: tenants.stop(grace=0))
    tenants_address = f"127.0.0.1:{tenants.server.port}"
    delivery = await _delivery(common, database_url, schemas["delivery"], tenants_address)
    running.stops.append(lambda: delivery.stop(grace=0))
    negotiation = await _negotiation(common, schemas["negotiation"], tenants_address)
    running.stops.append(lambda: negotiation.stop(0))
    analytics = await _analytics(common, schemas["analytics"])
    running.stops.append(lambda: analytics.stop(0))
    gateway = await _start_gateway(
        {
            **common,
            "FACEBOOK_VERIFY_TOKEN": VERIFY_TOKEN,
            "PARLEY_GATEWAY_PORT": "0",
            "PARLEY_TENANTS_ADDR": tenants_address,
            "PARLEY_TENANTS_TOKEN": TENANTS_TOKENS["gateway"],
            "PARLEY_NEGOTIATION_ADDR": f"127.0.0.1:{negotiation.server.port}",
            "PARLEY_NEGOTIATION_TOKEN": NEGOTIATION_TOKENS["gateway"],
            "PARLEY_DELIVERY_ADDR": f"127.0.0.1:{delivery.server.port}",
            "PARLEY_DELIVERY_TOKEN": DELIVERY_TOKENS["gateway"],
            "PARLEY_ANALYTICS_ADDR": f"127.0.0.1:{analytics.server.port}",
            "PARLEY_ANALYTICS_TOKEN": ANALYTICS_TOKENS["gateway"],
            "PARLEY_DASHBOARD_SECRET": DASHBOARD_SECRET,
            "PARLEY_PUBLIC_URL": "http://127.0.0.1",
        },
        running,
    )
    emulator = httpx.AsyncClient(base_url=emulator_server.url, timeout=10)
    running.stops.append(emulator.aclose)
    hooked = await emulator.put(
        f"/_emulator/apps/{APP_ID}/webhook", json={"url": f"{gateway}/webhook"}
    )
    assert hooked.status_code < 300, hooked.text
    operator = TenantServiceStub(
        await _channel(tenants_address, TENANTS_TOKENS["operator"], running)
    )
    as_gateway = TenantServiceStub(
        await _channel(tenants_address, TENANTS_TOKENS["gateway"], running)
    )
    sellers = {s.seller_id: await _onboard(operator, as_gateway, s) for s in SELLERS}
    negotiation_stub = NegotiationServiceStub(
        await _channel(
            f"127.0.0.1:{negotiation.server.port}", NEGOTIATION_TOKENS["operator"], running
        )
    )
    delivery_stub = DeliveryServiceStub(
        await _channel(f"127.0.0.1:{delivery.server.port}", DELIVERY_TOKENS["operator"], running)
    )
    stops = {
        "tenants": lambda: tenants.stop(grace=0),
        "negotiation": lambda: negotiation.stop(0),
        "delivery": lambda: delivery.stop(grace=0),
        "analytics": lambda: analytics.stop(0),
    }
    return Mesh(
        gateway,
        emulator,
        operator,
        negotiation_stub,
        delivery_stub,
        sellers,
        tenants_address,
        stops,
    )


def _world() -> World:
    world = World()
    load(world, emulator_seed())
    return world


async def _delivery(
    common: dict[str, str], database_url: str, schema: str, tenants_address: str
) -> Any:
    settings = DeliverySettings.from_env(
        {
            **common,
            "FACEBOOK_GRAPH_TIMEOUT_S": "2",
            "PARLEY_DELIVERY_SCHEMA": schema,
            "PARLEY_DELIVERY_PORT": "0",
            "PARLEY_DELIVERY_CALLERS": _callers(DELIVERY_TOKENS),
            "PARLEY_TENANTS_ADDR": tenants_address,
            "PARLEY_TENANTS_TOKEN": TENANTS_TOKENS["delivery"],
            "PARLEY_DELIVERY_PACING": "false",
            "PARLEY_DELIVERY_ECHO_WAIT_S": "1.5",
        }
    )
    await migrate(database_url, schema, delivery_bootstrap.migrations_folder())
    delivery = await delivery_bootstrap.build(settings)
    await delivery.start()
    return delivery


async def _negotiation(common: dict[str, str], schema: str, tenants_address: str) -> Any:
    settings = NegotiationSettings.from_env(
        {
            **common,
            "PARLEY_NEGOTIATION_SCHEMA": schema,
            "PARLEY_NEGOTIATION_PORT": "0",
            "PARLEY_NEGOTIATION_CALLERS": _callers(NEGOTIATION_TOKENS),
            "PARLEY_TENANTS_ADDR": tenants_address,
            "PARLEY_TENANTS_TOKEN": TENANTS_TOKENS["negotiation"],
            "PARLEY_NEGOTIATION_DURABLE": f"negotiation_{common['PARLEY_INBOUND_STREAM']}",
        }
    )
    await migrate(common["PARLEY_DATABASE_URL"], schema, negotiation_bootstrap.migrations_folder())
    negotiation = await negotiation_bootstrap.build(settings)
    await negotiation.start()
    return negotiation


async def _analytics(common: dict[str, str], schema: str) -> Any:
    settings = AnalyticsSettings.from_env(
        {
            **common,
            "PARLEY_ANALYTICS_SCHEMA": schema,
            "PARLEY_ANALYTICS_PORT": "0",
            "PARLEY_ANALYTICS_CALLERS": _callers(ANALYTICS_TOKENS),
            "PARLEY_ANALYTICS_DURABLE": f"analytics_{common['PARLEY_INBOUND_STREAM']}",
        }
    )
    await migrate(common["PARLEY_DATABASE_URL"], schema, analytics_bootstrap.migrations_folder())
    analytics = await analytics_bootstrap.build(settings)
    await analytics.start()
    return analytics


async def _delete_streams(nats_url: str, unique: str) -> None:
    nc = await bus.connect(nats_url, name="cleanup")
    js = nc.jetstream()
    for name in ("IN", "TEN", "REP", "NEG", "DEL"):
        with contextlib.suppress(Exception):
            await js.delete_stream(f"{name}_{unique}")
    await nc.drain()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def mesh(database_url: str, nats_url: str) -> AsyncIterator[Mesh]:
    """The running mesh, for one test module."""
    unique = uuid.uuid4().hex[:10]
    running = _Running()
    running.stops.append(lambda: _delete_streams(nats_url, unique))
    try:
        yield await _start_services(database_url, nats_url, unique, running)
    finally:
        await running.stop_all()
