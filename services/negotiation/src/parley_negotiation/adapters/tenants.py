"""The seller's Pages, listings and rules from the tenants service, cached.

Every answer is kept for `ttl_s` at most, and dropped at once when tenants announces a change
(`parley.tenants.*` events: Page paused, resumed or needing reconnection, rules or listing
changed), so a paused Page goes quiet within the time the event takes to arrive.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import grpc
import nats.errors
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from parley.events.v1 import tenants_pb2 as events
from parley.tenants.v1 import tenants_pb2 as pb
from parley.tenants.v1.tenants_pb2_grpc import TenantServiceStub
from parley_kit.bus import TransientError
from parley_kit.grpc_client import open_channel
from parley_negotiation.adapters.money import to_major
from parley_negotiation.domain.model import ListingFacts, Pacing, Rules, WeeklyWindow

if TYPE_CHECKING:
    from parley.tenants.v1.tenants_pb2_grpc import TenantServiceAsyncStub

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class PageInfo:
    """A connected Page as negotiation needs it."""

    page_id: str
    seller_id: str
    name: str
    active: bool
    status_reason: str


@dataclass(frozen=True)
class ListingContext:
    """One listing with the rules in force for it."""

    listing_id: str
    seller_id: str
    page_id: str
    ref: str
    currency: str
    facts: ListingFacts
    rules: Rules
    m_me_url: str
    post_ids: tuple[str, ...]


class TenantsUnavailable(TransientError):
    """Tenants did not answer; the event is tried again later."""


class TenantsRules:
    """Reads from tenants as the `negotiation` caller, with a cache dropped on change."""

    def __init__(
        self, address: str, caller_token: str | None, *, ttl_s: float = 60.0, timeout_s: float = 3
    ) -> None:
        self._channel = open_channel(address, caller_token=caller_token)
        self._stub: TenantServiceAsyncStub = TenantServiceStub(self._channel)
        self._ttl = ttl_s
        self._timeout = timeout_s
        self._cache: dict[tuple[str, str], tuple[float, object]] = {}
        self._watch: Subscription | None = None

    async def close(self) -> None:
        """Stop watching and close the channel."""
        if self._watch is not None:
            with contextlib.suppress(nats.errors.Error):
                await self._watch.unsubscribe()
        await self._channel.close(None)

    async def page(self, page_id: str) -> PageInfo | None:
        """The Page, or None when tenants does not know it."""

        async def load() -> PageInfo | None:
            request = pb.GetPageRequest(page_id=page_id)
            answer = await self._maybe(self._stub.GetPage(request, timeout=self._timeout))
            if answer is None:
                return None
            page = answer.page
            active = page.status == pb.PAGE_STATUS_ACTIVE
            return PageInfo(page.page_id, page.seller_id, page.name, active, page.status_reason)

        return await self._cached(("page", page_id), load)

    async def kill_switch(self) -> bool:
        """True while the platform-wide stop is engaged."""

        async def load() -> bool:
            answer = await self._call(
                self._stub.GetKillSwitch(pb.GetKillSwitchRequest(), timeout=self._timeout)
            )
            return bool(answer.engaged)

        return await self._cached(("kill", ""), load, ttl_s=min(self._ttl, 5.0))

    async def listing(self, listing_id: str) -> ListingContext | None:
        """A listing with its rules, or None."""

        async def load() -> ListingContext | None:
            request = pb.GetListingRequest(listing_id=listing_id)
            answer = await self._maybe(self._stub.GetListing(request, timeout=self._timeout))
            return None if answer is None else await self._with_rules(answer.listing)

        return await self._cached(("listing", listing_id), load)

    async def listing_by_ref(self, page_id: str, ref: str) -> ListingContext | None:
        """The listing an m.me ref names on this Page, or None."""
        request = pb.GetListingByRefRequest(page_id=page_id, ref=ref)
        answer = await self._maybe(self._stub.GetListingByRef(request, timeout=self._timeout))
        if answer is None:
            return None
        return await self.listing(answer.listing.listing_id)

    async def page_listings(self, page_id: str, seller_id: str) -> list[ListingContext]:
        """The listings for sale on the Page (its own and the seller's Page-less ones), newest
        first."""

        async def load() -> list[ListingContext]:
            request = pb.ListListingsRequest(seller_id=seller_id, available_only=True)
            answer = await self._call(self._stub.ListListings(request, timeout=self._timeout))
            # A listing without a Page is sold on every Page of its seller.
            mine = [item for item in answer.listings if item.page_id in ("", page_id)]
            ordered = sorted(mine, key=lambda item: item.created_at.ToDatetime())
            return [await self._with_rules(item) for item in reversed(ordered)]

        return await self._cached(("page-listings", page_id), load)

    async def _with_rules(self, listing: pb.Listing) -> ListingContext:
        request = pb.GetListingRulesRequest(listing_id=listing.listing_id)
        rules = (await self._call(self._stub.GetListingRules(request, timeout=self._timeout))).rules
        return listing_context(listing, rules)

    def forget(self, *, page_id: str = "", listing_id: str = "", seller_id: str = "") -> None:
        """Drop what the cache holds about a Page, a listing or everything of a seller."""
        if seller_id:
            self._cache.clear()  # listings are keyed by id, not by seller: start afresh
            return
        for key in [("page", page_id), ("page-listings", page_id), ("listing", listing_id)]:
            self._cache.pop(key, None)

    async def watch(self, nc: NATS, subject_prefix: str = "parley.tenants") -> None:
        """Drop cached answers as tenants announces changes (core NATS: no state kept)."""
        self._watch = await nc.subscribe(f"{subject_prefix}.>", cb=self._on_event)

    async def _on_event(self, msg: Msg) -> None:
        kind = msg.subject.rsplit(".", 1)[-1]
        try:
            if kind == "rules_changed":
                change = events.RulesChanged.FromString(msg.data)
                if change.listing_id:
                    self._cache.clear()  # a listing's Page list changes with it
                else:
                    self.forget(seller_id=change.seller_id)
            elif kind in _PAGE_EVENTS:
                page = _PAGE_EVENTS[kind].FromString(msg.data)
                self.forget(page_id=page.page_id)
            elif kind == "user_data_deletion_requested":
                self._cache.clear()
        except Exception:  # noqa: BLE001 - a malformed event must not stop the watch
            log.warning("could not read tenants event on %s; cache cleared", msg.subject)
            self._cache.clear()

    async def _cached(
        self, key: tuple[str, str], load: Callable[[], Awaitable[T]], ttl_s: float | None = None
    ) -> T:
        now = time.monotonic()
        found = self._cache.get(key)
        if found is not None and found[0] > now:
            return found[1]  # type: ignore[return-value]
        value = await load()
        self._cache[key] = (now + (self._ttl if ttl_s is None else ttl_s), value)
        return value

    async def _call(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except grpc.aio.AioRpcError as exc:
            raise TenantsUnavailable(f"tenants answered {exc.code().name}") from None

    async def _maybe(self, call: Awaitable[T]) -> T | None:
        try:
            return await call
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise TenantsUnavailable(f"tenants answered {exc.code().name}") from None


_PAGE_EVENTS: dict[str, type[events.PagePaused | events.PageResumed | events.PageNeedsReconnect]]
_PAGE_EVENTS = {
    "page_paused": events.PagePaused,
    "page_resumed": events.PageResumed,
    "page_needs_reconnect": events.PageNeedsReconnect,
    "page_connected": events.PageConnected,  # type: ignore[dict-item]
}


def listing_context(listing: pb.Listing, rules: pb.ListingRules) -> ListingContext:
    """The engine's view of a tenants listing and its rules."""
    currency = listing.asking_price.currency or rules.asking_price.currency or "USD"
    return ListingContext(
        listing_id=listing.listing_id,
        seller_id=listing.seller_id,
        page_id=listing.page_id,
        ref=listing.ref,
        currency=currency,
        facts=listing_facts(listing, currency),
        rules=engine_rules(rules, currency),
        m_me_url=listing.m_me_url,
        post_ids=tuple(
            value.strip()
            for value in listing.attributes.get("post_ids", "").split(",")
            if value.strip()
        ),
    )


def listing_facts(listing: pb.Listing, currency: str) -> ListingFacts:
    """The facts a reply may state."""
    vehicle = listing.vehicle
    return ListingFacts(
        title=listing.title,
        price=to_major(listing.asking_price.amount_minor, currency),
        currency=currency,
        year=vehicle.year or None,
        make=vehicle.make or None,
        model=vehicle.model or None,
        trim=vehicle.trim or None,
        mileage=vehicle.mileage or None,
        mileage_unit=vehicle.mileage_unit or "km",
        condition=vehicle.condition or None,
        features=tuple(vehicle.features),
        location=listing.location or None,
        description=listing.description or None,
        photos=tuple(listing.photo_urls),
        available=listing.available,
    )


def engine_rules(rules: pb.ListingRules, currency: str) -> Rules:
    """The seller's rules in force for a listing."""
    auto = rules.auto_accept_price.amount_minor
    return Rules(
        asking_price=to_major(rules.asking_price.amount_minor, currency),
        price_floor=to_major(rules.floor_price.amount_minor, currency),
        auto_accept_at=to_major(auto, currency) if auto else None,
        max_concessions=min(rules.max_concessions, 10),
        tone=rules.tone or "balanced",  # type: ignore[arg-type]
        languages=tuple(rules.languages) or ("en",),
        escrow_enabled=rules.escrow_enabled,
        human_takeover_enabled=rules.human_takeover_enabled,
        takeover_keywords=tuple(rules.takeover_keywords),
        availability=tuple(
            WeeklyWindow(slot.weekday, slot.start, slot.end) for slot in rules.viewing_availability
        ),
        time_zone=rules.time_zone or "UTC",
        pacing=Pacing.INSTANT if rules.reply_pace == pb.REPLY_PACE_INSTANT else Pacing.HUMAN,
    )
