"""Integration fixtures: the emulator and a webhook receiver, each a real uvicorn server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from parley_emulator.http import async_client
from parley_emulator.persist import load
from parley_emulator.server import AppServer, EmulatorServer
from parley_emulator.testing import Harness, Receiver, seed
from parley_emulator.world import World


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    """The seeded emulator whose app posts webhooks to a recording receiver."""
    hook = Receiver()
    routes = [
        Route("/webhook", hook.handle, methods=["GET", "POST"]),
        Route("/deletion", hook.deletion, methods=["POST"]),
    ]
    receiver = AppServer(Starlette(routes=routes))
    await receiver.start()
    hook.url = f"{receiver.url}/webhook"
    world = World()
    load(world, seed(hook.url))
    server = EmulatorServer(world)
    await server.start()
    try:
        async with async_client(base_url=server.url) as client:
            yield Harness(server, client, hook)
    finally:
        await asyncio.gather(server.stop(), receiver.stop())
