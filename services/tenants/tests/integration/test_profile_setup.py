"""A newly connected Page gets its Messenger profile set up through delivery (a gRPC server
on a real socket plays delivery); a failure stays pending and is tried again."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from parley.delivery.v1 import delivery_pb2 as dpb
from parley.delivery.v1 import delivery_pb2_grpc
from parley.tenants.v1 import tenants_pb2 as pb
from parley_emulator.testing import PAGE_ID
from parley_kit.errors import FailedPrecondition
from parley_kit.grpc_auth import CallerAuthInterceptor, require_caller
from parley_kit.grpc_server import GrpcServer, GrpcService, build_server
from parley_tenants.adapters.delivery import DeliveryProfiles
from parley_tenants.service_layer import pages

from .conftest import Service

pytestmark = pytest.mark.integration
TOKEN = "tenants-token-for-delivery-0123"


@dataclass
class FakeDelivery(delivery_pb2_grpc.DeliveryServiceServicer):
    """Records set-up requests; refuses the first `failures` of them."""

    failures: int = 0
    requests: list[dpb.SetUpPageProfileRequest] = field(default_factory=list)

    async def SetUpPageProfile(  # noqa: N802 - generated name
        self, request: dpb.SetUpPageProfileRequest, context: Any
    ) -> dpb.SetUpPageProfileResponse:
        require_caller("tenants")
        self.requests.append(request)
        if self.failures:
            self.failures -= 1
            raise FailedPrecondition("the Messenger Profile API rate limit is used up")
        return dpb.SetUpPageProfileResponse(applied=True)


@pytest.fixture
async def delivery() -> AsyncIterator[tuple[FakeDelivery, GrpcServer]]:
    fake = FakeDelivery()
    service = GrpcService(
        fake,
        delivery_pb2_grpc.add_DeliveryServiceServicer_to_server,
        dpb.DESCRIPTOR.services_by_name["DeliveryService"],
    )
    server = build_server(
        [service], address="127.0.0.1:0", auth=CallerAuthInterceptor({TOKEN: "tenants"})
    )
    await server.start()
    try:
        yield fake, server
    finally:
        await server.stop(0)


async def test_a_connected_page_s_profile_is_set_up_once_delivery_answers(
    service: Service, delivery: tuple[FakeDelivery, GrpcServer]
) -> None:
    fake, server = delivery
    fake.failures = 1
    profiles = DeliveryProfiles(f"127.0.0.1:{server.port}", TOKEN, timeout_s=5)
    deps = dataclasses.replace(service.tenants.deps, profiles=profiles)
    try:
        seller_id = await service.create_seller()
        [page] = (await service.onboard(seller_id)).pages
        assert page.profile_setup_pending
        assert await pages.set_up_profiles(deps) == {"set_up": 0, "failed": 1, "skipped": 0}
        assert await pages.set_up_profiles(deps) == {"set_up": 1, "failed": 0, "skipped": 0}
        assert await pages.set_up_profiles(deps) == {"set_up": 0, "failed": 0, "skipped": 0}
    finally:
        await profiles.close()
    [first, second] = fake.requests
    assert first == second and first.page_id == PAGE_ID
    assert list(first.settings.languages) == ["en"] and first.settings.page_name == "Test Shop"
    assert first.settings.human_takeover_enabled
    got = (await service.stub().GetPage(pb.GetPageRequest(page_id=PAGE_ID))).page
    assert not got.profile_setup_pending


async def test_without_delivery_the_profile_stays_pending(service: Service) -> None:
    seller_id = await service.create_seller()
    await service.onboard(seller_id)
    assert await pages.set_up_profiles(service.tenants.deps) == {
        "set_up": 0,
        "failed": 0,
        "skipped": 0,
    }
    await asyncio.sleep(0)
    got = (await service.stub().GetPage(pb.GetPageRequest(page_id=PAGE_ID))).page
    assert got.profile_setup_pending
