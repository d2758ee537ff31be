"""What a signed-in seller may reach: every object is read back and checked to be theirs.

The gateway holds broad rights at tenants, negotiation and delivery (it calls them as the
`gateway` caller for every seller), so this module is where a seller's boundary is drawn: views
reach data only through SellerScope, which asks only for the seller's own objects and checks the
seller of every object it reads back before a view shows or changes it. Something that does not
exist and something of another seller look the same (NotYours: a 404).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

from parley.negotiation.v1 import negotiation_pb2 as npb
from parley.tenants.v1 import tenants_pb2 as pb
from parley_gateway.adapters.analytics import AnalyticsClient
from parley_gateway.adapters.calls import Refused
from parley_gateway.adapters.delivery import DeliveryClient
from parley_gateway.adapters.negotiation import NegotiationClient
from parley_gateway.adapters.tenants import TenantsClient

T = TypeVar("T")
_ID = re.compile(r"[A-Za-z0-9_.:=-]{1,128}")


class NotYours(Exception):
    """Not this seller's, or not there at all."""


@dataclass(frozen=True)
class Services:
    """The services the dashboard calls."""

    tenants: TenantsClient
    negotiation: NegotiationClient
    delivery: DeliveryClient
    # The performance figures; the dashboard works without them.
    analytics: AnalyticsClient | None = None


def checked_id(value: str) -> str:
    """An id from a URL or form, or NotYours when it cannot be one."""
    if not _ID.fullmatch(value):
        raise NotYours
    return value


async def _found(rpc: Awaitable[T]) -> T:
    try:
        return await rpc
    except Refused as exc:
        if exc.not_found:
            raise NotYours from None
        raise


class SellerScope:
    """The signed-in seller's Pages, conversations, listings and settings, and nobody else's."""

    def __init__(self, services: Services, seller_id: str) -> None:
        self.services = services
        self.seller_id = seller_id

    def _mine(self, owner: str) -> None:
        if owner != self.seller_id:
            raise NotYours

    async def pages(self) -> list[pb.Page]:
        """The seller's Pages."""
        pages = await self.services.tenants.pages(self.seller_id)
        return [page for page in pages if page.seller_id == self.seller_id]

    async def page(self, page_id: str) -> pb.Page:
        """One of the seller's Pages."""
        page = await _found(self.services.tenants.page(checked_id(page_id)))
        self._mine(page.seller_id)
        return page

    async def conversation(self, conversation_id: str) -> tuple[npb.Conversation, pb.Page]:
        """A conversation on one of the seller's Pages, with that Page."""
        negotiation = self.services.negotiation
        conversation = await _found(negotiation.conversation(checked_id(conversation_id)))
        self._mine(conversation.seller_id)
        return conversation, await self.page(conversation.page_id)

    async def listings(self) -> list[pb.Listing]:
        """The seller's listings."""
        listings = await self.services.tenants.listings(self.seller_id)
        return [item for item in listings if item.seller_id == self.seller_id]

    async def listing(self, listing_id: str) -> pb.Listing:
        """One of the seller's listings."""
        listing = await _found(self.services.tenants.listing(checked_id(listing_id)))
        self._mine(listing.seller_id)
        return listing

    async def settings(self) -> pb.SellerSettings:
        """The seller's settings."""
        settings = await _found(self.services.tenants.settings(self.seller_id))
        self._mine(settings.seller_id)
        return settings
