"""Running the emulator under uvicorn: as the CLI's process, or inside a running loop."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Generator
from pathlib import Path
from types import TracebackType
from typing import Self

import uvicorn
from starlette.types import ASGIApp

from parley_emulator.app import create_app, emulator_of
from parley_emulator.context import Emulator
from parley_emulator.world import World

GRACEFUL_SHUTDOWN_S = 2


def uvicorn_config(app: ASGIApp, host: str, port: int, *, fast: bool = True) -> uvicorn.Config:
    """One worker; uvloop and httptools when `fast`; no access log (it costs throughput)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="uvloop" if fast else "none",
        http="httptools",
        ws="none",
        lifespan="on",
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )


def run(
    world: World, *, host: str, port: int, state_path: Path | None, save_interval_s: float
) -> None:
    """Serve until SIGINT or SIGTERM (the state file, if any, is saved on the way out)."""
    app = create_app(world, state_path=state_path, save_interval_s=save_interval_s)
    # Every accepted send adds long-lived objects; collecting young objects less often
    # keeps full-heap pauses out of the Send API's tail latency.
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    uvicorn.Server(uvicorn_config(app, host, port)).run()


class _EmbeddedServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.stop_requested = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # Inside a test's loop the signals belong to the test runner.
        yield

    async def main_loop(self) -> None:
        # Wake on request rather than polling every 0.1 s: tests start and stop many servers.
        counter = 0
        while not self.should_exit:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop_requested.wait(), 1.0)
            counter += 1
            self.should_exit = self.stop_requested.is_set() or await self.on_tick(counter)


class AppServer:
    """Any ASGI app on a free localhost port inside the running loop, over real sockets."""

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        config = uvicorn_config(app, host, port, fast=False)
        self._server = _EmbeddedServer(config)
        self._task: asyncio.Task[None] | None = None
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        """The base URL, e.g. `http://127.0.0.1:43121`."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Start serving and wait until the socket listens."""
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("the server stopped during start-up")
            await asyncio.sleep(0.005)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop serving (runs the app's lifespan shutdown)."""
        if self._task is None:
            return
        self._server.stop_requested.set()
        await self._task
        self._task = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


class EmulatorServer(AppServer):
    """The emulator on a free localhost port inside the running loop (tests, dev tools)."""

    def __init__(
        self,
        world: World | None = None,
        *,
        state_path: Path | None = None,
        save_interval_s: float = 5.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.app = create_app(world, state_path=state_path, save_interval_s=save_interval_s)
        super().__init__(self.app, host=host, port=port)

    @property
    def emulator(self) -> Emulator:
        """The server's parts (world, dispatcher, faults...)."""
        return emulator_of(self.app)

    @property
    def world(self) -> World:
        """The server's state."""
        return self.emulator.world
