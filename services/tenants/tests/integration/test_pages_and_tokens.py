"""Caller rights, token issue, pause and resume, the kill switch, token health and rotation."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from cryptography.fernet import Fernet

from parley.events.v1 import tenants_pb2 as events
from parley.tenants.v1 import tenants_pb2 as pb
from parley.tenants.v1.tenants_pb2_grpc import TenantServiceStub
from parley_emulator.testing import PAGE_ID, PAGE_TOKEN
from parley_kit.db import create_pool
from parley_kit.grpc_client import open_channel
from parley_tenants.adapters import pages_repo
from parley_tenants.adapters.crypto import TokenCipher, key_id
from parley_tenants.entrypoints.token_health import run_token_checks
from parley_tenants.service_layer import pages
from parley_tenants.service_layer.keys import rotate_keys

from .conftest import KEY_A, Service

pytestmark = pytest.mark.integration


async def connected(service: Service) -> str:
    seller_id = await service.create_seller()
    await service.onboard(seller_id)
    return str(seller_id)


async def issue(service: Service, caller: str = "delivery") -> str:
    answer = await service.stub(caller).IssuePageToken(pb.IssuePageTokenRequest(page_id=PAGE_ID))
    return str(answer.access_token)


async def refused(call: object) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call  # type: ignore[misc]
    error: grpc.aio.AioRpcError = raised.value
    return error


async def test_only_delivery_gets_a_page_token(service: Service) -> None:
    await connected(service)
    assert await issue(service) == PAGE_TOKEN
    for caller in ("gateway", "negotiation", "operator"):
        error = await refused(issue(service, caller))
        assert error.code() is grpc.StatusCode.PERMISSION_DENIED


async def test_a_caller_without_credentials_or_with_unknown_ones_is_unauthenticated(
    service: Service,
) -> None:
    for token in (None, "not-a-known-token-at-all-0000"):
        async with open_channel(service.address, caller_token=token) as channel:
            error = await refused(
                TenantServiceStub(channel).GetPage(pb.GetPageRequest(page_id=PAGE_ID))
            )
        assert error.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_admin_writes_are_for_the_operator_only(service: Service) -> None:
    for caller in ("gateway", "negotiation", "delivery"):
        error = await refused(
            service.stub(caller).SetKillSwitch(pb.SetKillSwitchRequest(engaged=True, reason="x"))
        )
        assert error.code() is grpc.StatusCode.PERMISSION_DENIED
    error = await refused(
        service.stub("delivery").GetSellerSettings(pb.GetSellerSettingsRequest(seller_id="x"))
    )
    assert error.code() is grpc.StatusCode.PERMISSION_DENIED


async def test_a_paused_page_gets_no_token_until_resumed(service: Service) -> None:
    seller_id = await connected(service)
    paused = await service.stub().PausePage(pb.PausePageRequest(page_id=PAGE_ID, reason="holiday"))
    assert paused.page.status == pb.PAGE_STATUS_PAUSED
    error = await refused(issue(service))
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION and "paused" in str(error.details())
    await service.stub().ResumePage(pb.ResumePageRequest(page_id=PAGE_ID))
    assert await issue(service) == PAGE_TOKEN
    [(_, paused_event, _)] = await service.events("page_paused")
    [(_, resumed_event, _)] = await service.events("page_resumed")
    assert events.PagePaused.FromString(paused_event).reason == "holiday"
    assert events.PageResumed.FromString(resumed_event).seller_id == seller_id


async def test_pausing_a_seller_pauses_their_pages_and_resuming_restores_them(
    service: Service,
) -> None:
    seller_id = await connected(service)
    answer = await service.stub().PauseSeller(pb.PauseSellerRequest(seller_id=seller_id))
    assert answer.seller.status == pb.SELLER_STATUS_PAUSED
    assert [page.status for page in answer.pages] == [pb.PAGE_STATUS_PAUSED]
    assert (await refused(issue(service))).code() is grpc.StatusCode.FAILED_PRECONDITION
    answer = await service.stub().ResumeSeller(pb.ResumeSellerRequest(seller_id=seller_id))
    assert [page.status for page in answer.pages] == [pb.PAGE_STATUS_ACTIVE]
    assert await issue(service) == PAGE_TOKEN


async def test_the_kill_switch_stops_every_token(service: Service) -> None:
    await connected(service)
    await service.stub().SetKillSwitch(pb.SetKillSwitchRequest(engaged=True, reason="incident"))
    switch = await service.stub("negotiation").GetKillSwitch(pb.GetKillSwitchRequest())
    assert switch.engaged and switch.reason == "incident"
    error = await refused(issue(service))
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION and "kill switch" in str(
        error.details()
    )
    await service.stub().SetKillSwitch(pb.SetKillSwitchRequest(engaged=False))
    assert await issue(service) == PAGE_TOKEN


async def test_a_reported_invalid_token_pauses_the_page_and_asks_for_reconnection(
    service: Service,
) -> None:
    seller_id = await connected(service)
    answer = await service.stub("delivery").ReportTokenInvalid(
        pb.ReportTokenInvalidRequest(page_id=PAGE_ID, reason="Graph 190/460")
    )
    assert answer.page.status == pb.PAGE_STATUS_NEEDS_RECONNECT
    await service.stub("delivery").ReportTokenInvalid(pb.ReportTokenInvalidRequest(page_id=PAGE_ID))
    error = await refused(service.stub().ResumePage(pb.ResumePageRequest(page_id=PAGE_ID)))
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    [(_, payload, _)] = await service.events("page_needs_reconnect")
    event = events.PageNeedsReconnect.FromString(payload)
    assert event.reconnect_url.startswith("https://parley.test/connect/c1.")
    link = event.reconnect_url.rsplit("/", 1)[1]
    dialog = await service.stub("gateway").GetOnboardingUrl(
        pb.GetOnboardingUrlRequest(connect_link=link)
    )
    assert "/dialog/oauth?" in dialog.url
    await service.onboard(seller_id)
    assert await issue(service) == PAGE_TOKEN


async def test_a_revoked_token_is_found_by_the_health_check(service: Service) -> None:
    seller_id = await connected(service)
    assert await pages.check_tokens(service.tenants.deps) == {
        "valid": 1,
        "invalid": 0,
        "unknown": 0,
        "subscribed": 0,
        "skipped": 0,
    }
    checked = (await service.stub().GetPage(pb.GetPageRequest(page_id=PAGE_ID))).page
    assert checked.HasField("token_checked_at")
    await service.emulator_op("POST", f"/pages/{PAGE_ID}/token", json={"action": "revoke"})
    stop = asyncio.Event()
    task = asyncio.create_task(run_token_checks(service.tenants.deps, interval_s=0.05, stop=stop))
    try:
        async with asyncio.timeout(5):
            while (await service.events("page_needs_reconnect")) == []:
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task
    page = (await service.stub().GetPage(pb.GetPageRequest(page_id=PAGE_ID))).page
    assert page.status == pb.PAGE_STATUS_NEEDS_RECONNECT and "invalid" in page.status_reason
    [(_, payload, headers)] = await service.events("page_needs_reconnect")
    event = events.PageNeedsReconnect.FromString(payload)
    assert (event.page_id, event.seller_id) == (PAGE_ID, seller_id)
    assert headers["Nats-Msg-Id"] == event.event_id


async def test_the_health_check_subscribes_pages_whose_subscription_failed(
    service: Service,
) -> None:
    fault = {"kind": "5xx", "paths": ["subscribed_apps"], "count": 1}
    await service.emulator_op("POST", "/faults", json=fault)
    seller_id = await service.create_seller()
    [page] = (await service.onboard(seller_id)).pages
    assert not page.webhooks_subscribed
    counts = await pages.check_tokens(service.tenants.deps)
    assert (counts["valid"], counts["subscribed"]) == (1, 1)
    page = (await service.stub().GetPage(pb.GetPageRequest(page_id=PAGE_ID))).page
    assert page.webhooks_subscribed
    listed = await service.emulator_op("GET", "/pages")
    [emulated] = [p for p in listed["data"] if p["id"] == PAGE_ID]  # type: ignore[union-attr]
    assert emulated["subscriptions"]  # type: ignore[index]


async def test_only_one_replica_runs_a_health_round_at_a_time(service: Service) -> None:
    await connected(service)
    async with service.tenants.pool.acquire() as other_replica:
        assert await pages_repo.try_lead(other_replica, "token-health")
        try:
            skipped = await pages.check_tokens(service.tenants.deps)
        finally:
            await pages_repo.stop_leading(other_replica, "token-health")
    assert skipped["skipped"] == 1 and skipped["valid"] == 0
    assert (await pages.check_tokens(service.tenants.deps))["valid"] == 1


async def test_the_health_check_marks_nothing_when_facebook_cannot_answer(
    service: Service,
) -> None:
    await connected(service)
    await service.emulator_op("POST", "/faults", json={"kind": "5xx", "paths": ["debug_token"]})
    assert await pages.check_tokens(service.tenants.deps) == {
        "valid": 0,
        "invalid": 0,
        "unknown": 1,
        "subscribed": 0,
        "skipped": 0,
    }
    page = (await service.stub().GetPage(pb.GetPageRequest(page_id=PAGE_ID))).page
    assert page.status == pb.PAGE_STATUS_ACTIVE


async def test_key_rotation_keeps_every_token_readable(
    service: Service, database_url: str, pg_schema: str
) -> None:
    await connected(service)
    key_b = Fernet.generate_key().decode()
    pool = await create_pool(database_url, pg_schema)
    try:
        assert await rotate_keys(pool, TokenCipher([key_b, KEY_A])) == 1
        assert await rotate_keys(pool, TokenCipher([key_b, KEY_A])) == 0
        raw = await pool.fetchrow("SELECT token_ciphertext, token_key_id FROM pages")
    finally:
        await pool.close()
    assert raw is not None and raw["token_key_id"] == key_id(key_b)
    assert TokenCipher([key_b]).decrypt(bytes(raw["token_ciphertext"])) == PAGE_TOKEN
    with pytest.raises(Exception, match="no configured key"):
        TokenCipher([KEY_A]).decrypt(bytes(raw["token_ciphertext"]))
