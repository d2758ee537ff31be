"""`parley gateway serve`: run the webhook gateway."""

from __future__ import annotations

import argparse
import gc
import logging
import sys

import uvicorn

from parley_gateway.bootstrap import build_app
from parley_gateway.settings import GatewaySettings
from parley_kit.logs import configure_logging
from parley_kit.settings import SettingsError
from parley_kit.tracing import configure_tracing, shutdown_tracing

log = logging.getLogger(__name__)


async def serve(settings: GatewaySettings) -> None:
    """Serve until SIGTERM or SIGINT; in-flight requests finish, then the bus drains."""
    app = build_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="none",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=10,
        server_header=False,
        proxy_headers=False,
    )
    server = uvicorn.Server(config)
    _tune_gc()
    log.info("gateway listening on http://%s:%d", settings.host, settings.port)
    await server.serve()


def _tune_gc() -> None:
    """Fewer, shorter collections: every request makes short-lived objects, and long-lived ones
    (modules, settings, the app) need not be scanned again and again."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def main(argv: list[str]) -> int:
    """Entry point of `parley gateway`."""
    parser = argparse.ArgumentParser(prog="parley gateway", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="serve webhooks (configuration from the environment)")
    parser.parse_args(argv)
    try:
        settings = GatewaySettings.from_env()
    except SettingsError as exc:
        sys.stderr.write(f"parley gateway: {exc}\n")
        return 2
    configure_logging("gateway", settings.log_level)
    configure_tracing("parley-gateway")
    try:
        import uvloop

        uvloop.run(serve(settings))
    finally:
        shutdown_tracing()
    return 0
