"""The TenantService gRPC API: rights, translation, and one handler call per RPC."""

from __future__ import annotations

from typing import Any

from parley.tenants.v1 import tenants_pb2 as pb
from parley.tenants.v1 import tenants_pb2_grpc
from parley_kit.errors import InvalidArgument
from parley_kit.grpc_server import GrpcService
from parley_tenants.domain.model import KillSwitch
from parley_tenants.entrypoints import translate as tr
from parley_tenants.entrypoints.rights import guarded
from parley_tenants.service_layer import catalog, deletion, onboarding, pages, sellers
from parley_tenants.service_layer.unit import Deps

Context = Any  # grpc.aio.ServicerContext; the handlers never touch it


def _optional(value: str) -> str | None:
    return value.strip() or None


class TenantApi(tenants_pb2_grpc.TenantServiceServicer):
    """Each method: check the caller, translate, call the handler, translate back."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    @guarded
    async def CreateSeller(self, request: pb.CreateSellerRequest, context: Context) -> Any:
        seller = await sellers.create_seller(
            self._deps, name=request.name, email=request.email, seller_id=request.seller_id
        )
        return pb.CreateSellerResponse(seller=tr.seller_out(seller))

    @guarded
    async def GetSeller(self, request: pb.GetSellerRequest, context: Context) -> Any:
        seller_id = tr.required("seller_id", request.seller_id)
        seller = await sellers.get_seller(self._deps, seller_id=seller_id)
        return pb.GetSellerResponse(seller=tr.seller_out(seller))

    @guarded
    async def PauseSeller(self, request: pb.PauseSellerRequest, context: Context) -> Any:
        seller, paged = await sellers.pause_seller(
            self._deps, seller_id=tr.required("seller_id", request.seller_id), reason=request.reason
        )
        return pb.PauseSellerResponse(
            seller=tr.seller_out(seller), pages=[tr.page_out(p) for p in paged]
        )

    @guarded
    async def ResumeSeller(self, request: pb.ResumeSellerRequest, context: Context) -> Any:
        seller, paged = await sellers.resume_seller(
            self._deps, seller_id=tr.required("seller_id", request.seller_id)
        )
        return pb.ResumeSellerResponse(
            seller=tr.seller_out(seller), pages=[tr.page_out(p) for p in paged]
        )

    @guarded
    async def GetOnboardingUrl(self, request: pb.GetOnboardingUrlRequest, context: Context) -> Any:
        url, expires = await onboarding.onboarding_url(
            self._deps, seller_id=request.seller_id, connect_link=request.connect_link
        )
        return pb.GetOnboardingUrlResponse(url=url, state_expires_at=tr.timestamp(expires))

    @guarded
    async def GetConnectLink(self, request: pb.GetConnectLinkRequest, context: Context) -> Any:
        url, expires = await onboarding.connect_link(
            self._deps, seller_id=tr.required("seller_id", request.seller_id)
        )
        return pb.GetConnectLinkResponse(url=url, expires_at=tr.timestamp(expires))

    @guarded
    async def CompleteOnboarding(
        self, request: pb.CompleteOnboardingRequest, context: Context
    ) -> Any:
        seller_id, connected = await onboarding.complete_onboarding(
            self._deps, code=request.code, state=tr.required("state", request.state)
        )
        return pb.CompleteOnboardingResponse(
            seller_id=seller_id, pages=[tr.page_out(p) for p in connected]
        )

    @guarded
    async def GetPage(self, request: pb.GetPageRequest, context: Context) -> Any:
        page = await pages.get_page(self._deps, page_id=tr.required("page_id", request.page_id))
        return pb.GetPageResponse(page=tr.page_out(page))

    @guarded
    async def ListPages(self, request: pb.ListPagesRequest, context: Context) -> Any:
        found = await pages.list_pages(self._deps, seller_id=_optional(request.seller_id))
        return pb.ListPagesResponse(pages=[tr.page_out(p) for p in found])

    @guarded
    async def PausePage(self, request: pb.PausePageRequest, context: Context) -> Any:
        page = await pages.pause_page(
            self._deps, page_id=tr.required("page_id", request.page_id), reason=request.reason
        )
        return pb.PausePageResponse(page=tr.page_out(page))

    @guarded
    async def ResumePage(self, request: pb.ResumePageRequest, context: Context) -> Any:
        page = await pages.resume_page(self._deps, page_id=tr.required("page_id", request.page_id))
        return pb.ResumePageResponse(page=tr.page_out(page))

    @guarded
    async def SetKillSwitch(self, request: pb.SetKillSwitchRequest, context: Context) -> Any:
        if request.engaged and not request.reason.strip():
            raise InvalidArgument("reason: say why the platform is stopped")
        switch = await pages.set_kill_switch(
            self._deps, engaged=request.engaged, reason=request.reason.strip()
        )
        return pb.SetKillSwitchResponse(**_switch(switch))

    @guarded
    async def GetKillSwitch(self, request: pb.GetKillSwitchRequest, context: Context) -> Any:
        return pb.GetKillSwitchResponse(**_switch(await pages.get_kill_switch(self._deps)))

    @guarded
    async def GetSellerSettings(
        self, request: pb.GetSellerSettingsRequest, context: Context
    ) -> Any:
        settings = await catalog.get_settings(
            self._deps, seller_id=tr.required("seller_id", request.seller_id)
        )
        return pb.GetSellerSettingsResponse(settings=tr.settings_out(settings))

    @guarded
    async def UpdateSellerSettings(
        self, request: pb.UpdateSellerSettingsRequest, context: Context
    ) -> Any:
        settings = await catalog.update_settings(
            self._deps, settings=tr.settings_in(request.settings)
        )
        return pb.UpdateSellerSettingsResponse(settings=tr.settings_out(settings))

    @guarded
    async def CreateListing(self, request: pb.CreateListingRequest, context: Context) -> Any:
        listing = await catalog.create_listing(self._deps, listing=tr.listing_in(request.listing))
        return pb.CreateListingResponse(listing=tr.listing_out(listing))

    @guarded
    async def GetListing(self, request: pb.GetListingRequest, context: Context) -> Any:
        listing = await catalog.get_listing(
            self._deps, listing_id=tr.required("listing_id", request.listing_id)
        )
        return pb.GetListingResponse(listing=tr.listing_out(listing))

    @guarded
    async def GetListingByRef(self, request: pb.GetListingByRefRequest, context: Context) -> Any:
        listing = await catalog.get_listing_by_ref(
            self._deps, ref=tr.required("ref", request.ref), page_id=_optional(request.page_id)
        )
        return pb.GetListingByRefResponse(listing=tr.listing_out(listing))

    @guarded
    async def GetListingRules(self, request: pb.GetListingRulesRequest, context: Context) -> Any:
        rules = await catalog.get_rules(
            self._deps, listing_id=tr.required("listing_id", request.listing_id)
        )
        return pb.GetListingRulesResponse(rules=tr.rules_out(rules))

    @guarded
    async def ListListings(self, request: pb.ListListingsRequest, context: Context) -> Any:
        found = await catalog.list_listings(
            self._deps,
            seller_id=_optional(request.seller_id),
            page_id=_optional(request.page_id),
            available_only=request.available_only,
        )
        return pb.ListListingsResponse(listings=[tr.listing_out(item) for item in found])

    @guarded
    async def UpdateListing(self, request: pb.UpdateListingRequest, context: Context) -> Any:
        tr.required("listing.listing_id", request.listing.listing_id)
        listing = await catalog.update_listing(self._deps, listing=tr.listing_in(request.listing))
        return pb.UpdateListingResponse(listing=tr.listing_out(listing))

    @guarded
    async def MarkListingSold(self, request: pb.MarkListingSoldRequest, context: Context) -> Any:
        listing = await catalog.mark_sold(
            self._deps, listing_id=tr.required("listing_id", request.listing_id)
        )
        return pb.MarkListingSoldResponse(listing=tr.listing_out(listing))

    @guarded
    async def DeleteListing(self, request: pb.DeleteListingRequest, context: Context) -> Any:
        await catalog.delete_listing(
            self._deps, listing_id=tr.required("listing_id", request.listing_id)
        )
        return pb.DeleteListingResponse()

    @guarded
    async def IssuePageToken(self, request: pb.IssuePageTokenRequest, context: Context) -> Any:
        page_id = tr.required("page_id", request.page_id)
        token = await pages.issue_page_token(self._deps, page_id=page_id)
        return pb.IssuePageTokenResponse(page_id=page_id, access_token=token)

    @guarded
    async def ReportTokenInvalid(
        self, request: pb.ReportTokenInvalidRequest, context: Context
    ) -> Any:
        page = await pages.report_token_invalid(
            self._deps, page_id=tr.required("page_id", request.page_id), reason=request.reason
        )
        return pb.ReportTokenInvalidResponse(page=tr.page_out(page))

    @guarded
    async def DeleteUserData(self, request: pb.DeleteUserDataRequest, context: Context) -> Any:
        started = await deletion.delete_user_data(
            self._deps, user_id=tr.required("user_id", request.user_id)
        )
        code = started.confirmation_code
        return pb.DeleteUserDataResponse(
            confirmation_code=code, status_url=deletion.status_url(self._deps, code)
        )

    @guarded
    async def GetDeletionStatus(
        self, request: pb.GetDeletionStatusRequest, context: Context
    ) -> Any:
        code = tr.required("confirmation_code", request.confirmation_code)
        found = await deletion.get_deletion(self._deps, code=code)
        return pb.GetDeletionStatusResponse(
            deletion=tr.deletion_out(found, deletion.status_url(self._deps, code))
        )


def _switch(switch: KillSwitch) -> dict[str, Any]:
    return {
        "engaged": switch.engaged,
        "reason": switch.reason,
        "changed_at": tr.timestamp(switch.changed_at),
    }


def tenant_service(deps: Deps) -> GrpcService[TenantApi]:
    """The API as the kit's build_server takes it."""
    descriptor = pb.DESCRIPTOR.services_by_name["TenantService"]
    return GrpcService(
        TenantApi(deps), tenants_pb2_grpc.add_TenantServiceServicer_to_server, descriptor
    )
