"""Sellers for the journeys, through public faces only: tenants' gRPC API, the emulator's
Facebook login, the dashboard over HTTP, and the events tenants publishes."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import httpx
import nats

from parley.events.v1 import tenants_pb2 as events
from parley.tenants.v1 import tenants_pb2 as tpb
from parley.tenants.v1.tenants_pb2_grpc import TenantServiceStub
from parley_kit.grpc_client import open_channel

from .conftest import PARLEY
from .journeys import Faces

if TYPE_CHECKING:
    from parley.tenants.v1.tenants_pb2_grpc import TenantServiceAsyncStub

DEMO_SELLER = "demo-seller"
DEMO_REF = "corolla-2015"


@asynccontextmanager
async def tenants(faces: Faces) -> AsyncIterator[TenantServiceAsyncStub]:
    """Tenants' gRPC API as the operator."""
    async with open_channel(faces.tenants, caller_token=faces.operator) as channel:
        yield TenantServiceStub(channel)


async def listing_and_rules(
    stub: TenantServiceAsyncStub, page_id: str, ref: str
) -> tuple[tpb.Listing, tpb.ListingRules]:
    """The listing an m.me ref opens, and the rules in force for it (floor included)."""
    listing = await stub.GetListingByRef(tpb.GetListingByRefRequest(page_id=page_id, ref=ref))
    request = tpb.GetListingRulesRequest(listing_id=listing.listing.listing_id)
    return listing.listing, (await stub.GetListingRules(request)).rules


async def open_for_viewings_in_thai(
    stub: TenantServiceAsyncStub, seller_id: str
) -> tpb.SellerSettings:
    """What a seller sets on the dashboard's settings: Thai besides their main language, and
    viewings every day from 08:00 to 20:00 (the demo seller starts with none)."""
    settings = await stub.GetSellerSettings(tpb.GetSellerSettingsRequest(seller_id=seller_id))
    wanted = settings.settings
    if "th" not in wanted.languages:
        wanted.languages.append("th")
    del wanted.viewing_availability[:]
    wanted.viewing_availability.extend(
        tpb.ViewingSlot(weekday=day, start="08:00", end="20:00") for day in range(1, 8)
    )
    request = tpb.UpdateSellerSettingsRequest(settings=wanted)
    return (await stub.UpdateSellerSettings(request)).settings


async def connect_new_seller(http: httpx.AsyncClient, faces: Faces) -> tuple[str, str]:
    """A new seller with a new Facebook Page, connected the way a seller does it (tenants'
    login link, the emulator's dialog as that Page's manager, the gateway's callback), and one
    listing on it. Returns (seller id, page id)."""
    tag = secrets.token_hex(4)
    emulator = f"{faces.emulator}/_emulator"
    app = (await http.get(f"{emulator}/apps")).json()["data"][0]
    page = await _created(
        http,
        f"{emulator}/pages",
        name=f"Journeys Motors {tag}",
        app_id=app["id"],
        subscribed_fields=[],
    )
    user = await _created(http, f"{emulator}/users", name=f"Sam Seller {tag}", pages=[page["id"]])
    seller_id = f"journeys-{tag}"
    async with tenants(faces) as stub:
        await stub.CreateSeller(
            tpb.CreateSellerRequest(seller_id=seller_id, name="Sam", email=f"{tag}@parley.test")
        )
        url = (await stub.GetOnboardingUrl(tpb.GetOnboardingUrlRequest(seller_id=seller_id))).url
        landed = await http.get(f"{url}&user_id={user['id']}", follow_redirects=True)
        assert "Pages connected" in landed.text, landed.text[:2000]
        await stub.CreateListing(tpb.CreateListingRequest(listing=_civic(seller_id, page["id"])))
    return seller_id, str(page["id"])


async def _created(http: httpx.AsyncClient, url: str, **body: object) -> dict[str, str]:
    answer = await http.post(url, json=body)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _civic(seller_id: str, page_id: str) -> tpb.Listing:
    usd = "USD"
    return tpb.Listing(
        seller_id=seller_id,
        page_id=page_id,
        title="2012 Honda Civic LX",
        asking_price=tpb.Money(currency=usd, amount_minor=600_000),
        floor_price=tpb.Money(currency=usd, amount_minor=520_000),
        ref=f"civic-{page_id}",
        location="Austin, TX",
    )


async def page_of(faces: Faces, page_id: str) -> tpb.Page:
    """The Page as tenants has it."""
    async with tenants(faces) as stub:
        return (await stub.GetPage(tpb.GetPageRequest(page_id=page_id))).page


async def dashboard_overview(faces: Faces, seller_id: str) -> str:
    """The seller's dashboard overview, signed in with a link from `parley gateway login-link`."""
    keys = json.loads((faces.data / "dev-secrets.json").read_text())
    env = {
        **os.environ,
        "PARLEY_DASHBOARD_SECRET": keys["dashboard_secret"],
        "PARLEY_PUBLIC_URL": faces.gateway,
        "PARLEY_TENANTS_ADDR": faces.tenants,
        "PARLEY_TENANTS_TOKEN": keys["gateway_token"],
    }
    made = await asyncio.to_thread(
        subprocess.run,
        [PARLEY, "gateway", "login-link", "--seller", seller_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    async with httpx.AsyncClient(timeout=20) as http:
        signed_in = await http.post(made.stdout.strip(), headers={"Origin": faces.gateway})
        assert signed_in.status_code == 303, signed_in.text
        overview = await http.get(f"{faces.gateway}/dashboard")
        assert overview.status_code == 200, overview.text
        return overview.text


_PAGE_EVENTS: dict[
    str, type[events.PagePaused | events.PageResumed | events.PageNeedsReconnect]
] = {
    "page_paused": events.PagePaused,
    "page_resumed": events.PageResumed,
    "page_needs_reconnect": events.PageNeedsReconnect,
}


async def page_event(nats_url: str, kind: str, page_id: str, timeout: float = 30.0) -> Any:
    """The event of that kind tenants published for the Page (stream PARLEY_TENANTS). Other
    services hear it on the same subject, which is how a pause reaches them."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        sub = await js.subscribe(f"parley.tenants.{kind}", ordered_consumer=True)
        async with asyncio.timeout(timeout):
            while True:
                msg = await sub.next_msg(timeout=timeout)
                event = _PAGE_EVENTS[kind].FromString(msg.data)
                if event.page_id == page_id:
                    return event
    finally:
        await nc.close()
