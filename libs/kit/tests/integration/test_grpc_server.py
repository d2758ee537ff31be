"""The gRPC bootstrap over a real socket: health, reflection, auth, error mapping, tracing."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator, Iterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from parley.tenants.v1 import tenants_pb2, tenants_pb2_grpc
from parley_kit import errors
from parley_kit.grpc_auth import CallerAuthInterceptor, current_caller, require_caller
from parley_kit.grpc_client import open_channel
from parley_kit.grpc_server import GrpcServer, GrpcService, build_server, serve_until_signal

pytestmark = pytest.mark.integration

TENANTS = "parley.tenants.v1.TenantService"
GET_SELLER = f"/{TENANTS}/GetSeller"
TOKENS = {"delivery-token-0123456789": "delivery", "gateway-token-0123456789": "gateway"}
DELIVERY, GATEWAY = list(TOKENS)
RAISES: dict[str, errors.DomainError] = {
    "missing": errors.NotFound("no seller missing"),
    "bad": errors.InvalidArgument("seller id is malformed"),
    "paused": errors.FailedPrecondition("seller is paused"),
    "twice": errors.AlreadyExists("seller exists"),
    "denied": errors.PermissionDenied("not yours"),
    "anon": errors.Unauthenticated("who are you"),
}


class TenantsForTests(tenants_pb2_grpc.TenantServiceServicer):
    """GetSeller answers with the caller's name, or fails as the seller id says."""

    async def GetSeller(
        self, request: tenants_pb2.GetSellerRequest, context: object
    ) -> tenants_pb2.GetSellerResponse:
        if request.seller_id in RAISES:
            raise RAISES[request.seller_id]
        if request.seller_id == "boom":
            raise RuntimeError("password=hunter2 leaked from the database driver")
        if request.seller_id == "delivery-only":
            require_caller("delivery")
        seller = tenants_pb2.Seller(seller_id=request.seller_id, name=current_caller())
        return tenants_pb2.GetSellerResponse(seller=seller)


def tenants_service() -> GrpcService[TenantsForTests]:
    descriptor = tenants_pb2.DESCRIPTOR.services_by_name["TenantService"]
    # The stubs mark every method abstract; the generated class answers UNIMPLEMENTED instead.
    servicer = TenantsForTests()  # type: ignore[abstract]
    return GrpcService(servicer, tenants_pb2_grpc.add_TenantServiceServicer_to_server, descriptor)


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracer_provider(spans: InMemorySpanExporter) -> Iterator[TracerProvider]:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    yield provider
    provider.shutdown()


@pytest.fixture
async def server(tracer_provider: TracerProvider) -> AsyncIterator[GrpcServer]:
    built = build_server(
        [tenants_service()],
        address="127.0.0.1:0",
        auth=CallerAuthInterceptor(TOKENS),
        tracer_provider=tracer_provider,
    )
    await built.start()
    yield built
    await built.server.stop(None)


@pytest.fixture
async def channel(
    server: GrpcServer, tracer_provider: TracerProvider
) -> AsyncIterator[grpc.aio.Channel]:
    target = f"127.0.0.1:{server.port}"
    async with open_channel(target, caller_token=DELIVERY, tracer_provider=tracer_provider) as ch:
        yield ch


async def get_seller(
    server: GrpcServer, seller_id: str, *, token: str | None = DELIVERY
) -> tenants_pb2.GetSellerResponse:
    async with open_channel(f"127.0.0.1:{server.port}", caller_token=token) as ch:
        stub = tenants_pb2_grpc.TenantServiceStub(ch)
        return await stub.GetSeller(tenants_pb2.GetSellerRequest(seller_id=seller_id))


async def rpc_error(
    server: GrpcServer, seller_id: str, *, token: str | None = DELIVERY
) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await get_seller(server, seller_id, token=token)
    return caught.value


async def health_status(channel: grpc.aio.Channel, service: str) -> int:
    stub = health_pb2_grpc.HealthStub(channel)
    response = await stub.Check(health_pb2.HealthCheckRequest(service=service))
    return int(response.status)


# Health


