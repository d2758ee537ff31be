"""The `parley` command: dispatches `parley <tool> ...` to the package that registered <tool>."""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib.metadata import entry_points

GROUP = "parley.commands"


def _usage(names: list[str]) -> str:
    lines = ["usage: parley <command> [args...]", "", "commands:"]
    lines += [f"  {name}" for name in names]
    lines += ["", "`parley <command> --help` tells more."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the registered command named by the first argument."""
    args = sys.argv[1:] if argv is None else argv
    loaders = {ep.name: ep for ep in entry_points(group=GROUP)}
    if not args or args[0] in {"-h", "--help", "help"}:
        sys.stdout.write(_usage(sorted(loaders)))
        return 0
    entry = loaders.get(args[0])
    if entry is None:
        sys.stderr.write(f"parley: unknown command {args[0]!r}\n" + _usage(sorted(loaders)))
        return 2
    command: Callable[[list[str]], int] = entry.load()
    return command(args[1:])
