"""`parley tenants ...`: serve, migrate, rotate-keys, and operator commands over gRPC."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from parley_kit.db import create_pool
from parley_kit.grpc_server import serve_until_signal
from parley_kit.logs import configure_logging
from parley_kit.migrations import migrate_command
from parley_kit.settings import DatabaseSettings, Env, SettingsError
from parley_kit.tracing import configure_tracing, shutdown_tracing
from parley_tenants import bootstrap
from parley_tenants.adapters.crypto import TokenCipher
from parley_tenants.entrypoints import operator_cli
from parley_tenants.service_layer.keys import rotate_keys
from parley_tenants.settings import TenantsSettings

log = logging.getLogger(__name__)


async def serve(settings: TenantsSettings) -> None:
    """Serve until SIGTERM or SIGINT."""
    tenants = await bootstrap.build(settings)
    await tenants.start()
    await serve_until_signal(tenants.server, grace=5.0, on_shutdown=[tenants.close])


def _serve(_: argparse.Namespace) -> int:
    settings = TenantsSettings.from_env()
    configure_logging("tenants", settings.db.log_level)
    # httpx logs every request line at INFO; our spans and Graph errors say what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    configure_tracing("parley-tenants")
    try:
        asyncio.run(serve(settings))
    finally:
        shutdown_tracing()
    return 0


def _database() -> DatabaseSettings:
    env = Env()
    settings = DatabaseSettings.read(env, "tenants")
    env.check()
    configure_logging("tenants", settings.log_level)
    return settings


def _migrate(_: argparse.Namespace) -> int:
    db = _database()
    return migrate_command(db.database_url.reveal(), db.schema, bootstrap.migrations_folder())


async def _rotate(db: DatabaseSettings, cipher: TokenCipher) -> int:
    pool = await create_pool(db.database_url.reveal(), db.schema, max_size=2)
    try:
        return await rotate_keys(pool, cipher)
    finally:
        await pool.close()


def _rotate_keys(_: argparse.Namespace) -> int:
    db = _database()
    env = Env()
    keys = env.csv("PARLEY_ENCRYPTION_KEYS")
    env.check()
    cipher = TokenCipher(keys)
    count = asyncio.run(_rotate(db, cipher))
    log.info("re-encrypted %d Page token(s) under key %s", count, cipher.current_key_id)
    sys.stdout.write(f"re-encrypted {count} token(s) under key {cipher.current_key_id}\n")
    return 0


def main(argv: list[str]) -> int:
    """Entry point of `parley tenants`."""
    parser = argparse.ArgumentParser(prog="parley tenants", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="serve the gRPC API (configuration from the environment)")
    sub.add_parser("migrate", help="apply the schema's pending migrations")
    sub.add_parser("rotate-keys", help="re-encrypt every Page token under the first key")
    operator_cli.add_commands(sub)
    args = parser.parse_args(argv)
    direct = {"serve": _serve, "migrate": _migrate, "rotate-keys": _rotate_keys}
    try:
        if args.command in direct:
            return direct[args.command](args)
        return operator_cli.run(args)
    except SettingsError as exc:
        sys.stderr.write(f"parley tenants: {exc}\n")
        return 2
