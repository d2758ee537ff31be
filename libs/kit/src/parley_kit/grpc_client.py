"""Client side of the gRPC kit: interceptors sending trace context and caller token; a channel."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import grpc
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

from parley_kit.grpc_auth import AUTHORIZATION
from parley_kit.grpc_interceptors import TRACER_NAME, rpc_attributes, set_span_status

if TYPE_CHECKING:
    _UnaryUnary = grpc.aio.UnaryUnaryClientInterceptor[Any, Any]
    _UnaryStream = grpc.aio.UnaryStreamClientInterceptor[Any, Any]
    _StreamUnary = grpc.aio.StreamUnaryClientInterceptor[Any, Any]
    _StreamStream = grpc.aio.StreamStreamClientInterceptor[Any, Any]
else:
    _UnaryUnary = grpc.aio.UnaryUnaryClientInterceptor
    _UnaryStream = grpc.aio.UnaryStreamClientInterceptor
    _StreamUnary = grpc.aio.StreamUnaryClientInterceptor
    _StreamStream = grpc.aio.StreamStreamClientInterceptor

# At run time grpc.aio hands interceptors a coroutine function that returns the call object
# (grpc/aio/_interceptor.py); the stubs declare it as returning the call directly.
Continuation = Callable[[grpc.aio.ClientCallDetails, Any], Awaitable[Any]]
ChannelOptions = Sequence[tuple[str, Any]]


def method_name(details: grpc.aio.ClientCallDetails) -> str:
    """The `/package.Service/Method` of a call (grpc.aio passes it as bytes)."""
    method: str | bytes = details.method
    return method.decode() if isinstance(method, bytes) else method


def with_metadata(
    details: grpc.aio.ClientCallDetails, entries: dict[str, str]
) -> grpc.aio.ClientCallDetails:
    """The same call details, with `entries` set in its metadata (replacing the same keys)."""
    metadata = grpc.aio.Metadata(*(details.metadata or ()))
    for key, value in entries.items():
        metadata[key] = value
    return grpc.aio.ClientCallDetails(
        details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
    )


Headers = Callable[[], dict[str, str]]


def outgoing_headers(caller_token: str | None) -> Headers:
    """The metadata to send with each call: the current W3C trace context and the caller token."""
    if caller_token is not None and not caller_token.strip():
        raise ValueError("empty caller token")
    authorization = None if caller_token is None else f"Bearer {caller_token}"

    def headers() -> dict[str, str]:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        if authorization is not None:
            carrier[AUTHORIZATION] = authorization
        return carrier

    return headers


# grpc.aio files each interceptor under the first call kind it subclasses (grpc/aio/_channel.py),
# so there is one class per kind.
class TracingUnaryUnaryInterceptor(_UnaryUnary):
    """A CLIENT span around each unary call, which carries the headers (and so the span)."""

    def __init__(
        self, headers: Headers, tracer_provider: trace.TracerProvider | None = None
    ) -> None:
        self._headers = headers
        self._tracer = trace.get_tracer(TRACER_NAME, tracer_provider=tracer_provider)

    async def intercept_unary_unary(
        self,
        continuation: Continuation,
        client_call_details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        method = method_name(client_call_details)
        with self._tracer.start_as_current_span(
            method, kind=SpanKind.CLIENT, attributes=rpc_attributes(method)
        ) as span:
            call = await continuation(with_metadata(client_call_details, self._headers()), request)
            # Waits for the call to finish without raising; the caller awaits the call itself.
            set_span_status(span, await call.code(), SpanKind.CLIENT)
            return call


class UnaryStreamHeadersInterceptor(_UnaryStream):
    """Sends the headers with each unary-stream call."""

    def __init__(self, headers: Headers) -> None:
        self._headers = headers

    async def intercept_unary_stream(  # type: ignore[override]
        self,
        continuation: Continuation,
        client_call_details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        return await continuation(with_metadata(client_call_details, self._headers()), request)


class StreamUnaryHeadersInterceptor(_StreamUnary):
    """Sends the headers with each stream-unary call."""

    def __init__(self, headers: Headers) -> None:
        self._headers = headers

    async def intercept_stream_unary(
        self,
        continuation: Continuation,
        client_call_details: grpc.aio.ClientCallDetails,
        request_iterator: Any,
    ) -> Any:
        details = with_metadata(client_call_details, self._headers())
        return await continuation(details, request_iterator)


class StreamStreamHeadersInterceptor(_StreamStream):
    """Sends the headers with each stream-stream call."""

    def __init__(self, headers: Headers) -> None:
        self._headers = headers

    async def intercept_stream_stream(  # type: ignore[override]
        self,
        continuation: Continuation,
        client_call_details: grpc.aio.ClientCallDetails,
        request_iterator: Any,
    ) -> Any:
        details = with_metadata(client_call_details, self._headers())
        return await continuation(details, request_iterator)


def client_interceptors(
    *, caller_token: str | None, tracer_provider: trace.TracerProvider | None = None
) -> list[Any]:
    """Interceptors for every call kind: trace context (a CLIENT span for unary calls) and token."""
    headers = outgoing_headers(caller_token)
    return [
        TracingUnaryUnaryInterceptor(headers, tracer_provider),
        UnaryStreamHeadersInterceptor(headers),
        StreamUnaryHeadersInterceptor(headers),
        StreamStreamHeadersInterceptor(headers),
    ]


def open_channel(
    target: str,
    *,
    caller_token: str | None,
    tracer_provider: trace.TracerProvider | None = None,
    options: ChannelOptions = (),
) -> grpc.aio.Channel:
    """An insecure channel that traces its calls and, given a token, authenticates as a caller."""
    interceptors = client_interceptors(caller_token=caller_token, tracer_provider=tracer_provider)
    return grpc.aio.insecure_channel(target, options=list(options), interceptors=interceptors)
