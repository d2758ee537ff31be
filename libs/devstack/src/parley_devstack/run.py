"""`make run`: the whole local mesh, with its own PostgreSQL and NATS when no URL is set, the
Messenger emulator playing Facebook with a demo seller, Page and buyers, until Ctrl-C.

Each piece runs as its own process through the `parley` command, exactly as it would be deployed;
their JSON logs go to files under the data folder so this terminal stays readable.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from parley_devstack.stack import LocalStack, sigterm_as_keyboard_interrupt

PARLEY = str(Path(sys.executable).parent / "parley")
DEMO_REF = "corolla-2015"


@dataclass
class Child:
    """One process of the mesh, where its log goes, and how it was started (to restart it)."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    args: list[str] = field(default_factory=list)
    # The whole environment it runs with.
    env: dict[str, str] = field(default_factory=dict)


class Mesh:
    """Starts the processes of the mesh and stops them in reverse order."""

    def __init__(self, logs: Path, trace_dir: Path | None = None) -> None:
        self.logs = logs
        # Each process writes its spans to <trace_dir>/<name>.jsonl (PARLEY_TRACE_FILE).
        self.trace_dir = trace_dir
        self.children: list[Child] = []
        self._files: list[IO[bytes]] = []

    def start(self, name: str, args: list[str], env: dict[str, str]) -> Child:
        """Start `parley <args>` with env added to ours; its output goes to logs/<name>.log."""
        if self.trace_dir is not None:
            env = {**env, "PARLEY_TRACE_FILE": str(self.trace_dir / f"{name}.jsonl")}
        child = self._spawn(name, args, {**os.environ, **env})
        self.children.append(child)
        return child

    def restart(self, name: str) -> Child:
        """Start an exited child again, with the same command and environment, in its place."""
        found = [i for i, c in enumerate(self.children) if c.name == name]
        if not found:
            raise KeyError(f"the mesh has no {name}")
        index, old = found[-1], self.children[found[-1]]
        if old.process.poll() is None:
            raise RuntimeError(f"{name} is still running (pid {old.process.pid})")
        child = self._spawn(name, old.args, old.env)
        self.children[index] = child
        return child

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> Child:
        """`parley <args>` with exactly `env`, appending to logs/<name>.log."""
        log = self.logs / f"{name}.log"
        out = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self._files.append(out)
        process = subprocess.Popen([PARLEY, *args], env=env, stdout=out, stderr=subprocess.STDOUT)
        return Child(name, process, log, list(args), dict(env))

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


def dev_secrets(data: Path) -> dict[str, str]:
    """Keys and caller tokens for local runs, made once and kept under the data folder (a new
    encryption key each run would leave the stored Page tokens unreadable)."""
    path = data / "dev-secrets.json"
    kept: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    made = {
        "encryption_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "dashboard_secret": secrets.token_urlsafe(32),
        **{f"{caller}_token": secrets.token_urlsafe(24) for caller in CALLERS},
    }
    merged = {**made, **kept}  # keep what exists; add tokens of callers new since
    if merged != kept:
        path.write_text(json.dumps(merged, indent=2))
        path.chmod(0o600)
    return merged


CALLERS = ("gateway", "operator", "delivery", "negotiation", "analytics", "tenants")


def callers_of(keys: dict[str, str], *names: str) -> str:
    """`name=token,...` for a service's PARLEY_<SERVICE>_CALLERS."""
    return ",".join(f"{name}={keys[name + '_token']}" for name in names)


