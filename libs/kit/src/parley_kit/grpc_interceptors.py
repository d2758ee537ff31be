"""Server interceptors that wrap every RPC: tracing, and mapping domain errors to status codes."""

from __future__ import annotations

import abc
import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeAlias, cast

import asyncpg
import grpc
from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from parley_kit.errors import DomainError, status_code_for

if TYPE_CHECKING:
    _ServerInterceptor = grpc.aio.ServerInterceptor[Any, Any]
else:
    _ServerInterceptor = grpc.aio.ServerInterceptor

_log = logging.getLogger(__name__)

# Strings: the grpc classes are generic only in the stubs.
Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"
Behavior: TypeAlias = Callable[..., Any]
Guard: TypeAlias = "Callable[[Context], AbstractAsyncContextManager[None]]"

TRACER_NAME = "parley_kit.grpc"
# Probes and tooling: neither authenticated nor traced.
EXEMPT_SERVICES = frozenset(
    {
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
        "grpc.reflection.v1.ServerReflection",
    }
)
# Server span status per the OpenTelemetry gRPC semantic conventions: only these codes are
# server errors; the others are the caller's mistakes and leave the span status unset.
_SERVER_ERRORS = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    }
)
_DEPENDENCY_DOWN = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})
_DATABASE_DOWN = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, ConnectionError)
_DATA_ERROR = "a value cannot be stored: a text holds a NUL character or a number is out of range"


def split_method(method: str) -> tuple[str, str]:
    """`/package.Service/Method` -> (`package.Service`, `Method`)."""
    service, _, name = method.lstrip("/").partition("/")
    return service, name


def is_exempt(method: str) -> bool:
    """Whether the method belongs to health checking or reflection."""
    return split_method(method)[0] in EXEMPT_SERVICES


def text_metadata(metadata: Iterable[tuple[str, str | bytes]] | None) -> dict[str, str]:
    """The text (non `-bin`) entries of gRPC metadata, as a dict (last value wins)."""
    return {key: value for key, value in metadata or () if isinstance(value, str)}


def rpc_attributes(method: str) -> dict[str, str]:
    """The rpc.* span attributes of a method."""
    service, name = split_method(method)
    return {"rpc.system": "grpc", "rpc.service": service, "rpc.method": name}


def set_span_status(span: Span, code: grpc.StatusCode, kind: SpanKind) -> None:
    """Record the gRPC status on a span, marking it an error as the conventions say."""
    span.set_attribute("rpc.grpc.status_code", code.value[0])
    if code is grpc.StatusCode.OK:
        return
    if kind is SpanKind.CLIENT or code in _SERVER_ERRORS:
        span.set_status(Status(StatusCode.ERROR, code.name))


