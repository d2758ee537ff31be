"""Onboarding through the emulator's real OAuth dialog: state, Pages, tokens, events."""

from __future__ import annotations

import io
import logging

import asyncpg
import grpc
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from parley.events.v1 import tenants_pb2 as events
from parley.tenants.v1 import tenants_pb2 as pb
from parley_emulator.testing import PAGE_ID, PAGE_TOKEN, USER_ID
from parley_kit.graph import WEBHOOK_FIELDS
from parley_kit.logs import JsonFormatter
from parley_tenants.domain.oauth_state import decode_state, encode_state

from .conftest import Service

pytestmark = pytest.mark.integration


async def test_a_seller_connects_a_page_through_the_login_dialog(
    service: Service, spans: InMemorySpanExporter
) -> None:
    seller_id = await service.create_seller()
    answer = await service.onboard(seller_id)
    [page] = answer.pages
    assert answer.seller_id == seller_id and page.page_id == PAGE_ID
    assert page.status == pb.PAGE_STATUS_ACTIVE and page.name == "Test Shop"
    assert page.profile_setup_pending and page.webhooks_subscribed
    listed = await service.emulator_op("GET", "/pages")
    data = listed["data"]
    assert isinstance(data, list)
    [emulated] = [p for p in data if p["id"] == PAGE_ID]
    subscribed = emulated["subscriptions"]
    assert isinstance(subscribed, dict)
    assert set(WEBHOOK_FIELDS) <= set(next(iter(subscribed.values())))
    seller = (await service.stub().GetSeller(pb.GetSellerRequest(seller_id=seller_id))).seller
    assert seller.facebook_user_id == USER_ID
    [(subject, payload, headers)] = await service.events("page_connected")
    event = events.PageConnected.FromString(payload)
    assert (event.seller_id, event.page_id, event.reconnected) == (seller_id, PAGE_ID, False)
    assert headers["Nats-Msg-Id"] == event.event_id and event.trace_context.traceparent


async def test_the_dialog_url_asks_for_the_messenger_scopes(service: Service) -> None:
    seller_id = await service.create_seller()
    url = (
        await service.stub().GetOnboardingUrl(pb.GetOnboardingUrlRequest(seller_id=seller_id))
    ).url
    assert "/v21.0/dialog/oauth?" in url
    assert (
        "pages_messaging%2Cpages_manage_metadata%2Cpages_show_list%2Cpages_read_engagement" in url
    )
    assert "redirect_uri=https%3A%2F%2Fparley.test%2Foauth%2Fcallback" in url


async def test_a_connect_link_starts_onboarding_for_its_seller_only(service: Service) -> None:
    seller_id = await service.create_seller()
    answer = await service.stub().GetConnectLink(pb.GetConnectLinkRequest(seller_id=seller_id))
    assert answer.url.startswith("https://parley.test/connect/c1.")
    link = answer.url.rsplit("/", 1)[1]
    gateway = service.stub("gateway")
    for _ in range(2):  # a link may be followed again until it expires
        url = (await gateway.GetOnboardingUrl(pb.GetOnboardingUrlRequest(connect_link=link))).url
        assert "/dialog/oauth?" in url
    other = await service.create_seller("Other Seller")
    forged = link.replace(seller_id, other)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await gateway.GetOnboardingUrl(pb.GetOnboardingUrlRequest(connect_link=forged))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as both:
        await gateway.GetOnboardingUrl(
            pb.GetOnboardingUrlRequest(seller_id=seller_id, connect_link=link)
        )
    assert both.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_a_forged_state_is_refused_as_invalid(service: Service) -> None:
    seller_id = await service.create_seller()
    code, state = await service.login(seller_id)
    version, nonce, _, expires, signature = state.split(".")
    forged = ".".join([version, nonce, "someone-else", expires, signature])
    for bad in (forged, state[:-2] + "xx", "not-a-state"):
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await service.stub("gateway").CompleteOnboarding(
                pb.CompleteOnboardingRequest(code=code, state=bad)
            )
        assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert "state" in (raised.value.details() or "")


