"""gRPC aio server bootstrap: build (bind) separately from running, health, reflection, shutdown."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast

import grpc
from google.protobuf.descriptor import ServiceDescriptor
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from opentelemetry import trace

from parley_kit.grpc_auth import CallerAuthInterceptor
from parley_kit.grpc_interceptors import ErrorMappingInterceptor, TracingServerInterceptor

_log = logging.getLogger(__name__)

S = TypeVar("S")
ShutdownHook = Callable[[], Awaitable[object]]
ServerOptions = Sequence[tuple[str, Any]]
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
OVERALL = ""


class _AsyncHealth(Protocol):
    """What we use of grpc_health.v1.health.aio.HealthServicer (absent from the stubs)."""

    async def set(self, service: str, status: health_pb2.HealthCheckResponse.ServingStatus) -> None:
        """Set one service's status."""

    async def enter_graceful_shutdown(self) -> None:
        """NOT_SERVING for every service, for good."""


@dataclass(frozen=True)
class GrpcService(Generic[S]):
    """A servicer, the generated function that adds it to a server, and its descriptor."""

    servicer: S
    add_to_server: Callable[[S, grpc.aio.Server], None]
    descriptor: ServiceDescriptor

    @property
    def name(self) -> str:
        """The full service name, e.g. `parley.tenants.v1.TenantService`."""
        return self.descriptor.full_name


class GrpcServer:
    """A built, bound gRPC server; health says NOT_SERVING until `mark_serving()`."""

    def __init__(
        self, server: grpc.aio.Server, health: _AsyncHealth, port: int, names: Sequence[str]
    ) -> None:
        self.server = server
        self.port = port
        self.service_names = tuple(names)
        self._health = health

    async def start(self) -> None:
        """Start accepting calls, every service NOT_SERVING."""
        for name in (OVERALL, *self.service_names):
            await self._health.set(name, NOT_SERVING)
        await self.server.start()

    async def mark_serving(self) -> None:
        """Report SERVING: call once the dependencies (pool, bus) are connected."""
        for name in (OVERALL, *self.service_names):
            await self._health.set(name, SERVING)

    async def stop(self, grace: float) -> None:
        """Report NOT_SERVING, then stop, letting calls in flight finish for `grace` seconds."""
        await self._health.enter_graceful_shutdown()
        await self.server.stop(grace)


def _new_health_servicer() -> _AsyncHealth:
    # grpc_health.v1.health.aio is the asyncio servicer; the stubs do not declare it.
    return cast(_AsyncHealth, health.aio.HealthServicer())  # type: ignore[attr-defined]


def build_server(
    services: Sequence[GrpcService[Any]],
    *,
    address: str,
    auth: CallerAuthInterceptor,
    tracer_provider: trace.TracerProvider | None = None,
    options: ServerOptions = (),
) -> GrpcServer:
    """A server with the services, health, reflection and interceptors, bound to `address`.

    Bind `127.0.0.1:0` in tests and read `GrpcServer.port`.
    """
    server = grpc.aio.server(
        interceptors=[TracingServerInterceptor(tracer_provider), auth, ErrorMappingInterceptor()],
        options=list(options),
    )
    for service in services:
        service.add_to_server(service.servicer, server)
    health_servicer = _new_health_servicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = [service.name for service in services]
    reflection.enable_server_reflection(
        [*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
    )
    port = server.add_insecure_port(address)
    if port == 0:
        raise RuntimeError(f"could not bind gRPC server to {address}")
    return GrpcServer(server, health_servicer, port, names)


async def serve_until_signal(
    server: GrpcServer,
    *,
    grace: float,
    on_shutdown: Sequence[ShutdownHook] = (),
    stop: asyncio.Event | None = None,
    signals: Sequence[signal.Signals] = (signal.SIGTERM, signal.SIGINT),
) -> None:
    """Wait for SIGTERM/SIGINT (or `stop`); then NOT_SERVING, `stop(grace)`, and the hooks in order.

    The server must be started. Hooks run even if one fails (it is logged).
    """
    stop_event = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in signals:
        loop.add_signal_handler(sig, stop_event.set)
    try:
        await stop_event.wait()
        _log.info("shutting down the gRPC server on port %s", server.port)
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        await server.stop(grace)
        await run_shutdown_hooks(on_shutdown)


async def run_shutdown_hooks(hooks: Sequence[ShutdownHook]) -> None:
    """Await each hook in order; a failing hook is logged and the next one still runs."""
    for hook in hooks:
        try:
            await hook()
        except Exception:
            _log.exception("shutdown hook %r failed", hook)