async def test_health_is_not_serving_until_marked_serving(
    server: GrpcServer, channel: grpc.aio.Channel
) -> None:
    not_serving = health_pb2.HealthCheckResponse.NOT_SERVING
    assert await health_status(channel, "") == not_serving
    assert await health_status(channel, TENANTS) == not_serving

    await server.mark_serving()

    assert await health_status(channel, "") == health_pb2.HealthCheckResponse.SERVING
    assert await health_status(channel, TENANTS) == health_pb2.HealthCheckResponse.SERVING


async def test_health_needs_no_caller_token(server: GrpcServer) -> None:
    async with open_channel(f"127.0.0.1:{server.port}", caller_token=None) as ch:
        assert await health_status(ch, "") == health_pb2.HealthCheckResponse.NOT_SERVING


async def test_health_turns_not_serving_on_shutdown_before_the_server_stops(
    server: GrpcServer, channel: grpc.aio.Channel
) -> None:
    await server.mark_serving()
    watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=""))
    first = await watch.read()
    assert isinstance(first, health_pb2.HealthCheckResponse)
    assert first.status == health_pb2.HealthCheckResponse.SERVING
    stop, hooks_ran = asyncio.Event(), asyncio.Event()

    async def hook() -> None:
        hooks_ran.set()

    serving = asyncio.create_task(
        serve_until_signal(server, grace=0.5, on_shutdown=[hook], stop=stop, signals=())
    )
    stop.set()
    update = await asyncio.wait_for(watch.read(), timeout=5)

    assert isinstance(update, health_pb2.HealthCheckResponse)
    assert update.status == health_pb2.HealthCheckResponse.NOT_SERVING
    assert not hooks_ran.is_set()  # the server is still draining: hooks come after it stops
    await asyncio.wait_for(serving, timeout=5)
    assert hooks_ran.is_set()