class GuardingInterceptor(_ServerInterceptor, metaclass=abc.ABCMeta):
    """Runs every non-exempt RPC inside the async context manager `guard` returns."""

    @abc.abstractmethod
    def guard(self, details: grpc.HandlerCallDetails) -> Guard:
        """The guard for one call, given its method and metadata."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Any],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler:
        handler = cast("Handler | None", await continuation(handler_call_details))
        if handler is None or is_exempt(handler_call_details.method):
            # None: no such method, and grpc answers UNIMPLEMENTED itself.
            return cast("Handler", handler)
        return wrap_handler(handler, self.guard(handler_call_details))


def wrap_handler(handler: Handler, guard: Guard) -> Handler:
    """The same method handler, its behaviour run inside `guard`."""
    kinds: tuple[tuple[Behavior | None, Callable[..., Handler], Callable[..., Behavior]], ...] = (
        (handler.unary_unary, grpc.unary_unary_rpc_method_handler, _wrap_unary),
        (handler.stream_unary, grpc.stream_unary_rpc_method_handler, _wrap_unary),
        (handler.unary_stream, grpc.unary_stream_rpc_method_handler, _wrap_streaming),
        (handler.stream_stream, grpc.stream_stream_rpc_method_handler, _wrap_streaming),
    )
    for behavior, factory, wrap in kinds:
        if behavior is not None:
            return factory(
                wrap(behavior, guard),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
    return handler


def _wrap_unary(behavior: Behavior, guard: Guard) -> Behavior:
    async def guarded(request: Any, context: Context) -> Any:
        async with guard(context):
            result = behavior(request, context)
            return (await result) if inspect.isawaitable(result) else result

    return guarded


def _wrap_streaming(behavior: Behavior, guard: Guard) -> Behavior:
    if inspect.isasyncgenfunction(behavior):

        async def guarded_generator(request: Any, context: Context) -> AsyncIterator[Any]:
            async with guard(context):
                async for response in behavior(request, context):
                    yield response

        return guarded_generator

    async def guarded_writer(request: Any, context: Context) -> None:
        # The reader/writer form: the handler calls context.write() and returns None.
        async with guard(context):
            result = behavior(request, context)
            if not inspect.isawaitable(result):
                raise TypeError(f"streaming handler {behavior!r} must be async")
            await result

    return guarded_writer


class ErrorMappingInterceptor(GuardingInterceptor):
    """Domain errors become their status code; anything else INTERNAL, logged, details hidden."""

    def guard(self, details: grpc.HandlerCallDetails) -> Guard:
        method = details.method

        @asynccontextmanager
        async def map_errors(context: Context) -> AsyncIterator[None]:
            try:
                yield
            except grpc.aio.AbortError:
                raise
            except DomainError as exc:
                await context.abort(status_code_for(exc), exc.message)
            except NotImplementedError:
                # What the generated servicer base classes raise for methods left out.
                await context.abort(grpc.StatusCode.UNIMPLEMENTED, "method not implemented")
            except grpc.aio.AioRpcError as exc:
                await _abort_on_downstream(context, method, exc)
            except asyncpg.DataError as exc:
                # SQLSTATE class 22: a value the database cannot hold (a NUL character, a number
                # out of range): the caller's input, not our fault.
                _log.info("%s refused a value: %s", method, type(exc).__name__)
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, _DATA_ERROR)
            except _DATABASE_DOWN:
                _log.exception("database unavailable in %s", method)
                await context.abort(grpc.StatusCode.UNAVAILABLE, "the database is unavailable")
            except Exception:
                _log.exception("unhandled error in %s", method)
                await context.abort(grpc.StatusCode.INTERNAL, "internal error")

        return map_errors


async def _abort_on_downstream(context: Context, method: str, exc: grpc.aio.AioRpcError) -> None:
    """A failed call to another service: UNAVAILABLE when it is down (callers may retry)."""
    _log.error("call to another service failed in %s: %s", method, exc.code().name)
    if exc.code() in _DEPENDENCY_DOWN:
        await context.abort(grpc.StatusCode.UNAVAILABLE, "a dependency is unavailable")
    await context.abort(grpc.StatusCode.INTERNAL, "internal error")


class TracingServerInterceptor(GuardingInterceptor):
    """A SERVER span per RPC, child of the W3C trace context found in the call's metadata."""

    def __init__(self, tracer_provider: trace.TracerProvider | None = None) -> None:
        self._tracer = trace.get_tracer(TRACER_NAME, tracer_provider=tracer_provider)

    def guard(self, details: grpc.HandlerCallDetails) -> Guard:
        method = details.method
        parent = propagate.extract(text_metadata(details.invocation_metadata))
        tracer = self._tracer

        @asynccontextmanager
        async def traced(context: Context) -> AsyncIterator[None]:
            with tracer.start_as_current_span(
                method,
                context=parent,
                kind=SpanKind.SERVER,
                attributes=rpc_attributes(method),
                record_exception=False,
                set_status_on_exception=False,
            ) as span:
                code = grpc.StatusCode.UNKNOWN
                try:
                    yield
                    code = _status_of(context, grpc.StatusCode.OK)
                except grpc.aio.AbortError:
                    code = _status_of(context, grpc.StatusCode.UNKNOWN)
                    raise
                except (asyncio.CancelledError, GeneratorExit):
                    code = grpc.StatusCode.CANCELLED
                    raise
                except BaseException as exc:
                    span.record_exception(exc)
                    raise
                finally:
                    set_span_status(span, code, SpanKind.SERVER)

        return traced


def _status_of(context: Context, default: grpc.StatusCode) -> grpc.StatusCode:
    """The code the handler (or an abort) set on the call, else `default`."""
    code = context.code()
    return code if isinstance(code, grpc.StatusCode) else default
