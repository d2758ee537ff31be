"""`parley gateway serve`: run the webhook gateway (and the seller dashboard);
`parley gateway login-link --seller ID`: print a seller's dashboard sign-in link."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys

import uvicorn

from parley.tenants.v1 import tenants_pb2 as pb
from parley_gateway.adapters.calls import Refused, Unavailable
from parley_gateway.adapters.tenants import TenantsClient
from parley_gateway.bootstrap import build_app
from parley_gateway.dashboard.app import login_url
from parley_gateway.dashboard.auth import Signer
from parley_gateway.settings import DashboardSettings, GatewaySettings
from parley_kit.logs import configure_logging
from parley_kit.secrets import Secret
from parley_kit.settings import Env, SettingsError
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


async def _seller_problem(address: str, token: Secret, seller_id: str) -> str:
    """Why no link should be made for this seller ("" when it may)."""
    tenants = TenantsClient(address, token.reveal() or None)
    try:
        seller = await tenants.seller(seller_id)
    except Refused as exc:
        return f"no seller {seller_id!r}: {exc.details}"
    except Unavailable as exc:
        return f"cannot ask tenants whether the seller exists ({exc}); --no-check signs anyway"
    finally:
        await tenants.close()
    if seller.status == pb.SELLER_STATUS_DELETED:
        return f"seller {seller_id!r} was deleted"
    return ""


def login_link(seller_id: str, ttl_s: int | None, check: bool) -> int:
    """Print a signed, expiring sign-in link to the seller's dashboard."""
    env = Env()
    dashboard = DashboardSettings.read(env)
    tenants_address = env.text("PARLEY_TENANTS_ADDR", "127.0.0.1:50051")
    tenants_token = env.secret("PARLEY_TENANTS_TOKEN", Secret(""))
    try:
        env.check()
        dashboard.validate()
    except SettingsError as exc:
        sys.stderr.write(f"parley gateway: {exc}\n")
        return 2
    if not dashboard.enabled:
        sys.stderr.write("parley gateway: PARLEY_DASHBOARD_SECRET is required to sign links\n")
        return 2
    if check:
        problem = asyncio.run(_seller_problem(tenants_address, tenants_token, seller_id))
        if problem:
            sys.stderr.write(f"parley gateway: {problem}\n")
            return 1
    signer = Signer(dashboard.secret.reveal().encode())
    ttl = ttl_s or dashboard.login_ttl_s
    sys.stdout.write(login_url(signer, dashboard.public_url, seller_id, ttl) + "\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parley gateway", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="serve webhooks (configuration from the environment)")
    link = sub.add_parser(
        "login-link",
        help="print a seller's dashboard sign-in link (PARLEY_DASHBOARD_SECRET, PARLEY_PUBLIC_URL)",
    )
    link.add_argument("--seller", required=True, help="the seller's id")
    link.add_argument(
        "--ttl",
        type=int,
        default=None,
        help="seconds it stays valid (PARLEY_DASHBOARD_LOGIN_TTL_S)",
    )
    link.add_argument(
        "--no-check", action="store_true", help="sign without asking tenants about the seller"
    )
    return parser


def main(argv: list[str]) -> int:
    """Entry point of `parley gateway`."""
    args = _parser().parse_args(argv)
    if args.command == "login-link":
        return login_link(args.seller, args.ttl, not args.no_check)
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
