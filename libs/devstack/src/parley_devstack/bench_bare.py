"""A bare Starlette app that answers 200 to POST /webhook: the baseline of `make bench`."""

from __future__ import annotations

import argparse

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route


async def webhook(request: Request) -> Response:
    """Read the body and answer, nothing else."""
    await request.body()
    return PlainTextResponse("EVENT_RECEIVED")


def main() -> None:
    """Serve the baseline app on the given port, configured exactly as the gateway."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = Starlette(routes=[Route("/webhook", webhook, methods=["POST"])])
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        server_header=False,
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
