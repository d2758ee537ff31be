"""`parley emulator serve|chat`: run the Messenger emulator, or chat with a Page as a buyer."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from parley_emulator.persist import demo_seed, load, read_json
from parley_emulator.world import World

DEFAULT_PORT = 8090


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="parley emulator", description="A local Messenger platform: Graph API and buyers."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the emulator's HTTP server")
    serve.add_argument("--host", default=os.environ.get("PARLEY_EMULATOR_HOST", "127.0.0.1"))
    serve.add_argument(
        "--port", type=int, default=int(os.environ.get("PARLEY_EMULATOR_PORT", DEFAULT_PORT))
    )
    serve.add_argument("--seed", type=Path, help="seed file (JSON); default: the demo seed")
    serve.add_argument("--empty", action="store_true", help="start with nothing (no demo seed)")
    serve.add_argument("--state", type=Path, help="keep state in this file across restarts")
    serve.add_argument("--save-interval", type=float, default=5.0, help="seconds between saves")
    serve.add_argument(
        "--webhook-url",
        default=os.environ.get("PARLEY_EMULATOR_WEBHOOK_URL"),
        help="callback URL for every app (also settable at runtime)",
    )
    serve.add_argument("--send-rate", type=int, help="Send API calls per second per Page")
    chat = commands.add_parser("chat", help="type as a buyer, see the Page's replies")
    chat.add_argument("--page", required=True, help="Page id")
    chat.add_argument("--psid", required=True, help="the buyer's PSID (created if new)")
    chat.add_argument(
        "--url", default=os.environ.get("PARLEY_EMULATOR_URL", f"http://127.0.0.1:{DEFAULT_PORT}")
    )
    return parser


def build_world(args: argparse.Namespace) -> World:
    """The world to serve: the state file if it exists, else the seed (or the demo)."""
    world = World()
    if args.state is not None and args.state.exists():
        load(world, read_json(args.state))
    elif args.seed is not None:
        load(world, read_json(args.seed))
    elif not args.empty:
        load(world, demo_seed())
    if args.webhook_url:
        for app in world.apps.values():
            app.callback_url = args.webhook_url
    if args.send_rate:
        world.config.send_rate_per_page = args.send_rate
    return world


def _banner(world: World, host: str, port: int) -> str:
    url = f"http://{host}:{port}"
    lines = [f"Messenger emulator on {url} (Graph API under {url}/v21.0/...)"]
    for page in world.pages.values():
        lines.append(f"  Page {page.name!r} id={page.id} token={page.access_token}")
        buyers = [b for b in world.buyers.values() if b.page_id == page.id]
        if buyers:
            lines.append(
                f"    chat as a buyer: parley emulator chat --page {page.id} "
                f"--psid {buyers[0].psid} --url {url}"
            )
    for app in world.apps.values():
        lines.append(f"  App {app.name!r} id={app.id} webhook={app.callback_url or '(not set)'}")
    return "\n".join(lines) + "\n"


def _serve(args: argparse.Namespace) -> int:
    from parley_emulator.server import run

    try:
        world = build_world(args)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        sys.stderr.write(f"parley emulator: cannot load the seed or state: {exc}\n")
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # httpx logs every webhook POST at INFO; the emulator reports deliveries itself.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    sys.stdout.write(_banner(world, args.host, args.port))
    sys.stdout.flush()
    try:
        run(
            world,
            host=args.host,
            port=args.port,
            state_path=args.state,
            save_interval_s=args.save_interval,
        )
    except KeyboardInterrupt:
        # uvicorn re-raises SIGINT after its graceful shutdown; the state is saved by then.
        pass
    return 0


def _chat(args: argparse.Namespace) -> int:
    from parley_emulator.chat import run_terminal_chat

    try:
        return asyncio.run(run_terminal_chat(args.url, args.page, args.psid))
    except KeyboardInterrupt:
        sys.stdout.write("\nbye\n")
        return 0


def main(argv: list[str]) -> int:
    """Entry point of `parley emulator ...`."""
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    return _chat(args)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
