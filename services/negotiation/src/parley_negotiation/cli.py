"""`parley negotiation ...`: serve, migrate, and preview (the engine's dry run)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from parley_kit.grpc_server import serve_until_signal
from parley_kit.logs import configure_logging
from parley_kit.migrations import migrate_command
from parley_kit.settings import DatabaseSettings, Env, SettingsError
from parley_kit.tracing import configure_tracing, shutdown_tracing
from parley_negotiation import bootstrap, preview
from parley_negotiation.phrasing.llm import phraser_from_env
from parley_negotiation.settings import NegotiationSettings


async def serve(settings: NegotiationSettings) -> None:
    """Serve until SIGTERM or SIGINT."""
    env = Env()
    phraser = phraser_from_env(env)
    env.check()
    negotiation = await bootstrap.build(settings, phraser=phraser)
    await negotiation.start()
    await serve_until_signal(negotiation.server, grace=5.0, on_shutdown=[negotiation.close])


def _serve(_: argparse.Namespace) -> int:
    settings = NegotiationSettings.from_env()
    configure_logging("negotiation", settings.db.log_level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    configure_tracing("parley-negotiation")
    try:
        asyncio.run(serve(settings))
    finally:
        shutdown_tracing()
    return 0


def _migrate(_: argparse.Namespace) -> int:
    env = Env()
    db = DatabaseSettings.read(env, "negotiation")
    env.check()
    configure_logging("negotiation", db.log_level)
    return migrate_command(db.database_url.reveal(), db.schema, bootstrap.migrations_folder())


def _preview(_: argparse.Namespace) -> int:
    return preview.main(sys.stdin, sys.stdout)


def main(argv: list[str]) -> int:
    """Entry point of `parley negotiation`."""
    parser = argparse.ArgumentParser(prog="parley negotiation", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="consume inbound events and serve the gRPC API")
    sub.add_parser("migrate", help="apply the schema's pending migrations")
    sub.add_parser(
        "preview",
        help="dry-run buyer messages through a listing's rules (JSON on stdin, see README)",
    )
    args = parser.parse_args(argv)
    commands = {"serve": _serve, "migrate": _migrate, "preview": _preview}
    try:
        return commands[args.command](args)
    except SettingsError as exc:
        sys.stderr.write(f"parley negotiation: {exc}\n")
        return 2
