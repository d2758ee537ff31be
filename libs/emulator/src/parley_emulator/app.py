"""The ASGI app factory: Graph API routes, operator routes, lifespan (webhooks, state)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from parley_emulator import (
    graph_oauth,
    graph_pages,
    graph_routing,
    graph_send,
    operator_setup,
    operator_threads,
)
from parley_emulator.buyers import OperatorError
from parley_emulator.context import Emulator, build_emulator
from parley_emulator.errors import GraphError
from parley_emulator.faults import GraphMiddleware
from parley_emulator.persist import StateSaver
from parley_emulator.world import World

log = logging.getLogger("parley.emulator")
ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE"]


class GraphVersionConvertor(Convertor[str]):
    """A Graph API version in a path: `v21.0`, `v22.0`, ..."""

    regex = r"v[0-9]+(?:\.[0-9]+)?"

    def convert(self, value: str) -> str:
        """The version as written."""
        return value

    def to_string(self, value: str) -> str:
        """The version as written."""
        return value


register_url_convertor("gv", GraphVersionConvertor())


def create_app(
    world: World | None = None,
    *,
    state_path: Path | None = None,
    save_interval_s: float = 5.0,
) -> Starlette:
    """Build the emulator app; `app.state.emulator` holds its parts."""
    emu = build_emulator(world or World())
    routing_api, routing_routes = graph_routing.routes(emu)
    routes = [
        *graph_send.routes(emu),
        *operator_setup.routes(emu),
        *operator_threads.routes(emu, routing_api),
        *graph_oauth.routes(emu),
        *routing_routes,
        *graph_pages.routes(emu),
        Route("/{path:path}", _unknown_path, methods=ANY_METHOD),
    ]
    saver = StateSaver(emu.world, state_path, save_interval_s) if state_path else None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await emu.dispatcher.start()
        if saver is not None:
            saver.start()
        try:
            yield
        finally:
            await emu.dispatcher.stop()
            if saver is not None:
                await saver.stop()

    app = Starlette(
        routes=routes,
        middleware=[Middleware(GraphMiddleware, stats=emu.stats, faults=emu.faults)],
        exception_handlers={
            GraphError: _graph_error(emu),
            OperatorError: _operator_error,
            Exception: _unexpected,
        },
        lifespan=lifespan,
    )
    app.state.emulator = emu
    return app


Handler = Callable[[Request, Exception], Awaitable[Response]]


def _graph_error(emu: Emulator) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        error = exc if isinstance(exc, GraphError) else GraphError(1, "An unknown error occurred")
        emu.stats.count_error(error.code)
        return JSONResponse(error.body(), status_code=error.status)

    return handle


async def _unknown_path(request: Request) -> Response:
    if request.url.path.startswith(operator_setup.PREFIX):
        return JSONResponse({"error": f"no operator route {request.url.path}"}, status_code=404)
    raise GraphError(2500, f"Unknown path components: {request.url.path}")


async def _unexpected(request: Request, exc: Exception) -> Response:
    # A bug in the emulator still answers in Meta's shape (code 1, "unknown error").
    log.error("unexpected error on %s", request.url.path, exc_info=exc)
    error = GraphError(1, "An unknown error occurred", status=500, transient=True)
    return JSONResponse(error.body(), status_code=500)


async def _operator_error(request: Request, exc: Exception) -> Response:
    status = exc.status if isinstance(exc, OperatorError) else 400
    return JSONResponse({"error": str(exc)}, status_code=status)


def emulator_of(app: Starlette) -> Emulator:
    """The parts of an app built by `create_app`."""
    emu: Emulator = app.state.emulator
    return emu
