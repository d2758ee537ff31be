"""The tenants service as the gateway uses it: OAuth completion, data deletion, and what the
seller dashboard shows and edits (Pages, settings, listings), over gRPC."""

from __future__ import annotations

from dataclasses import dataclass

from parley.tenants.v1 import tenants_pb2 as pb
from parley.tenants.v1.tenants_pb2_grpc import TenantServiceStub
from parley_gateway.adapters.calls import call
from parley_kit.grpc_client import open_channel

_SERVICE = "tenants"


@dataclass(frozen=True)
class ConnectedPage:
    """A Page the seller just connected."""

    page_id: str
    name: str


@dataclass(frozen=True)
class DeletionReceipt:
    """What Meta's data-deletion callback answers."""

    confirmation_code: str
    status_url: str


@dataclass(frozen=True)
class DeletionView:
    """A deletion request as its status page shows it."""

    confirmation_code: str
    completed: bool
    progress: tuple[str, ...]


class TenantsClient:
    """Calls tenants as the `gateway` caller, with a deadline on every call.

    Onboarding calls get `timeout_s` (tenants talks to Facebook meanwhile); the dashboard's
    reads and writes get `dashboard_timeout_s`.
    """

    def __init__(
        self,
        address: str,
        caller_token: str | None,
        timeout_s: float = 10.0,
        dashboard_timeout_s: float = 5.0,
    ) -> None:
        self._channel = open_channel(address, caller_token=caller_token)
        self._stub = TenantServiceStub(self._channel)
        self._timeout = timeout_s
        self._quick = dashboard_timeout_s

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close(None)

    async def complete_onboarding(self, code: str, state: str) -> list[ConnectedPage]:
        """Exchange the OAuth code and connect the seller's Pages."""
        request = pb.CompleteOnboardingRequest(code=code, state=state)
        response = await call(
            _SERVICE, self._stub.CompleteOnboarding(request, timeout=self._timeout)
        )
        return [ConnectedPage(page.page_id, page.name) for page in response.pages]

    async def login_url(self, connect_link: str) -> str:
        """The Facebook login dialog URL for the seller a signed connect link names."""
        request = pb.GetOnboardingUrlRequest(connect_link=connect_link)
        response = await call(_SERVICE, self._stub.GetOnboardingUrl(request, timeout=self._timeout))
        return response.url

    async def delete_user_data(self, user_id: str) -> DeletionReceipt:
        """Start deleting everything of this Facebook user."""
        request = pb.DeleteUserDataRequest(user_id=user_id)
        response = await call(_SERVICE, self._stub.DeleteUserData(request, timeout=self._timeout))
        return DeletionReceipt(response.confirmation_code, response.status_url)

    async def deletion_status(self, confirmation_code: str) -> DeletionView:
        """Where a deletion request stands."""
        request = pb.GetDeletionStatusRequest(confirmation_code=confirmation_code)
        response = await call(
            _SERVICE, self._stub.GetDeletionStatus(request, timeout=self._timeout)
        )
        deletion = response.deletion
        completed = deletion.status == pb.DELETION_STATUS_COMPLETED
        return DeletionView(deletion.confirmation_code, completed, tuple(deletion.progress))

    async def seller(self, seller_id: str) -> pb.Seller:
        """One seller."""
        request = pb.GetSellerRequest(seller_id=seller_id)
        return (await call(_SERVICE, self._stub.GetSeller(request, timeout=self._quick))).seller

    async def pages(self, seller_id: str) -> list[pb.Page]:
        """A seller's Pages (never every Page: an empty seller id is refused here)."""
        if not seller_id:
            raise ValueError("seller_id is required")
        request = pb.ListPagesRequest(seller_id=seller_id)
        response = await call(_SERVICE, self._stub.ListPages(request, timeout=self._quick))
        return list(response.pages)

    async def page(self, page_id: str) -> pb.Page:
        """One connected Page."""
        request = pb.GetPageRequest(page_id=page_id)
        return (await call(_SERVICE, self._stub.GetPage(request, timeout=self._quick))).page

    async def connect_link(self, seller_id: str) -> str:
        """The signed link that (re)connects the seller's Pages."""
        request = pb.GetConnectLinkRequest(seller_id=seller_id)
        return (await call(_SERVICE, self._stub.GetConnectLink(request, timeout=self._quick))).url

    async def settings(self, seller_id: str) -> pb.SellerSettings:
        """The seller's rules."""
        request = pb.GetSellerSettingsRequest(seller_id=seller_id)
        response = await call(_SERVICE, self._stub.GetSellerSettings(request, timeout=self._quick))
        return response.settings

    async def update_settings(self, settings: pb.SellerSettings) -> pb.SellerSettings:
        """Replace the seller's rules (Refused names the bad field)."""
        request = pb.UpdateSellerSettingsRequest(settings=settings)
        rpc = self._stub.UpdateSellerSettings(request, timeout=self._quick)
        return (await call(_SERVICE, rpc)).settings

    async def listings(self, seller_id: str) -> list[pb.Listing]:
        """Every listing of a seller."""
        if not seller_id:
            raise ValueError("seller_id is required")
        request = pb.ListListingsRequest(seller_id=seller_id)
        response = await call(_SERVICE, self._stub.ListListings(request, timeout=self._quick))
        return list(response.listings)

    async def listing(self, listing_id: str) -> pb.Listing:
        """One listing."""
        request = pb.GetListingRequest(listing_id=listing_id)
        return (await call(_SERVICE, self._stub.GetListing(request, timeout=self._quick))).listing

    async def create_listing(self, listing: pb.Listing) -> pb.Listing:
        """Add a listing."""
        request = pb.CreateListingRequest(listing=listing)
        rpc = self._stub.CreateListing(request, timeout=self._quick)
        return (await call(_SERVICE, rpc)).listing

    async def update_listing(self, listing: pb.Listing) -> pb.Listing:
        """Replace a listing (its `version` must be the stored one)."""
        request = pb.UpdateListingRequest(listing=listing)
        rpc = self._stub.UpdateListing(request, timeout=self._quick)
        return (await call(_SERVICE, rpc)).listing
