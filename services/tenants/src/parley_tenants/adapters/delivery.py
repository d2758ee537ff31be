"""Delivery's Page set-up, called as the `tenants` caller."""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc

from parley.delivery.v1 import delivery_pb2 as pb
from parley.delivery.v1.delivery_pb2_grpc import DeliveryServiceStub
from parley_kit.grpc_client import open_channel
from parley_tenants.domain.model import Page, SellerSettings

if TYPE_CHECKING:
    from parley.delivery.v1.delivery_pb2_grpc import DeliveryServiceAsyncStub


class ProfileSetupFailed(Exception):
    """Delivery could not set the profile up now; the next round tries again."""


class DeliveryProfiles:
    """Sets up a Page's Messenger profile (Get Started, greeting, menu, ice breakers)."""

    def __init__(self, address: str, caller_token: str | None, timeout_s: float = 15.0) -> None:
        self._channel = open_channel(address, caller_token=caller_token)
        self._stub: DeliveryServiceAsyncStub = DeliveryServiceStub(self._channel)
        self._timeout = timeout_s

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close(None)

    async def set_up(self, page: Page, settings: SellerSettings) -> None:
        """Ask delivery to set the Page's profile up from the seller's settings."""
        request = pb.SetUpPageProfileRequest(
            page_id=page.page_id,
            settings=pb.ProfileSettings(
                languages=list(settings.languages),
                page_name=page.name,
                viewings_enabled=bool(settings.viewing_availability),
                human_takeover_enabled=settings.human_takeover_enabled,
                offers_enabled=True,
            ),
        )
        try:
            await self._stub.SetUpPageProfile(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            raise ProfileSetupFailed(f"delivery answered {exc.code().name}") from None
