"""The negotiation service as it runs: real PostgreSQL, NATS JetStream and gRPC; tenants is
played by a gRPC server on a real socket that serves one Page and its listings."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import grpc
import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from parley.events.v1 import replies_pb2 as replies
from parley.events.v1.inbound_pb2 import InboundEvent
from parley.negotiation.v1.negotiation_pb2_grpc import NegotiationServiceStub
from parley.tenants.v1 import tenants_pb2 as pb
from parley.tenants.v1 import tenants_pb2_grpc
from parley_kit import bus
from parley_kit.errors import NotFound
from parley_kit.grpc_auth import CallerAuthInterceptor, require_caller
from parley_kit.grpc_client import open_channel
from parley_kit.grpc_server import GrpcServer, GrpcService, build_server
from parley_kit.migrations import migrate
from parley_negotiation.bootstrap import Negotiation, build, migrations_folder
from parley_negotiation.settings import NegotiationSettings

if TYPE_CHECKING:
    from parley.negotiation.v1.negotiation_pb2_grpc import NegotiationServiceAsyncStub

PAGE_ID = "100200300400500"
SELLER_ID = "seller-1"
BUYER = "7000000000000001"
TENANTS_TOKEN = "negotiation-token-0123456789abc"
CALLERS = {
    "gateway": "gateway-token-0123456789abcdef",
    "operator": "operator-token-0123456789abcde",
    "delivery": "delivery-token-0123456789abcde",
}


def usd(amount: int) -> pb.Money:
    return pb.Money(currency="USD", amount_minor=amount * 100)


def corolla(listing_id: str = "l-corolla", ref: str = "corolla-2015") -> pb.Listing:
    listing = pb.Listing(
        listing_id=listing_id,
        seller_id=SELLER_ID,
        page_id=PAGE_ID,
        title="2015 Toyota Corolla LE",
        description="One owner, full service history.",
        asking_price=usd(8_500),
        floor_price=usd(7_600),
        auto_accept_price=usd(8_200),
        max_concessions=3,
        available=True,
        ref=ref,
        status=pb.LISTING_STATUS_AVAILABLE,
        vehicle=pb.Vehicle(
            year=2015,
            make="Toyota",
            model="Corolla",
            trim="LE",
            mileage=98_000,
            mileage_unit="mi",
            condition="used",
        ),
        location="Austin, TX",
        m_me_url=f"https://m.me/{PAGE_ID}?ref={ref}",
        attributes={"post_ids": f"{PAGE_ID}_555"},
    )
    listing.created_at.FromDatetime(datetime(2026, 11, 1, tzinfo=UTC))
    return listing


def rules_of(listing: pb.Listing, **changes: Any) -> pb.ListingRules:
    rules = pb.ListingRules(
        listing_id=listing.listing_id,
        seller_id=SELLER_ID,
        asking_price=listing.asking_price,
        floor_price=listing.floor_price,
        auto_accept_price=listing.auto_accept_price,
        max_concessions=3,
        tone="balanced",
        languages=["en", "th"],
        reply_pace=pb.REPLY_PACE_INSTANT,
        escrow_enabled=False,
        human_takeover_enabled=True,
        takeover_keywords=["manager"],
        viewing_availability=[pb.ViewingSlot(weekday=6, start="10:00", end="16:00")],
        time_zone="America/Chicago",
        available=True,
    )
    for name, value in changes.items():
        setattr(rules, name, value)
    return rules


@dataclass
class FakeTenants(tenants_pb2_grpc.TenantServiceServicer):
    """One seller with one Page and its listings."""

    page_status: int = pb.PAGE_STATUS_ACTIVE
    killed: bool = False
    listings: dict[str, pb.Listing] = field(default_factory=lambda: {"l-corolla": corolla()})
    calls: dict[str, int] = field(default_factory=dict)

    def _count(self, name: str) -> None:
        require_caller("negotiation")
        self.calls[name] = self.calls.get(name, 0) + 1

    async def GetPage(self, request: pb.GetPageRequest, context: Any) -> pb.GetPageResponse:  # noqa: N802
        self._count("GetPage")
        if request.page_id != PAGE_ID:
            raise NotFound("no such page")
        page = pb.Page(
            page_id=PAGE_ID, seller_id=SELLER_ID, name="Dana's Cars", status=self.page_status
        )
        return pb.GetPageResponse(page=page)

    async def GetKillSwitch(
        self, request: pb.GetKillSwitchRequest, context: Any
    ) -> pb.GetKillSwitchResponse:  # noqa: N802,E501
        self._count("GetKillSwitch")
        return pb.GetKillSwitchResponse(engaged=self.killed)

    async def GetListing(
        self, request: pb.GetListingRequest, context: Any
    ) -> pb.GetListingResponse:  # noqa: N802
        self._count("GetListing")
        if request.listing_id not in self.listings:
            raise NotFound("no such listing")
        return pb.GetListingResponse(listing=self.listings[request.listing_id])

    async def GetListingByRef(
        self, request: pb.GetListingByRefRequest, context: Any
    ) -> pb.GetListingByRefResponse:  # noqa: N802,E501
        self._count("GetListingByRef")
        for listing in self.listings.values():
            if listing.ref == request.ref:
                return pb.GetListingByRefResponse(listing=listing)
        raise NotFound("no listing has this ref")

    async def GetListingRules(
        self, request: pb.GetListingRulesRequest, context: Any
    ) -> pb.GetListingRulesResponse:  # noqa: N802,E501
        self._count("GetListingRules")
        return pb.GetListingRulesResponse(rules=rules_of(self.listings[request.listing_id]))

    async def ListListings(
        self, request: pb.ListListingsRequest, context: Any
    ) -> pb.ListListingsResponse:  # noqa: N802,E501
        self._count("ListListings")
        found = [
            item
            for item in self.listings.values()
            if item.seller_id == request.seller_id
            and (not request.page_id or item.page_id == request.page_id)
        ]
        return pb.ListListingsResponse(listings=found)


@dataclass
class Service:
    """A running negotiation service and what tests need around it."""

    negotiation: Negotiation
    tenants: FakeTenants
    tenants_server: GrpcServer
    settings: NegotiationSettings
    js: JetStreamContext
    nc: NATS
    clock: FakeClock
    _seq: int = 0
    _channels: list[grpc.aio.Channel] = field(default_factory=list)

    def event(
        self, kind: str, *, sender: str = BUYER, at: datetime | None = None, **fields: Any
    ) -> InboundEvent:
        """An InboundEvent of `kind` from `sender`, with a fresh id."""
        self._seq += 1
        event = InboundEvent(
            event_id=f"ev-{self._seq}-{id(self)}", page_id=PAGE_ID, sender_id=sender
        )
        event.occurred_at.FromDatetime(at or (self.clock() - timedelta(milliseconds=1)))
        getattr(event, kind).CopyFrom(fields.pop("body"))
        for name, value in fields.items():
            setattr(event, name, value)
        return event

    async def publish(self, event: InboundEvent, msg_id: str | None = None) -> None:
        kind = event.WhichOneof("kind")
        subject = f"{self.settings.inbound_prefix}.{event.page_id}.{kind}"
        await bus.publish(
            self.js, subject, event.SerializeToString(), msg_id=msg_id or event.event_id
        )

    async def replies(self, count: int, timeout: float = 10.0) -> list[replies.ReplyCommand]:
        """Wait until the replies stream holds at least `count` commands; all of them, in order."""
        async with asyncio.timeout(timeout):
            while True:
                found = await self.all_replies()
                if len(found) >= count:
                    return found
                await asyncio.sleep(0.05)

    async def events(self, kind: str) -> list[bytes]:
        """Payloads of negotiation's own events of one kind, oldest first."""
        info = await self.js.stream_info(self.settings.events_stream)
        found = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            if info.state.messages == 0:
                break
            msg = await self.js.get_msg(self.settings.events_stream, seq)
            if msg.subject.endswith(f".{kind}"):
                found.append(msg.data or b"")
        return found

    async def all_replies(self) -> list[replies.ReplyCommand]:
        info = await self.js.stream_info(self.settings.replies_stream)
        found = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            if info.state.messages == 0:
                break
            msg = await self.js.get_msg(self.settings.replies_stream, seq)
            command = replies.ReplyCommand.FromString(msg.data or b"")
            assert (msg.headers or {}).get("Nats-Msg-Id") == command.idempotency_key
            found.append(command)
        return found

    async def settle(self, handled: int, timeout: float = 10.0) -> None:
        """Wait until the inbound consumer handled `handled` events in all."""
        async with asyncio.timeout(timeout):
            while sum(self.negotiation.handler.outcomes.values()) < handled:
                await asyncio.sleep(0.02)
        # Give the outbox relay its moment to publish what the last event stored.
        async with asyncio.timeout(timeout):
            while await self.negotiation.pool.fetchval(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL"
            ):
                await asyncio.sleep(0.02)

    def channel(self, caller: str = "gateway") -> grpc.aio.Channel:
        address = f"127.0.0.1:{self.negotiation.server.port}"
        channel = open_channel(address, caller_token=CALLERS[caller])
        self._channels.append(channel)
        return channel

    def stub(self, caller: str = "gateway") -> NegotiationServiceAsyncStub:
        return NegotiationServiceStub(self.channel(caller))  # type: ignore[return-value]

    async def tenants_event(self, kind: str, message: Any) -> None:
        await self.nc.publish(f"{self.settings.tenants_prefix}.{kind}", message.SerializeToString())
        await self.nc.flush()


