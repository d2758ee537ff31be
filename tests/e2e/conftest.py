"""The mesh as `make run` starts it: one `parley devstack run` process per test."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PARLEY = str(Path(sys.executable).parent / "parley")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mesh:
    process: subprocess.Popen[str]
    gateway: str
    emulator: str
    page_id: str
    buyer: str
    negotiation: str
    data: Path
    lines: list[str]
    analytics: str

    def token(self, caller: str) -> str:
        """A caller token `make run` keeps in the data folder."""
        return str(json.loads((self.data / "dev-secrets.json").read_text())[f"{caller}_token"])


@contextlib.contextmanager
def running_mesh(
    data: Path, database_url: str, nats_url: str, *extra: str, env: dict[str, str] | None = None
) -> Iterator[Mesh]:
    """`parley devstack run` on free ports until the block ends (then Ctrl-C)."""
    names = ("gateway", "emulator", "tenants", "negotiation", "delivery", "analytics")
    ports = {name: free_port() for name in names}
    args = [PARLEY, "devstack", "run", "--data-dir", str(data), *extra]
    for name, port in ports.items():
        args += [f"--{name}-port", str(port)]
    process = subprocess.Popen(
        args,
        env={
            **os.environ,
            **(env or {}),
            "PARLEY_DATABASE_URL": database_url,
            "PARLEY_NATS_URL": nats_url,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Generous: PostgreSQL, NATS and six processes start on two cores others may share.
        lines = _read_until(process, "Talk to the Page as a buyer:", timeout=180)
        command = _read_until(process, "emulator chat", timeout=5)[-1].split()
        page_id = command[command.index("--page") + 1]
        buyer = command[command.index("--psid") + 1]
        assert any(f"127.0.0.1:{ports['gateway']}" in line for line in lines)
        assert any("connected through Facebook login" in line for line in lines)
        yield Mesh(
            process,
            f"http://127.0.0.1:{ports['gateway']}",
            f"http://127.0.0.1:{ports['emulator']}",
            page_id,
            buyer,
            f"127.0.0.1:{ports['negotiation']}",
            data,
            lines,
            f"127.0.0.1:{ports['analytics']}",
        )
    finally:
        if process.poll() is None:
            # SIGTERM, not SIGINT: a shell running pytest in the background ignores SIGINT for
            # its children, and `parley devstack run` stops the same way on either.
            process.send_signal(signal.SIGTERM)
            process.wait(30)
        assert process.stdout is not None
        process.stdout.close()


@pytest.fixture
def mesh(tmp_path: Path, database_url: str, nats_url: str) -> Iterator[Mesh]:
    with running_mesh(tmp_path, database_url, nats_url) as started:
        yield started


def _read_until(process: subprocess.Popen[str], marker: str, timeout: float) -> list[str]:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        lines.append(line.rstrip())
        if marker in line:
            return lines
    raise AssertionError("mesh did not start:\n" + "\n".join(lines))