async def test_sigterm_stops_the_server_then_runs_hooks_in_order(server: GrpcServer) -> None:
    calls: list[str] = []

    async def drain_bus() -> None:
        calls.append("drain")

    async def failing_hook() -> None:
        raise RuntimeError("drain timed out")

    async def close_pool() -> None:
        calls.append("close")

    serving = asyncio.create_task(
        serve_until_signal(server, grace=0.1, on_shutdown=[drain_bus, failing_hook, close_pool])
    )
    while signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:  # until the handler is installed
        await asyncio.sleep(0.01)
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(serving, timeout=5)

    assert calls == ["drain", "close"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await get_seller(server, "s1")
    assert caught.value.code() is grpc.StatusCode.UNAVAILABLE


# Reflection


async def test_reflection_lists_the_services(server: GrpcServer) -> None:
    async with open_channel(f"127.0.0.1:{server.port}", caller_token=None) as ch:
        stub = reflection_pb2_grpc.ServerReflectionStub(ch)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        responses = [r async for r in stub.ServerReflectionInfo(iter([request]))]

    names = {s.name for s in responses[0].list_services_response.service}
    assert names == {TENANTS, "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"}


# Caller authentication


async def test_a_known_token_makes_the_caller_visible_to_the_handler(server: GrpcServer) -> None:
    assert (await get_seller(server, "s1", token=DELIVERY)).seller.name == "delivery"
    assert (await get_seller(server, "s1", token=GATEWAY)).seller.name == "gateway"


@pytest.mark.parametrize("token", [None, "not-a-known-token", DELIVERY[:-1], DELIVERY + "x"])
async def test_a_missing_or_unknown_token_is_unauthenticated(
    server: GrpcServer, token: str | None
) -> None:
    error = await rpc_error(server, "s1", token=token)
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize("header", [DELIVERY, f"Basic {DELIVERY}", "Bearer", "Bearer  "])
async def test_a_malformed_authorization_header_is_unauthenticated(
    server: GrpcServer, header: str
) -> None:
    async with open_channel(f"127.0.0.1:{server.port}", caller_token=None) as ch:
        stub = tenants_pb2_grpc.TenantServiceStub(ch)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.GetSeller(
                tenants_pb2.GetSellerRequest(), metadata=[("authorization", header)]
            )
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_require_caller_denies_other_callers(server: GrpcServer) -> None:
    assert (await get_seller(server, "delivery-only", token=DELIVERY)).seller.name == "delivery"
    error = await rpc_error(server, "delivery-only", token=GATEWAY)
    assert error.code() is grpc.StatusCode.PERMISSION_DENIED
    assert "gateway" in (error.details() or "")


async def test_auth_disabled_on_purpose_lets_anyone_through(
    tracer_provider: TracerProvider,
) -> None:
    open_server = build_server(
        [tenants_service()],
        address="127.0.0.1:0",
        auth=CallerAuthInterceptor({}, auth_disabled=True),
        tracer_provider=tracer_provider,
    )
    await open_server.start()
    try:
        response = await get_seller(open_server, "delivery-only", token=None)
    finally:
        await open_server.server.stop(None)
    assert response.seller.name == "anonymous"


# Errors


@pytest.mark.parametrize("seller_id", list(RAISES))
async def test_domain_errors_become_their_status_code(server: GrpcServer, seller_id: str) -> None:
    error = await rpc_error(server, seller_id)
    assert error.code() is errors.STATUS_CODES[type(RAISES[seller_id])]
    assert error.details() == RAISES[seller_id].message


async def test_an_unexpected_exception_is_internal_and_hides_its_message(
    server: GrpcServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="parley_kit.grpc_interceptors"):
        error = await rpc_error(server, "boom")

    assert error.code() is grpc.StatusCode.INTERNAL
    assert "hunter2" not in (error.details() or "") + (error.debug_error_string() or "")
    logged = [r for r in caplog.records if r.exc_info and GET_SELLER in r.getMessage()]
    assert len(logged) == 1
    assert "hunter2" in str(logged[0].exc_info[1])  # type: ignore[index]


async def test_a_method_the_service_leaves_out_is_unimplemented(
    channel: grpc.aio.Channel, caplog: pytest.LogCaptureFixture
) -> None:
    stub = tenants_pb2_grpc.TenantServiceStub(channel)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CreateSeller(tenants_pb2.CreateSellerRequest())
    assert caught.value.code() is grpc.StatusCode.UNIMPLEMENTED
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# Tracing


async def test_the_server_span_is_a_child_of_the_client_span(
    channel: grpc.aio.Channel, spans: InMemorySpanExporter
) -> None:
    stub = tenants_pb2_grpc.TenantServiceStub(channel)
    await stub.GetSeller(tenants_pb2.GetSellerRequest(seller_id="s1"))

    by_kind = {span.kind: span for span in spans.get_finished_spans()}
    client, server = by_kind[SpanKind.CLIENT], by_kind[SpanKind.SERVER]
    assert client.name == server.name == GET_SELLER
    assert client.context is not None and server.context is not None
    assert server.context.trace_id == client.context.trace_id
    assert server.parent is not None and server.parent.span_id == client.context.span_id
    assert server.attributes is not None
    assert server.attributes["rpc.service"] == TENANTS
    assert server.attributes["rpc.method"] == "GetSeller"
    assert server.attributes["rpc.grpc.status_code"] == 0


@pytest.mark.parametrize(
    ("seller_id", "code", "server_status"),
    [
        ("boom", grpc.StatusCode.INTERNAL, StatusCode.ERROR),
        ("missing", grpc.StatusCode.NOT_FOUND, StatusCode.UNSET),
    ],
)
async def test_spans_record_the_status_code(
    channel: grpc.aio.Channel,
    spans: InMemorySpanExporter,
    seller_id: str,
    code: grpc.StatusCode,
    server_status: StatusCode,
) -> None:
    stub = tenants_pb2_grpc.TenantServiceStub(channel)
    with pytest.raises(grpc.aio.AioRpcError):
        await stub.GetSeller(tenants_pb2.GetSellerRequest(seller_id=seller_id))

    by_kind = {span.kind: span for span in spans.get_finished_spans()}
    server, client = by_kind[SpanKind.SERVER], by_kind[SpanKind.CLIENT]
    assert server.attributes is not None and client.attributes is not None
    assert server.attributes["rpc.grpc.status_code"] == code.value[0]
    assert client.attributes["rpc.grpc.status_code"] == code.value[0]
    assert server.status.status_code is server_status
    assert client.status.status_code is StatusCode.ERROR


async def test_health_checks_are_not_traced(
    channel: grpc.aio.Channel, spans: InMemorySpanExporter
) -> None:
    await health_status(channel, "")
    assert [s.kind for s in spans.get_finished_spans()] == [SpanKind.CLIENT]