@dataclass
class FakeClock:
    """Now, moved on by tests."""

    offset: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def env_for(
    database_url: str, nats_url: str, schema: str, uid: str, tenants: str
) -> dict[str, str]:
    """The environment `parley negotiation serve` would get, with streams of this test only."""
    return {
        "PARLEY_DATABASE_URL": database_url,
        "PARLEY_NEGOTIATION_SCHEMA": schema,
        "PARLEY_NATS_URL": nats_url,
        "PARLEY_NEGOTIATION_PORT": "0",
        "PARLEY_NEGOTIATION_CALLERS": ",".join(f"{n}={t}" for n, t in CALLERS.items()),
        "PARLEY_TENANTS_ADDR": tenants,
        "PARLEY_TENANTS_TOKEN": TENANTS_TOKEN,
        "PARLEY_INBOUND_STREAM": f"IN_{uid}",
        "PARLEY_INBOUND_SUBJECT_PREFIX": f"t{uid}.inbound",
        "PARLEY_TENANTS_STREAM": f"TEN_{uid}",
        "PARLEY_TENANTS_SUBJECT_PREFIX": f"t{uid}.tenants",
        "PARLEY_REPLIES_STREAM": f"REP_{uid}",
        "PARLEY_REPLIES_SUBJECT_PREFIX": f"t{uid}.replies",
        "PARLEY_NEGOTIATION_STREAM": f"NEG_{uid}",
        "PARLEY_NEGOTIATION_SUBJECT_PREFIX": f"t{uid}.negotiation",
        "PARLEY_NEGOTIATION_DURABLE": f"negotiation_{uid}",
        "PARLEY_OUTBOX_POLL_S": "0.05",
        "PARLEY_STARTUP_WAIT_S": "5",
    }