async def test_a_well_signed_state_that_was_never_issued_is_refused(service: Service) -> None:
    seller_id = await service.create_seller()
    code, state = await service.login(seller_id)
    real = decode_state(state, service.tenants.deps.state_key, service.clock())
    invented = encode_state(
        type(real)("never-issued-nonce", real.seller_id, real.expires_at),
        service.tenants.deps.state_key,
    )
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await service.stub("gateway").CompleteOnboarding(
            pb.CompleteOnboardingRequest(code=code, state=invented)
        )
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_a_replayed_state_is_refused(service: Service) -> None:
    seller_id = await service.create_seller()
    code, state = await service.login(seller_id)
    request = pb.CompleteOnboardingRequest(code=code, state=state)
    await service.stub("gateway").CompleteOnboarding(request)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await service.stub("gateway").CompleteOnboarding(request)
    assert raised.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "already used" in (raised.value.details() or "")


async def test_a_stale_state_is_refused(service: Service) -> None:
    seller_id = await service.create_seller()
    code, state = await service.login(seller_id)
    service.clock.advance(minutes=11)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await service.stub("gateway").CompleteOnboarding(
            pb.CompleteOnboardingRequest(code=code, state=state)
        )
    assert raised.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "expired" in (raised.value.details() or "")


async def test_reconnecting_replaces_the_token_and_never_duplicates_the_page(
    service: Service,
) -> None:
    seller_id = await service.create_seller()
    first = (await service.onboard(seller_id)).pages[0]
    rotated = await service.emulator_op(
        "POST", f"/pages/{PAGE_ID}/token", json={"action": "rotate"}
    )
    second = (await service.onboard(seller_id)).pages[0]
    assert second.version > first.version
    listed = await service.stub().ListPages(pb.ListPagesRequest(seller_id=seller_id))
    assert [page.page_id for page in listed.pages] == [PAGE_ID]
    issued = await service.stub("delivery").IssuePageToken(
        pb.IssuePageTokenRequest(page_id=PAGE_ID)
    )
    assert issued.access_token == rotated["access_token"] != PAGE_TOKEN
    connected = [
        events.PageConnected.FromString(p) for _, p, _ in await service.events("page_connected")
    ]
    assert [event.reconnected for event in connected] == [False, True]


async def test_a_page_of_another_seller_is_not_taken_over(service: Service) -> None:
    await service.onboard(await service.create_seller("First"))
    second = await service.create_seller("Second")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await service.onboard(second)
    assert raised.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "another seller" in (raised.value.details() or "")
    page = (await service.stub().GetPage(pb.GetPageRequest(page_id=PAGE_ID))).page
    assert page.seller_id != second


async def test_the_token_is_unreadable_in_the_database_and_absent_from_logs_and_spans(
    service: Service, database_url: str, pg_schema: str, spans: InMemorySpanExporter
) -> None:
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(JsonFormatter("tenants"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        seller_id = await service.create_seller()
        await service.onboard(seller_id)
        await service.stub("delivery").IssuePageToken(pb.IssuePageTokenRequest(page_id=PAGE_ID))
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    conn = await asyncpg.connect(database_url)
    try:
        raw = await conn.fetchrow(
            f'SELECT token_ciphertext, token_key_id FROM "{pg_schema}".pages WHERE page_id = $1',
            PAGE_ID,
        )
    finally:
        await conn.close()
    assert raw is not None and PAGE_TOKEN.encode() not in bytes(raw[0])
    assert service.tenants.deps.cipher.decrypt(bytes(raw[0])) == PAGE_TOKEN
    logged = captured.getvalue()
    assert "graph" in logged.lower() or logged  # something was logged during onboarding
    assert PAGE_TOKEN not in logged
    for span in spans.get_finished_spans():
        assert PAGE_TOKEN not in f"{span.name} {dict(span.attributes or {})} {span.events}"


async def test_get_page_never_carries_the_token(service: Service) -> None:
    await service.onboard(await service.create_seller())
    page = await service.stub("gateway").GetPage(pb.GetPageRequest(page_id=PAGE_ID))
    assert PAGE_TOKEN.encode() not in page.SerializeToString()
