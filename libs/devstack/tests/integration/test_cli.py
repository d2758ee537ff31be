"""`parley devstack up`: prints the URLs, and its servers never outlive it."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from parley_devstack.servers import server_tempdir

pytestmark = pytest.mark.integration

UP = "import sys; from parley_devstack.cli import main; sys.exit(main(sys.argv[1:]))"


@pytest.fixture
def data_dir() -> Iterator[Path]:
    with server_tempdir("parley-test-", in_memory=True) as path:
        yield path


def listening(url: str) -> bool:
    address = urlsplit(url)
    try:
        with socket.create_connection((address.hostname or "", address.port or 0), timeout=1):
            return True
    except OSError:
        return False


def closed_within(urls: list[str], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while any(listening(url) for url in urls):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def read_exports(proc: subprocess.Popen[str]) -> dict[str, str]:
    assert proc.stdout is not None
    lines = [proc.stdout.readline() for _ in range(2)]
    pairs = (line.removeprefix("export ").strip().split("=", 1) for line in lines)
    return {name: value for name, value in pairs}


def start_up(data_dir: Path) -> subprocess.Popen[str]:
    env = {"PATH": "/usr/bin:/bin"}  # neither URL set: `up` starts both servers
    command = [sys.executable, "-c", UP, "up", "--data-dir", str(data_dir)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_up_prints_the_urls_and_stops_its_servers_on_a_signal(
    data_dir: Path, signum: signal.Signals
) -> None:
    with start_up(data_dir) as proc:
        exports = read_exports(proc)
        urls = [exports["PARLEY_DATABASE_URL"], exports["PARLEY_NATS_URL"]]
        assert urls[0].startswith("postgresql://postgres@127.0.0.1:")
        assert urls[1].startswith("nats://127.0.0.1:")
        assert all(listening(url) for url in urls)
        proc.send_signal(signum)
        assert proc.wait(timeout=30) == 0
    assert not any(listening(url) for url in urls)


def test_servers_die_with_a_killed_up(data_dir: Path) -> None:
    with start_up(data_dir) as proc:
        exports = read_exports(proc)
        proc.kill()
        proc.wait()
    assert closed_within(list(exports.values()), seconds=10)
