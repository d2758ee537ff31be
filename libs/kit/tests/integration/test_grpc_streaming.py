"""Streaming methods are guarded like unary ones: auth, caller contextvar, error mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest

from parley_kit import errors
from parley_kit.grpc_auth import CallerAuthInterceptor, current_caller
from parley_kit.grpc_client import open_channel
from parley_kit.grpc_server import GrpcServer, build_server

pytestmark = pytest.mark.integration

TOKENS = {"delivery-token-0123456789": "delivery", "gateway-token-0123456789": "gateway"}
DELIVERY, GATEWAY = list(TOKENS)


# No Parley proto streams yet: raw bytes handlers on a generic service.


async def caller_then_not_found(request: bytes, context: object) -> AsyncIterator[bytes]:
    yield current_caller().encode()
    raise errors.NotFound("no more")


async def writes_caller(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> None:
    await context.write(current_caller().encode())


async def joins_with_caller(requests: AsyncIterator[bytes], context: object) -> bytes:
    return b"+".join([current_caller().encode()] + [request async for request in requests])


async def echoes_with_caller(
    requests: AsyncIterator[bytes], context: object
) -> AsyncIterator[bytes]:
    async for request in requests:
        yield current_caller().encode() + b":" + request


@pytest.fixture
async def streaming_server() -> AsyncIterator[GrpcServer]:
    built = build_server([], address="127.0.0.1:0", auth=CallerAuthInterceptor(TOKENS))
    handlers = {
        "Generator": grpc.unary_stream_rpc_method_handler(caller_then_not_found),
        "Writer": grpc.unary_stream_rpc_method_handler(writes_caller),
        "Join": grpc.stream_unary_rpc_method_handler(joins_with_caller),
        "Echo": grpc.stream_stream_rpc_method_handler(echoes_with_caller),
    }
    built.server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler("test.Streams", handlers)]
    )
    await built.start()
    yield built
    await built.server.stop(None)


async def read_stream(
    server: GrpcServer, method: str, token: str | None
) -> tuple[list[bytes], grpc.StatusCode]:
    async with open_channel(f"127.0.0.1:{server.port}", caller_token=token) as ch:
        call = ch.unary_stream(f"/test.Streams/{method}", None, None)(b"")
        received: list[bytes] = []
        try:
            async for message in call:
                received.append(message)
        except grpc.aio.AioRpcError as exc:
            return received, exc.code()
        return received, await call.code()


@pytest.mark.parametrize("method", ["Generator", "Writer"])
async def test_streaming_methods_need_a_caller_token(
    streaming_server: GrpcServer, method: str
) -> None:
    assert await read_stream(streaming_server, method, None) == (
        [],
        grpc.StatusCode.UNAUTHENTICATED,
    )


async def test_streaming_methods_see_the_caller_and_map_errors(
    streaming_server: GrpcServer,
) -> None:
    generated = await read_stream(streaming_server, "Generator", GATEWAY)
    written = await read_stream(streaming_server, "Writer", DELIVERY)

    assert generated == ([b"gateway"], grpc.StatusCode.NOT_FOUND)
    assert written == ([b"delivery"], grpc.StatusCode.OK)


async def test_client_streaming_methods_are_guarded(streaming_server: GrpcServer) -> None:
    target = f"127.0.0.1:{streaming_server.port}"
    async with open_channel(target, caller_token=DELIVERY) as ch:
        joined = await ch.stream_unary("/test.Streams/Join", None, None)(iter([b"a", b"b"]))
        echoed = [m async for m in ch.stream_stream("/test.Streams/Echo", None, None)(iter([b"x"]))]
    async with open_channel(target, caller_token=None) as ch:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await ch.stream_unary("/test.Streams/Join", None, None)(iter([b"a"]))

    assert joined == b"delivery+a+b"
    assert echoed == [b"delivery:x"]
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED
