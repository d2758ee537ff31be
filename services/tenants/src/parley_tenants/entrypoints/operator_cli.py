"""Operator commands of `parley tenants`, over gRPC with the operator's token."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message

from parley.tenants.v1 import tenants_pb2 as pb
from parley.tenants.v1.tenants_pb2_grpc import TenantServiceStub
from parley_kit.grpc_client import open_channel
from parley_kit.settings import Env

if TYPE_CHECKING:
    # Only the stubs know the async flavour (mypy-protobuf); at run time it is TenantServiceStub.
    from parley.tenants.v1.tenants_pb2_grpc import TenantServiceAsyncStub as Stub

Command = Callable[["Stub", argparse.Namespace], Awaitable[Message]]
DEMO_SELLER = "demo-seller"
DEMO_REF = "corolla-2015"


def _money(text: str) -> int:
    """`8500` or `8,500.50` -> minor units."""
    try:
        return int(Decimal(text.replace(",", "")) * 100)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount") from None


def _on_off(text: str) -> bool:
    if text not in ("on", "off"):
        raise argparse.ArgumentTypeError("use on or off")
    return text == "on"


def add_commands(sub: Any) -> None:
    """Register the operator subcommands."""
    p = sub.add_parser("create-seller", help="register a seller")
    p.add_argument("--name", required=True)
    p.add_argument("--email", default="")
    p = sub.add_parser("connect-link", help="the signed link a seller follows to connect Pages")
    p.add_argument("--seller", required=True)
    p = sub.add_parser("login-url", help="the Facebook login dialog URL itself (single use)")
    p.add_argument("--seller", required=True)
    p = sub.add_parser("pages", help="list Pages and their health")
    p.add_argument("--seller", default="")
    _settings_commands(sub)
    _listing_command(sub)
    for name in ("pause", "resume"):
        p = sub.add_parser(name, help=f"{name} the bot on a Page or for a seller")
        target = p.add_mutually_exclusive_group(required=True)
        target.add_argument("--page")
        target.add_argument("--seller")
        p.add_argument("--reason", default="paused by an operator")
    p = sub.add_parser("kill-switch", help="stop (on) or restart (off) the bot everywhere")
    p.add_argument("state", choices=["on", "off", "show"])
    p.add_argument("--reason", default="")
    sub.add_parser("seed-demo", help="the demo seller and listing (idempotent); prints the link")


def _settings_commands(sub: Any) -> None:
    p = sub.add_parser("settings", help="show or change a seller's settings")
    actions = p.add_subparsers(dest="action", required=True)
    show = actions.add_parser("show")
    show.add_argument("--seller", required=True)
    change = actions.add_parser("set")
    change.add_argument("--seller", required=True)
    change.add_argument("--tone")
    change.add_argument("--languages", help="comma-separated, e.g. en,th")
    change.add_argument("--pace", choices=["human", "instant"])
    change.add_argument("--max-concessions", type=int)
    change.add_argument("--escrow", type=_on_off)
    change.add_argument("--takeover", type=_on_off)
    change.add_argument("--keywords", help="comma-separated takeover keywords")
    change.add_argument("--time-zone")
    change.add_argument("--currency")


def _listing_command(sub: Any) -> None:
    p = sub.add_parser("add-listing", help="add an item for sale")
    p.add_argument("--seller", required=True)
    p.add_argument("--page", default="")
    p.add_argument("--title", required=True)
    p.add_argument("--description", default="")
    p.add_argument("--currency", default="USD")
    p.add_argument("--price", type=_money, required=True, help="asking price, e.g. 8500")
    p.add_argument("--floor", type=_money, required=True)
    p.add_argument("--auto-accept", type=_money)
    p.add_argument("--concessions", type=int, default=0)
    p.add_argument("--ref", required=True, help="m.me ref, e.g. corolla-2015")
    p.add_argument("--year", type=int, default=0)
    p.add_argument("--make", default="")
    p.add_argument("--model", default="")
    p.add_argument("--mileage", type=int, default=0)
    p.add_argument("--location", default="")


async def _create_seller(stub: Stub, a: argparse.Namespace) -> Message:
    return await stub.CreateSeller(pb.CreateSellerRequest(name=a.name, email=a.email))


async def _connect_link(stub: Stub, a: argparse.Namespace) -> Message:
    return await stub.GetConnectLink(pb.GetConnectLinkRequest(seller_id=a.seller))


async def _login_url(stub: Stub, a: argparse.Namespace) -> Message:
    return await stub.GetOnboardingUrl(pb.GetOnboardingUrlRequest(seller_id=a.seller))


async def _pages(stub: Stub, a: argparse.Namespace) -> Message:
    return await stub.ListPages(pb.ListPagesRequest(seller_id=a.seller))


async def _settings(stub: Stub, a: argparse.Namespace) -> Message:
    current = await stub.GetSellerSettings(pb.GetSellerSettingsRequest(seller_id=a.seller))
    if a.action == "show":
        return current
    s = current.settings
    simple = {"tone": a.tone, "max_concessions": a.max_concessions, "time_zone": a.time_zone}
    simple |= {"currency": a.currency, "escrow_enabled": a.escrow}
    simple |= {"human_takeover_enabled": a.takeover}
    for field, value in simple.items():
        if value is not None:
            setattr(s, field, value)
    if a.languages is not None:
        s.ClearField("languages")
        s.languages.extend(item.strip() for item in a.languages.split(","))
    if a.keywords is not None:
        s.ClearField("takeover_keywords")
        s.takeover_keywords.extend(item.strip() for item in a.keywords.split(","))
    if a.pace is not None:
        s.reply_pace = pb.REPLY_PACE_HUMAN if a.pace == "human" else pb.REPLY_PACE_INSTANT
    return await stub.UpdateSellerSettings(pb.UpdateSellerSettingsRequest(settings=s))


def _listing(a: argparse.Namespace) -> pb.Listing:
    listing = pb.Listing(
        seller_id=a.seller,
        page_id=a.page,
        title=a.title,
        description=a.description,
        asking_price=pb.Money(currency=a.currency, amount_minor=a.price),
        floor_price=pb.Money(currency=a.currency, amount_minor=a.floor),
        max_concessions=a.concessions,
        ref=a.ref,
        location=a.location,
        vehicle=pb.Vehicle(year=a.year, make=a.make, model=a.model, mileage=a.mileage),
    )
    if a.auto_accept is not None:
        listing.auto_accept_price.CopyFrom(
            pb.Money(currency=a.currency, amount_minor=a.auto_accept)
        )
    return listing


async def _add_listing(stub: Stub, a: argparse.Namespace) -> Message:
    return await stub.CreateListing(pb.CreateListingRequest(listing=_listing(a)))


async def _pause(stub: Stub, a: argparse.Namespace) -> Message:
    if a.page:
        return await stub.PausePage(pb.PausePageRequest(page_id=a.page, reason=a.reason))
    return await stub.PauseSeller(pb.PauseSellerRequest(seller_id=a.seller, reason=a.reason))


async def _resume(stub: Stub, a: argparse.Namespace) -> Message:
    if a.page:
        return await stub.ResumePage(pb.ResumePageRequest(page_id=a.page))
    return await stub.ResumeSeller(pb.ResumeSellerRequest(seller_id=a.seller))


async def _kill_switch(stub: Stub, a: argparse.Namespace) -> Message:
    if a.state == "show":
        return await stub.GetKillSwitch(pb.GetKillSwitchRequest())
    request = pb.SetKillSwitchRequest(engaged=a.state == "on", reason=a.reason)
    return await stub.SetKillSwitch(request)


def demo_listing() -> pb.Listing:
    """A 2015 Toyota Corolla: asking 8,500 USD, floor 7,600, auto-accept 8,200, 3 concessions."""
    usd = "USD"
    return pb.Listing(
        seller_id=DEMO_SELLER,
        title="2015 Toyota Corolla LE",
        description="One owner, full service history, new tyres.",
        asking_price=pb.Money(currency=usd, amount_minor=850_000),
        floor_price=pb.Money(currency=usd, amount_minor=760_000),
        auto_accept_price=pb.Money(currency=usd, amount_minor=820_000),
        max_concessions=3,
        ref=DEMO_REF,
        location="Austin, TX",
        vehicle=pb.Vehicle(
            year=2015,
            make="Toyota",
            model="Corolla",
            trim="LE",
            mileage=98_000,
            mileage_unit="mi",
            condition="used",
            features=["automatic", "air conditioning", "backup camera"],
        ),
    )


async def seed_demo(stub: Stub, _: argparse.Namespace) -> Message:
    """The demo seller and listing, created once; the connect link each time."""
    request = pb.CreateSellerRequest(
        seller_id=DEMO_SELLER, name="Demo Seller", email="demo@parley.test"
    )
    await _ignore_existing(stub.CreateSeller(request))
    await _ignore_existing(stub.CreateListing(pb.CreateListingRequest(listing=demo_listing())))
    return await stub.GetOnboardingUrl(pb.GetOnboardingUrlRequest(seller_id=DEMO_SELLER))


async def _ignore_existing(call: Awaitable[Message]) -> None:
    try:
        await call
    except grpc.aio.AioRpcError as error:
        if error.code() is not grpc.StatusCode.ALREADY_EXISTS:
            raise


COMMANDS: dict[str, Command] = {
    "create-seller": _create_seller,
    "connect-link": _connect_link,
    "login-url": _login_url,
    "pages": _pages,
    "settings": _settings,
    "add-listing": _add_listing,
    "pause": _pause,
    "resume": _resume,
    "kill-switch": _kill_switch,
    "seed-demo": seed_demo,
}


async def call(address: str, token: str | None, args: argparse.Namespace) -> Message:
    """Run one command against the service at `address`."""
    async with open_channel(address, caller_token=token) as channel:
        return await COMMANDS[args.command](TenantServiceStub(channel), args)


def run(args: argparse.Namespace) -> int:
    """Run an operator command; its answer as JSON on stdout, a failure on stderr."""
    env = Env()
    address = env.text("PARLEY_TENANTS_ADDR", "127.0.0.1:50051")
    token = env.secret("PARLEY_TENANTS_TOKEN", None)
    env.check()
    try:
        answer = asyncio.run(call(address, token.reveal() if token else None, args))
    except grpc.aio.AioRpcError as error:
        sys.stderr.write(f"parley tenants {args.command}: {error.code().name}: {error.details()}\n")
        return 1
    sys.stdout.write(json_format.MessageToJson(answer, indent=2) + "\n")
    return 0
