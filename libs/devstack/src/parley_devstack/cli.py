"""`parley devstack`: local PostgreSQL and NATS (`up`), or the whole mesh (`run`)."""

from __future__ import annotations

import argparse
import importlib
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path

from parley_devstack.stack import LocalStack, sigterm_as_keyboard_interrupt


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parley devstack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser(
        "up", help="start PostgreSQL and NATS (those not set in the environment) until Ctrl-C"
    )
    up.add_argument("--data-dir", type=Path, default=Path(".local"), help="default: ./.local")
    up.add_argument("--postgres-port", type=int, default=0, help="default: a free port")
    up.add_argument("--nats-port", type=int, default=0, help="default: a free port")
    commands.add_parser("run", help="run the whole mesh locally with the Messenger emulator")
    return parser


def main(argv: list[str]) -> int:
    """Entry point of `parley devstack`."""
    if argv[:1] == ["run"]:
        return _run(argv[1:])
    args = _parser().parse_args(argv)
    return _up(args.data_dir, postgres_port=args.postgres_port, nats_port=args.nats_port)


def _run(argv: list[str]) -> int:
    # Imported here: `run` pulls in the whole mesh, `up` needs none of it.
    module = importlib.import_module("parley_devstack.run")
    run_main: Callable[[list[str]], int] = module.main
    return run_main(argv)


def _up(data_dir: Path, *, postgres_port: int, nats_port: int) -> int:
    stack = LocalStack(data_dir.absolute(), postgres_port=postgres_port, nats_port=nats_port)
    try:
        with sigterm_as_keyboard_interrupt(), stack:
            for name, value in stack.env.items():
                sys.stdout.write(f"export {name}={shlex.quote(value)}\n")
            sys.stdout.flush()
            sys.stderr.write(f"devstack: up ({_what_runs(stack)}); Ctrl-C stops\n")
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        sys.stderr.write("devstack: stopped\n")
    return 0


def _what_runs(stack: LocalStack) -> str:
    started = [server.name for server in (stack.postgres, stack.nats) if server is not None]
    return "started " + ", ".join(started) if started else "nothing to start, both URLs are set"