def start_service(mesh: Mesh, name: str, port: int, env: dict[str, str]) -> None:
    """Migrate a service's schema, then serve it; wait until it listens."""
    with open(mesh.logs / f"{name}-migrate.log", "ab") as log:
        subprocess.run(
            [PARLEY, name, "migrate"],
            env={**os.environ, **env},
            check=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    child = mesh.start(name, [name, "serve"], env)
    wait_for_port(port, child)


def facebook_env(app: dict[str, Any], emulator: str) -> dict[str, str]:
    """The Facebook app settings every service reads, pointing at the emulator."""
    return {
        "FACEBOOK_APP_ID": str(app["id"]),
        "FACEBOOK_APP_SECRET": str(app["secret"]),
        "FACEBOOK_GRAPH_URL": emulator,
    }


def start_tenants(
    mesh: Mesh, ports: Ports, facebook: dict[str, str], stack: LocalStack, keys: dict[str, str]
) -> dict[str, str]:
    """Migrate, then serve tenants; returns the environment its clients need."""
    callers = callers_of(keys, "gateway", "operator", "delivery", "negotiation")
    env = {
        **stack.env,
        **facebook,
        "PARLEY_ENCRYPTION_KEYS": keys["encryption_key"],
        "PARLEY_TENANTS_PORT": str(ports.tenants),
        "PARLEY_TENANTS_CALLERS": callers,
        "PARLEY_PUBLIC_URL": f"http://127.0.0.1:{ports.gateway}",
    }
    env |= {
        "PARLEY_DELIVERY_ADDR": f"127.0.0.1:{ports.delivery}",
        "PARLEY_DELIVERY_TOKEN": keys["tenants_token"],
    }
    start_service(mesh, "tenants", ports.tenants, env)
    return {"PARLEY_TENANTS_ADDR": f"127.0.0.1:{ports.tenants}"}


def start_delivery(
    mesh: Mesh,
    ports: Ports,
    stack: LocalStack,
    facebook: dict[str, str],
    tenants_env: dict[str, str],
    keys: dict[str, str],
) -> None:
    """Delivery: sends reply commands through the Send API inside Meta's policy."""
    env = {
        **stack.env,
        **facebook,
        **tenants_env,
        "PARLEY_TENANTS_TOKEN": keys["delivery_token"],
        "PARLEY_DELIVERY_PORT": str(ports.delivery),
        "PARLEY_DELIVERY_CALLERS": callers_of(
            keys, "negotiation", "tenants", "gateway", "operator"
        ),
    }
    start_service(mesh, "delivery", ports.delivery, env)


def start_negotiation(
    mesh: Mesh, ports: Ports, stack: LocalStack, tenants_env: dict[str, str], keys: dict[str, str]
) -> None:
    """Negotiation: consumes the inbound stream, reads rules from tenants, emits replies."""
    env = {
        **stack.env,
        **tenants_env,
        "PARLEY_TENANTS_TOKEN": keys["negotiation_token"],
        "PARLEY_NEGOTIATION_PORT": str(ports.negotiation),
        "PARLEY_NEGOTIATION_CALLERS": callers_of(keys, "gateway", "operator", "analytics"),
    }
    start_service(mesh, "negotiation", ports.negotiation, env)


def start_gateway(
    mesh: Mesh, port: int, app: dict[str, Any], facebook: dict[str, str], env: dict[str, str]
) -> str:
    """The gateway, with the demo app's secret and verify token."""
    url = f"http://127.0.0.1:{port}"
    env = {
        **env,
        **facebook,
        "FACEBOOK_VERIFY_TOKEN": str(app["verify_token"]),
        "PARLEY_GATEWAY_PORT": str(port),
    }
    child = mesh.start("gateway", ["gateway", "serve"], env)
    wait_until_ok(f"{url}/readyz", child)
    return url


def start_analytics(mesh: Mesh, ports: Ports, stack: LocalStack, keys: dict[str, str]) -> None:
    """Analytics: every event on the bus into reports per seller, Page, listing and platform."""
    env = {
        **stack.env,
        "PARLEY_ANALYTICS_PORT": str(ports.analytics),
        "PARLEY_ANALYTICS_CALLERS": callers_of(keys, "gateway", "operator"),
    }
    start_service(mesh, "analytics", ports.analytics, env)


def gateway_env(ports: Ports, tenants_env: dict[str, str], keys: dict[str, str]) -> dict[str, str]:
    """What the gateway needs beyond Facebook's settings: tenants, and for the seller
    dashboard negotiation, delivery and its signing secret."""
    return {
        **tenants_env,
        "PARLEY_TENANTS_TOKEN": keys["gateway_token"],
        "PARLEY_PUBLIC_URL": f"http://127.0.0.1:{ports.gateway}",
        "PARLEY_DASHBOARD_SECRET": keys["dashboard_secret"],
        "PARLEY_NEGOTIATION_ADDR": f"127.0.0.1:{ports.negotiation}",
        "PARLEY_NEGOTIATION_TOKEN": keys["gateway_token"],
        "PARLEY_DELIVERY_ADDR": f"127.0.0.1:{ports.delivery}",
        "PARLEY_DELIVERY_TOKEN": keys["gateway_token"],
        "PARLEY_ANALYTICS_ADDR": f"127.0.0.1:{ports.analytics}",
        "PARLEY_ANALYTICS_TOKEN": keys["gateway_token"],
    }


def dashboard_link(env: dict[str, str]) -> str:
    """A sign-in link to the demo seller's dashboard (valid for the default 15 minutes)."""
    made = subprocess.run(
        [PARLEY, "gateway", "login-link", "--seller", "demo-seller"],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        text=True,
    )
    return made.stdout.strip()


def onboard_demo_seller(tenants_env: dict[str, str], operator_token: str) -> str:
    """Seed the demo seller and listing, then connect the emulator's demo Page the way a seller
    would: open the connect link, log in at the (emulated) Facebook dialog, land on the
    gateway's /oauth/callback. Returns that page's text."""
    env = {**os.environ, **tenants_env, "PARLEY_TENANTS_TOKEN": operator_token}
    seeded = _retry(
        lambda: subprocess.run(
            [PARLEY, "tenants", "seed-demo"], env=env, check=True, capture_output=True, text=True
        )
    )
    link = json.loads(seeded.stdout)["url"]
    with urllib.request.urlopen(link, timeout=20) as response:  # follows the dialog's redirect
        page: str = response.read().decode()
    if "Pages connected" not in page:
        raise SystemExit(f"onboarding the demo seller failed:\n{page[:2000]}")
    return page


def _retry(
    call: Callable[[], subprocess.CompletedProcess[str]],
) -> subprocess.CompletedProcess[str]:
    for _ in range(40):
        try:
            return call()
        except subprocess.CalledProcessError:
            time.sleep(0.25)
    return call()


def wait_for_port(port: int, child: Child, timeout: float = 30.0) -> None:
    """Wait until something listens on port; fail with the child's log if it dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.process.poll() is None:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    tail = child.log.read_text(errors="replace")[-2000:]
    raise SystemExit(f"{child.name} is not listening on {port}; its log ends:\n{tail}")


PORT_DEFAULTS = {
    "gateway": 8080,
    "emulator": 8090,
    "tenants": 50051,
    "negotiation": 50052,
    "delivery": 50053,
    "analytics": 50054,
}


@dataclass(frozen=True)
class Ports:
    """Where each piece listens."""

    gateway: int
    emulator: int
    tenants: int
    negotiation: int
    delivery: int
    analytics: int


def summary(
    stack: LocalStack, emulator: str, gateway: str, logs: Path, ports: Ports, dashboard: str = ""
) -> str:
    """What runs where, and what to try first."""
    pages = http_json("GET", f"{emulator}/_emulator/pages")["data"]
    buyers = http_json("GET", f"{emulator}/_emulator/buyers")["data"]
    lines = [
        "",
        "Parley is running (Ctrl-C stops everything):",
        f"  gateway            {gateway}   (webhooks at /webhook, /readyz, /metrics)",
        f"  Messenger emulator {emulator}   (Graph API and buyers; /_emulator/...)",
        f"  tenants (gRPC)     127.0.0.1:{ports.tenants}",
        f"  negotiation (gRPC) 127.0.0.1:{ports.negotiation}",
        f"  delivery (gRPC)    127.0.0.1:{ports.delivery}",
        f"  analytics (gRPC)   127.0.0.1:{ports.analytics}",
        f"  PostgreSQL         {_public(stack.database_url)}",
        f"  NATS JetStream     {stack.nats_url}",
        f"  logs               {logs}/",
        "",
        f"Seller dashboard (demo-seller; this link works for 15 minutes): {dashboard}",
        "  a new one: .venv/bin/parley gateway login-link --seller demo-seller",
        "  (with PARLEY_DASHBOARD_SECRET from .local/dev-secrets.json)",
        "",
        "Demo seller (demo-seller) connected through Facebook login (the emulator's dialog):",
    ]
    lines += [f"  {p['id']}  {p['name']}" for p in pages]
    lines += [
        f"  listing: 2015 Toyota Corolla, m.me link https://m.me/{p['id']}?ref={DEMO_REF}"
        for p in pages[:1]
    ]
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
            f"  (type /start {DEMO_REF} to open the thread as from the m.me link)",
            "Operators: PARLEY_TENANTS_TOKEN from .local/dev-secrets.json (operator_token), then",
            f"  PARLEY_TENANTS_ADDR=127.0.0.1:{ports.tenants} .venv/bin/parley tenants pages",
        ]
    lines += [
        "",
        "Every buyer message is verified and stored in JetStream (PARLEY_INBOUND); negotiation",
        "decides each reply (PARLEY_REPLIES) and delivery sends it, human-paced, through the",
        "Send API. Try the engine alone with `parley negotiation preview` (see README).",
    ]
    return "\n".join(lines)


def _public(url: str) -> str:
    return url.split("@")[-1] if "@" in url else url


@dataclass(frozen=True)
class Running:
    """The mesh once it is up: where everything is, and the local keys."""

    emulator: str
    gateway: str
    keys: dict[str, str]
    dashboard: str


def start_mesh(mesh: Mesh, stack: LocalStack, data: Path, ports: Ports) -> Running:
    """Emulator, tenants, gateway, negotiation, delivery, analytics; the emulator's webhook
    pointed at the gateway and the demo seller onboarded through Facebook login."""
    keys = dev_secrets(data)
    emulator, app = start_emulator(mesh, ports.emulator, data)
    facebook = facebook_env(app, emulator)
    tenants_env = start_tenants(mesh, ports, facebook, stack, keys)
    gateway = start_gateway(
        mesh, ports.gateway, app, facebook, {**stack.env, **gateway_env(ports, tenants_env, keys)}
    )
    http_json(
        "PUT",
        f"{emulator}/_emulator/apps/{app['id']}/webhook",
        {"url": f"{gateway}/webhook", "verify": True},
    )
    start_negotiation(mesh, ports, stack, tenants_env, keys)
    start_delivery(mesh, ports, stack, facebook, tenants_env, keys)
    start_analytics(mesh, ports, stack, keys)
    onboard_demo_seller(tenants_env, keys["operator_token"])
    link = dashboard_link(gateway_env(ports, tenants_env, keys))
    return Running(emulator, gateway, keys, link)


def main(argv: list[str]) -> int:
    """Run the mesh until Ctrl-C or until a piece dies."""
    parser = argparse.ArgumentParser(prog="parley devstack run", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path(".local"))
    parser.add_argument(
        "--trace-dir",
        type=Path,
        default=None,
        help="write each process's spans to DIR/<name>.jsonl",
    )
    for name, default in PORT_DEFAULTS.items():
        variable = f"PARLEY_{name.upper()}_PORT"
        parser.add_argument(
            f"--{name}-port", type=int, default=int(os.environ.get(variable, str(default)))
        )
    args = parser.parse_args(argv)
    data = args.data_dir.absolute()
    logs = data / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    mesh = Mesh(logs, args.trace_dir.absolute() if args.trace_dir else None)
    try:
        with sigterm_as_keyboard_interrupt(), ExitStack() as cleanup:
            stack = cleanup.enter_context(LocalStack(data))
            cleanup.callback(mesh.stop)
            ports = Ports(**{name: getattr(args, f"{name}_port") for name in PORT_DEFAULTS})
            running = start_mesh(mesh, stack, data, ports)
            text = summary(stack, running.emulator, running.gateway, logs, ports, running.dashboard)
            sys.stdout.write(text + "\n")
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
