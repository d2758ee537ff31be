"""serve_app: a real socket whose connections send small responses at once (TCP_NODELAY)."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

from parley_testkit.asgi import serve_app

pytestmark = pytest.mark.integration


class NodelayProbe:
    """An ASGI app answering whether Nagle's algorithm is off on the connection it serves."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        # uvicorn's `send` is a method of the request cycle, which holds the connection.
        sock = send.__self__.transport.get_extra_info("socket")
        nodelay = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(nodelay).encode()})


async def test_connections_to_the_app_have_nagle_off() -> None:
    async with serve_app(NodelayProbe()) as url, httpx.AsyncClient() as client:
        answer = await client.get(url)
    assert answer.status_code == 200
    assert answer.text == "1", "TCP_NODELAY is off: every two-part response waits ~40 ms"
