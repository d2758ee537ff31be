"""`make run`: the whole local mesh, with its own PostgreSQL and NATS when no URL is set, the
Messenger emulator playing Facebook with a demo seller, Page and buyers, until Ctrl-C.

Each piece runs as its own process through the `parley` command, exactly as it would be deployed;
their JSON logs go to files under the data folder so this terminal stays readable.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from parley_devstack.stack import LocalStack, sigterm_as_keyboard_interrupt

PARLEY = str(Path(sys.executable).parent / "parley")


@dataclass
class Child:
    """One process of the mesh and where its log goes."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path


class Mesh:
    """Starts the processes of the mesh and stops them in reverse order."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.children: list[Child] = []
        self._files: list[IO[bytes]] = []

    def start(self, name: str, args: list[str], env: dict[str, str]) -> Child:
        """Start `parley <args>` with env added to ours; its output goes to logs/<name>.log."""
        log = self.logs / f"{name}.log"
        out = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self._files.append(out)
        process = subprocess.Popen(
            [PARLEY, *args], env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
        child = Child(name, process, log)
        self.children.append(child)
        return child

    def exited(self) -> Child | None:
        """A child that stopped on its own, if any."""
        return next((c for c in self.children if c.process.poll() is not None), None)

    def stop(self) -> None:
        """SIGTERM every child, newest first, and wait for each (SIGKILL after 15 s)."""
        for child in reversed(self.children):
            if child.process.poll() is None:
                child.process.terminate()
        for child in reversed(self.children):
            try:
                child.process.wait(15)
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
        for out in self._files:
            out.close()


def http_json(method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    """A JSON call to the emulator's operator API."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def wait_until_ok(url: str, child: Child, timeout: float = 30.0) -> None:
    """Poll url until it answers 200; fail with the child's log if it dies or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    tail = child.log.read_text(errors="replace")[-2000:]
    raise SystemExit(f"{child.name} did not become ready at {url}; its log ends:\n{tail}")


def start_emulator(mesh: Mesh, port: int, data: Path) -> tuple[str, dict[str, Any]]:
    """The emulator, seeded with the demo (kept in data/emulator.json across runs)."""
    url = f"http://127.0.0.1:{port}"
    args = ["emulator", "serve", "--port", str(port), "--state", str(data / "emulator.json")]
    child = mesh.start("emulator", args, {})
    wait_until_ok(f"{url}/_emulator/health", child)
    apps = http_json("GET", f"{url}/_emulator/apps")["data"]
    if not apps:
        raise SystemExit("the emulator has no app: remove .local/emulator.json to re-seed")
    return url, apps[0]


def start_gateway(
    mesh: Mesh, port: int, app: dict[str, Any], emulator: str, stack: LocalStack
) -> str:
    """The gateway, with the demo app's secret and verify token."""
    url = f"http://127.0.0.1:{port}"
    env = {
        **stack.env,
        "FACEBOOK_APP_ID": str(app["id"]),
        "FACEBOOK_APP_SECRET": str(app["secret"]),
        "FACEBOOK_VERIFY_TOKEN": str(app["verify_token"]),
        "FACEBOOK_GRAPH_URL": emulator,
        "PARLEY_GATEWAY_PORT": str(port),
    }
    child = mesh.start("gateway", ["gateway", "serve"], env)
    wait_until_ok(f"{url}/readyz", child)
    return url


def summary(stack: LocalStack, emulator: str, gateway: str, logs: Path) -> str:
    """What runs where, and what to try first."""
    pages = http_json("GET", f"{emulator}/_emulator/pages")["data"]
    buyers = http_json("GET", f"{emulator}/_emulator/buyers")["data"]
    lines = [
        "",
        "Parley is running (Ctrl-C stops everything):",
        f"  gateway            {gateway}   (webhooks at /webhook, /readyz, /metrics)",
        f"  Messenger emulator {emulator}   (Graph API and buyers; /_emulator/...)",
        f"  PostgreSQL         {_public(stack.database_url)}",
        f"  NATS JetStream     {stack.nats_url}",
        f"  logs               {logs}/",
        "",
        "Demo seller's Pages in the emulator (subscribed to the gateway):",
    ]
    lines += [f"  {p['id']}  {p['name']}" for p in pages]
    lines += ["Demo buyers:"]
    lines += [
        f"  {b['psid']}  {b['first_name']} {b['last_name']} -> {b['page_id']}" for b in buyers
    ]
    if pages and buyers:
        lines += [
            "",
            "Talk to the Page as a buyer:",
            f"  .venv/bin/parley emulator chat --page {buyers[0]['page_id']} "
            f"--psid {buyers[0]['psid']} --url {emulator}",
        ]
    lines += [
        "",
        "Every buyer message is verified and stored in JetStream (stream PARLEY_INBOUND).",
        "Replies start when the negotiation and delivery services join the mesh.",
    ]
    return "\n".join(lines)


def _public(url: str) -> str:
    return url.split("@")[-1] if "@" in url else url


def main(argv: list[str]) -> int:
    """Run the mesh until Ctrl-C or until a piece dies."""
    parser = argparse.ArgumentParser(prog="parley devstack run", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path(".local"))
    parser.add_argument(
        "--gateway-port", type=int, default=int(os.environ.get("PARLEY_GATEWAY_PORT", "8080"))
    )
    parser.add_argument(
        "--emulator-port", type=int, default=int(os.environ.get("PARLEY_EMULATOR_PORT", "8090"))
    )
    args = parser.parse_args(argv)
    data = args.data_dir.absolute()
    logs = data / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    mesh = Mesh(logs)
    try:
        with sigterm_as_keyboard_interrupt(), ExitStack() as cleanup:
            stack = cleanup.enter_context(LocalStack(data))
            cleanup.callback(mesh.stop)
            emulator, app = start_emulator(mesh, args.emulator_port, data)
            gateway = start_gateway(mesh, args.gateway_port, app, emulator, stack)
            http_json(
                "PUT",
                f"{emulator}/_emulator/apps/{app['id']}/webhook",
                {"url": f"{gateway}/webhook", "verify": True},
            )
            sys.stdout.write(summary(stack, emulator, gateway, logs) + "\n")
            sys.stdout.flush()
            return _watch(mesh)
    except KeyboardInterrupt:
        sys.stdout.write("\nstopped.\n")
        return 0


def _watch(mesh: Mesh) -> int:
    while True:
        dead = mesh.exited()
        if dead is not None:
            sys.stderr.write(f"{dead.name} exited ({dead.process.returncode}); see {dead.log}\n")
            return 1
        time.sleep(0.5)
