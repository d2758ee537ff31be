"""The mesh for the end-to-end benchmarks: every service as `make run` starts it, on private
PostgreSQL and NATS, delivery's pacing off; Pages and buyers in the emulator, connected the way
a seller connects them (Facebook login connects every Page the user manages); RSS per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parley_devstack._process import free_port, server_tempdir
from parley_devstack.bench_load import Target
from parley_devstack.run import (
    PARLEY,
    Mesh,
    Ports,
    facebook_env,
    gateway_env,
    http_json,
    start_analytics,
    start_delivery,
    start_gateway,
    start_negotiation,
    start_tenants,
    wait_until_ok,
)
from parley_devstack.run import dev_secrets as make_keys
from parley_devstack.stack import LocalStack

SELLER_USER = "1000000000000001"  # the demo seed's Facebook user: who logs in at the dialog
PAGE_BASE = 300_000_000_000_000
PSID_BASE = 8_000_000_000_000_000
RSS_LIMIT_MB = 250.0


@dataclass
class BenchMesh:
    """The running mesh: its processes, where the emulator and gateway are, the app."""

    mesh: Mesh
    emulator: str
    gateway_port: int
    app: dict[str, Any]
    operator_env: dict[str, str]
    nats_url: str
    database_url: str
    servers: dict[str, int]
    pages: int = 0

    @property
    def secret(self) -> str:
        """The app secret the gateway checks webhook signatures with."""
        return str(self.app["secret"])

    def pids(self) -> dict[str, int]:
        """Process id of each service."""
        return {child.name: child.process.pid for child in self.mesh.children}


def _start_emulator(mesh: Mesh, port: int) -> tuple[str, dict[str, Any]]:
    """The emulator with the demo seed and no state file (its periodic save would serialise the
    whole world on the event loop in the middle of a measurement)."""
    url = f"http://127.0.0.1:{port}"
    child = mesh.start("emulator", ["emulator", "serve", "--port", str(port)], {})
    wait_until_ok(f"{url}/_emulator/health", child)
    app = http_json("GET", f"{url}/_emulator/apps")["data"][0]
    return url, app


@contextmanager
def bench_mesh() -> Iterator[BenchMesh]:
    """Start the mesh on fresh in-memory servers; stop it and remove everything afterwards."""
    os.environ["PARLEY_DELIVERY_PACING"] = "false"
    with ExitStack() as cleanup:
        data = cleanup.enter_context(server_tempdir("parley-bench-", in_memory=True))
        (data / "logs").mkdir()
        stack = cleanup.enter_context(LocalStack(data, env={}, fsync=False))
        mesh = Mesh(data / "logs")
        cleanup.callback(mesh.stop)
        ports = Ports(*(free_port() for _ in range(6)))
        keys = make_keys(data)
        emulator, app = _start_emulator(mesh, ports.emulator)
        facebook = facebook_env(app, emulator)
        tenants_env = start_tenants(mesh, ports, facebook, stack, keys)
        env = {**stack.env, **gateway_env(ports, tenants_env, keys)}
        gateway = start_gateway(mesh, ports.gateway, app, facebook, env)
        http_json(
            "PUT",
            f"{emulator}/_emulator/apps/{app['id']}/webhook",
            {"url": f"{gateway}/webhook", "verify": True},
        )
        start_negotiation(mesh, ports, stack, tenants_env, keys)
        start_delivery(mesh, ports, stack, facebook, tenants_env, keys)
        start_analytics(mesh, ports, stack, keys)
        operator = {**tenants_env, "PARLEY_TENANTS_TOKEN": keys["operator_token"]}
        servers = {
            name: server.pid
            for name, server in (("postgres", stack.postgres), ("nats", stack.nats))
            if server is not None and server.pid is not None
        }
        yield BenchMesh(
            mesh,
            emulator,
            ports.gateway,
            app,
            operator,
            stack.nats_url,
            stack.database_url,
            servers,
        )


def population(first_page: int, pages: int, buyers: int) -> list[Target]:
    """`buyers` per Page for Pages first_page..first_page+pages-1, Pages interleaved (each
    Page's first buyer, then each Page's second, ...) so a steady rate is steady per Page too."""
    return [
        Target(str(PAGE_BASE + page), str(PSID_BASE + page * 1000 + buyer))
        for buyer in range(buyers)
        for page in range(first_page, first_page + pages)
    ]


def seed_pages(bench: BenchMesh, targets: list[Target]) -> None:
    """Pages managed by the seller's Facebook user, their buyers, and each buyer's thread with
    the 24-hour window open (the buyers write to the gateway directly, not through the
    emulator, so the emulator would otherwise refuse the replies as outside the window)."""
    app_id = str(bench.app["id"])
    page_ids = sorted({t.page_id for t in targets})
    now_ms = int(time.time() * 1000)
    seed = {
        "pages": [
            {"id": p, "name": f"Bench Page {p[-4:]}", "app_id": app_id, "managers": [SELLER_USER]}
            for p in page_ids
        ],
        "buyers": [
            {"psid": t.psid, "page_id": t.page_id, "first_name": "Buyer", "last_name": t.psid[-5:]}
            for t in targets
        ],
        "threads": [
            {"page_id": t.page_id, "psid": t.psid, "owner_app_id": app_id}
            | {"last_action_ms": now_ms, "items": []}
            for t in targets
        ],
    }
    request = urllib.request.Request(
        f"{bench.emulator}/_emulator/seed", data=json.dumps(seed).encode(), method="POST"
    )
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()


def connect_pages(bench: BenchMesh) -> int:
    """The seller logs in at the (emulated) Facebook dialog: Parley connects every Page the
    user manages (tenants' OAuth onboarding). Returns how many Pages the seller now has."""
    seeded = subprocess.run(
        [PARLEY, "tenants", "seed-demo"],
        env={**os.environ, **bench.operator_env},
        check=True,
        capture_output=True,
        text=True,
    )
    link = json.loads(seeded.stdout)["url"]
    with urllib.request.urlopen(link, timeout=300) as response:  # follows the dialog's redirect
        page = response.read().decode()
    if "Pages connected" not in page:
        raise SystemExit(f"connecting the bench Pages failed:\n{page[:2000]}")
    listed = subprocess.run(
        [PARLEY, "tenants", "pages", "--seller", "demo-seller"],
        env={**os.environ, **bench.operator_env},
        check=True,
        capture_output=True,
        text=True,
    )
    bench.pages = len(json.loads(listed.stdout).get("pages", []))
    return bench.pages


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (VmRSS from /proc)."""
    total = 0.0
    for each in [pid, *_children(pid)]:
        try:
            text = Path(f"/proc/{each}/status").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    return total


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    kids = [int(k) for k in found]
    return kids + [grand for kid in kids for grand in _children(kid)]


def rss_all(bench: BenchMesh) -> dict[str, float]:
    """RSS of every mesh process, in MB."""
    return {name: rss_mb(pid) for name, pid in bench.pids().items()}


def wait_idle(bench: BenchMesh, timeout: float = 30.0) -> None:
    """Until the emulator has no webhook left to deliver (echoes, receipts), at most `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if http_json("GET", f"{bench.emulator}/_emulator/webhooks/wait?timeout=5")["idle"]:
            return


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) a process and its live children have used (/proc stat)."""
    total = 0.0
    for each in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def cpu_all(bench: BenchMesh) -> dict[str, float]:
    """CPU seconds so far of every mesh process and of PostgreSQL and NATS."""
    return {name: cpu_seconds(pid) for name, pid in {**bench.pids(), **bench.servers}.items()}
