"""`parley analytics ...`: serve, migrate, and report (an operator's report over gRPC)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from parley_analytics import bootstrap
from parley_analytics.entrypoints import operator_cli
from parley_analytics.settings import AnalyticsSettings
from parley_kit.grpc_server import serve_until_signal
from parley_kit.logs import configure_logging
from parley_kit.migrations import migrate_command
from parley_kit.settings import DatabaseSettings, Env, SettingsError
from parley_kit.tracing import configure_tracing, shutdown_tracing


async def serve(settings: AnalyticsSettings) -> None:
    """Serve until SIGTERM or SIGINT."""
    analytics = await bootstrap.build(settings)
    await analytics.start()
    await serve_until_signal(analytics.server, grace=5.0, on_shutdown=[analytics.close])


def _serve(_: argparse.Namespace) -> int:
    settings = AnalyticsSettings.from_env()
    configure_logging("analytics", settings.db.log_level)
    configure_tracing("parley-analytics")
    try:
        asyncio.run(serve(settings))
    finally:
        shutdown_tracing()
    return 0


def _migrate(_: argparse.Namespace) -> int:
    env = Env()
    db = DatabaseSettings.read(env, "analytics")
    env.check()
    configure_logging("analytics", db.log_level)
    return migrate_command(db.database_url.reveal(), db.schema, bootstrap.migrations_folder())


def main(argv: list[str]) -> int:
    """Entry point of `parley analytics`."""
    parser = argparse.ArgumentParser(prog="parley analytics", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="consume every event and serve the gRPC API")
    sub.add_parser("migrate", help="apply the schema's pending migrations")
    operator_cli.add_commands(sub)
    args = parser.parse_args(argv)
    commands = {"serve": _serve, "migrate": _migrate, "report": operator_cli.run}
    try:
        return commands[args.command](args)
    except SettingsError as exc:
        sys.stderr.write(f"parley analytics: {exc}\n")
        return 2