@contextlib.asynccontextmanager
async def running_tenants(fake: FakeTenants) -> AsyncIterator[GrpcServer]:
    service = GrpcService(
        fake,
        tenants_pb2_grpc.add_TenantServiceServicer_to_server,
        pb.DESCRIPTOR.services_by_name["TenantService"],
    )
    server = build_server(
        [service], address="127.0.0.1:0", auth=CallerAuthInterceptor({TENANTS_TOKEN: "negotiation"})
    )
    await server.start()
    try:
        yield server
    finally:
        await server.stop(0)


@pytest.fixture
async def service(
    database_url: str, nats_url: str, pg_schema: str, unique_id: str, nats_client: NATS
) -> AsyncIterator[Service]:
    await migrate(database_url, pg_schema, migrations_folder())
    js = nats_client.jetstream()
    fake = FakeTenants()
    clock = FakeClock()
    async with running_tenants(fake) as tenants_server:
        env = env_for(
            database_url, nats_url, pg_schema, unique_id, f"127.0.0.1:{tenants_server.port}"
        )
        settings = NegotiationSettings.from_env(env)
        for stream, prefix in (
            (settings.inbound_stream, settings.inbound_prefix),
            (settings.tenants_stream, settings.tenants_prefix),
        ):
            spec = bus.StreamSpec(stream, (f"{prefix}.>",), duplicate_window_s=60, max_age_s=600)
            await bus.ensure_stream(js, spec)
        negotiation = await build(settings, clock=clock)
        await negotiation.start()
        svc = Service(negotiation, fake, tenants_server, settings, js, nats_client, clock)
        try:
            yield svc
        finally:
            for channel in svc._channels:
                await channel.close(None)
            await negotiation.stop(0)
            streams = (
                settings.inbound_stream,
                settings.tenants_stream,
                settings.replies_stream,
                settings.events_stream,
            )
            for name in streams:
                with contextlib.suppress(Exception):
                    await js.delete_stream(name)
