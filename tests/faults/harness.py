"""The whole mesh on PostgreSQL and NATS servers of the harness's own, so a test may kill -9 any
process or server mid-stream and start it again with the same command, port and data."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parley_devstack._process import ManagedServer, free_port, server_tempdir
from parley_devstack.run import (
    Child,
    Mesh,
    Ports,
    Running,
    http_json,
    start_mesh,
    wait_for_port,
    wait_until_ok,
)
from parley_devstack.stack import LocalStack

SERVICES = ("gateway", "tenants", "negotiation", "delivery", "analytics")

# Knobs for every process of the mesh. Replies go out at once (no human pacing); delivery's own
# per-Page rate (40/s by default) does not hold the stream back; a Graph call that hangs is
# given up after 2 s (a timeout storm costs seconds, not minutes). The emulator's webhook
# retries back off to at most 8 s (its default, 60 s, would hold a retried message up to a
# minute after the gateway is back; much less makes every failed event a storm of retries).
MESH_ENV = {
    "PARLEY_DELIVERY_PACING": "false",
    "PARLEY_DELIVERY_PAGE_RATE": "250",
    "PARLEY_DELIVERY_PAGE_BURST": "100",
    "FACEBOOK_GRAPH_TIMEOUT_S": "2",
}
EMULATOR_CONFIG = {"retry_max_s": 8.0, "read_delay_s": None}


@dataclass
class FaultMesh:
    """The running mesh, its servers, and where everything listens."""

    mesh: Mesh
    stack: LocalStack
    ports: Ports
    running: Running
    page_id: str
    data: Path

    @property
    def emulator(self) -> str:
        """The emulator's base URL."""
        return self.running.emulator

    def token(self, caller: str) -> str:
        """A caller token the mesh's services accept (operator: every read)."""
        return self.running.keys[f"{caller}_token"]

    def address(self, service: str) -> str:
        """`127.0.0.1:PORT` of a gRPC service."""
        return f"127.0.0.1:{getattr(self.ports, service)}"

    def child(self, name: str) -> Child:
        """The current process of a piece of the mesh."""
        return next(c for c in self.mesh.children if c.name == name)

    def kill(self, name: str) -> None:
        """kill -9 one process of the mesh, as a crash would, and reap it."""
        process = self.child(name).process
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)

    def restart(self, name: str) -> None:
        """Start a killed process again with its command and environment; wait until ready."""
        child = self.mesh.restart(name)
        if name == "gateway":
            wait_until_ok(f"http://127.0.0.1:{self.ports.gateway}/readyz", child, timeout=60)
        else:
            wait_for_port(getattr(self.ports, name), child, timeout=60)

    def server(self, name: str) -> ManagedServer:
        """The private `nats` or `postgres` server."""
        server = getattr(self.stack, name)
        if not isinstance(server, ManagedServer):
            raise RuntimeError(f"the stack runs no {name} of its own")
        return server

    def bounce(self, name: str) -> None:
        """kill -9 a private server and start it again, on the same port and data."""
        server = self.server(name)
        port = server.port
        server.kill()
        server.start()
        if server.port != port:
            raise RuntimeError(f"{name} came back on port {server.port}, not {port}")

    def emulator_call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """A call to the emulator's operator API (`path` under /_emulator)."""
        return http_json(method, f"{self.emulator}/_emulator{path}", body)

    def dead(self) -> list[str]:
        """Processes of the mesh that exited without being asked to."""
        return [c.name for c in self.mesh.children if c.process.poll() is not None]


@contextmanager
def running_mesh() -> Iterator[FaultMesh]:
    """The mesh as `make run` starts it, on private servers under a temporary folder."""
    saved = {key: os.environ.get(key) for key in MESH_ENV}
    os.environ.update(MESH_ENV)
    try:
        with ExitStack() as cleanup:
            data = cleanup.enter_context(server_tempdir("parley-faults-", in_memory=True))
            (data / "logs").mkdir()
            stack = cleanup.enter_context(LocalStack(data, env={}, fsync=False))
            mesh = Mesh(data / "logs")
            cleanup.callback(mesh.stop)
            ports = Ports(*(free_port() for _ in range(6)))
            running = _start(mesh, stack, data, ports)
            page_id = http_json("GET", f"{running.emulator}/_emulator/pages")["data"][0]["id"]
            http_json("PUT", f"{running.emulator}/_emulator/config", EMULATOR_CONFIG)
            yield FaultMesh(mesh, stack, ports, running, page_id, data)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _start(mesh: Mesh, stack: LocalStack, data: Path, ports: Ports) -> Running:
    try:
        return start_mesh(mesh, stack, data, ports)
    except SystemExit as exc:  # start_mesh's way of saying a piece did not come up
        raise RuntimeError(str(exc)) from None


def log_tail(path: Path, size: int = 3000) -> str:
    """The end of a log file (for failure messages)."""
    text = path.read_text(errors="replace") if path.exists() else ""
    return text[-size:]
