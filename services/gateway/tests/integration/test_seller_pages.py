"""OAuth callback and data-deletion pages, against a real gRPC server playing tenants."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field

import grpc
import httpx
import pytest

from parley.events.v1.inbound_pb2 import InboundEvent
from parley.tenants.v1 import tenants_pb2 as pb
from parley.tenants.v1 import tenants_pb2_grpc
from parley_gateway.adapters.tenants import TenantsClient
from parley_gateway.domain.signed_request import make_signed_request
from parley_gateway.entrypoints.http import WebhookConfig, create_app
from parley_gateway.metrics import GatewayMetrics
from parley_kit.errors import FailedPrecondition, NotFound
from parley_kit.grpc_auth import CallerAuthInterceptor, require_caller
from parley_kit.grpc_server import GrpcServer, GrpcService, build_server
from parley_testkit.asgi import serve_app

pytestmark = pytest.mark.integration
SECRET = b"pages-app-secret"
GATEWAY_TOKEN = "gateway-caller-token"


@dataclass
class FakeTenants(tenants_pb2_grpc.TenantServiceServicer):
    """Plays the tenants service: one good state, one stale, one known deletion."""

    deleted: list[str] = field(default_factory=list)

    async def CompleteOnboarding(  # noqa: N802 - generated name
        self, request: pb.CompleteOnboardingRequest, context: grpc.aio.ServicerContext
    ) -> pb.CompleteOnboardingResponse:
        require_caller("gateway")
        if request.state != "good-state":
            raise FailedPrecondition("this link has expired: ask for a new one")
        page = pb.Page(page_id="100200300400500", name="Dana's <Bikes>")
        return pb.CompleteOnboardingResponse(seller_id="s-1", pages=[page])

    async def GetOnboardingUrl(  # noqa: N802
        self, request: pb.GetOnboardingUrlRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetOnboardingUrlResponse:
        require_caller("gateway")
        if request.connect_link != "c1.good-link":
            raise FailedPrecondition("link: expired; ask for a new connect link")
        return pb.GetOnboardingUrlResponse(url="https://facebook.test/dialog/oauth?state=s1")

    async def DeleteUserData(  # noqa: N802
        self, request: pb.DeleteUserDataRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeleteUserDataResponse:
        require_caller("gateway")
        self.deleted.append(request.user_id)
        return pb.DeleteUserDataResponse(
            confirmation_code="DEL123", status_url="https://parley.example/deletion/DEL123"
        )

    async def GetDeletionStatus(  # noqa: N802
        self, request: pb.GetDeletionStatusRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetDeletionStatusResponse:
        if request.confirmation_code != "DEL123":
            raise NotFound("no such request")
        deletion = pb.DeletionRequest(
            confirmation_code="DEL123",
            status=pb.DELETION_STATUS_IN_PROGRESS,
            progress=["seller data removed", "other services told"],
        )
        return pb.GetDeletionStatusResponse(deletion=deletion)


class NoBus:
    async def publish(self, events: Sequence[InboundEvent], headers: Mapping[str, str]) -> int:
        return 0

    async def ready(self) -> bool:
        return True


@dataclass
class Stack:
    url: str
    http: httpx.AsyncClient
    tenants: FakeTenants
    server: GrpcServer


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    fake = FakeTenants()
    service = GrpcService(
        fake,
        tenants_pb2_grpc.add_TenantServiceServicer_to_server,
        pb.DESCRIPTOR.services_by_name["TenantService"],
    )
    auth = CallerAuthInterceptor({GATEWAY_TOKEN: "gateway"})
    server = build_server([service], address="127.0.0.1:0", auth=auth)
    await server.start()
    client = TenantsClient(f"127.0.0.1:{server.port}", GATEWAY_TOKEN, timeout_s=2)
    config = WebhookConfig(SECRET, b"verify", 1 << 20)
    app = create_app(config, NoBus(), GatewayMetrics(), tenants=client)
    try:
        async with serve_app(app) as url, httpx.AsyncClient(timeout=10) as http:
            yield Stack(url, http, fake, server)
    finally:
        await client.close()
        await server.stop(0)


async def test_connected_pages_are_listed_and_escaped(stack: Stack) -> None:
    params = {"code": "c0de", "state": "good-state"}
    response = await stack.http.get(f"{stack.url}/oauth/callback", params=params)
    assert response.status_code == 200
    assert "Pages connected" in response.text
    assert "Dana&#x27;s &lt;Bikes&gt;" in response.text
    assert "<Bikes>" not in response.text


async def test_a_connect_link_leads_to_the_login_dialog(stack: Stack) -> None:
    response = await stack.http.get(f"{stack.url}/connect/c1.good-link")
    assert response.status_code == 302
    assert response.headers["location"] == "https://facebook.test/dialog/oauth?state=s1"
    assert response.headers["cache-control"] == "no-store"


async def test_an_expired_connect_link_says_so(stack: Stack) -> None:
    response = await stack.http.get(f"{stack.url}/connect/c1.old-link")
    assert response.status_code == 400
    assert "link: expired" in response.text


async def test_a_stale_state_shows_the_reason(stack: Stack) -> None:
    params = {"code": "c0de", "state": "old"}
    response = await stack.http.get(f"{stack.url}/oauth/callback", params=params)
    assert response.status_code == 400
    assert "this link has expired" in response.text


async def test_a_cancelled_login_says_so(stack: Stack) -> None:
    params = {"error": "access_denied", "error_description": "Permissions error"}
    response = await stack.http.get(f"{stack.url}/oauth/callback", params=params)
    assert response.status_code == 400
    assert "Permissions error" in response.text


async def test_tenants_down_gives_503(stack: Stack) -> None:
    await stack.server.stop(0)
    params = {"code": "c0de", "state": "good-state"}
    response = await stack.http.get(f"{stack.url}/oauth/callback", params=params)
    assert response.status_code == 503


async def test_a_genuine_deletion_callback_starts_deletion(stack: Stack) -> None:
    signed = make_signed_request(
        {"algorithm": "HMAC-SHA256", "issued_at": 1_700_000_000, "user_id": "218471"}, SECRET
    )
    response = await stack.http.post(
        f"{stack.url}/facebook/data-deletion", data={"signed_request": signed}
    )
    assert response.status_code == 200
    assert response.json() == {
        "url": "https://parley.example/deletion/DEL123",
        "confirmation_code": "DEL123",
    }
    assert stack.tenants.deleted == ["218471"]


async def test_a_forged_deletion_callback_is_refused(stack: Stack) -> None:
    signed = make_signed_request(
        {"algorithm": "HMAC-SHA256", "issued_at": 1, "user_id": "218471"}, b"not-the-secret"
    )
    response = await stack.http.post(
        f"{stack.url}/facebook/data-deletion", data={"signed_request": signed}
    )
    assert response.status_code == 403
    assert stack.tenants.deleted == []


async def test_the_deletion_status_page_shows_progress(stack: Stack) -> None:
    response = await stack.http.get(f"{stack.url}/deletion/DEL123")
    assert response.status_code == 200
    assert "in progress" in response.text and "other services told" in response.text
    missing = await stack.http.get(f"{stack.url}/deletion/NOPE")
    assert missing.status_code == 404
