"""`make bench`: the gateway (signed webhooks, real JetStream publishing) against a bare Starlette
app that only answers 200, in the same run on the same machine, driven by wrk."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import nats

from parley_devstack._process import free_port
from parley_devstack.servers import NatsServer
from parley_devstack.stack import NATS_URL_ENV

SECRET = "bench-app-secret"
_LUA = """
local sigs = dofile("{sigs}")
local n = #sigs
local counter = {offset}
request = function()
  counter = counter + 1
  local i = (counter % n) + 1
  local body = string.format('{template}', i)
  return wrk.format("POST", "/webhook", {{["Content-Type"] = "application/json",
    ["X-Hub-Signature-256"] = "sha256=" .. sigs[i]}}, body)
end
"""


@dataclass(frozen=True)
class Figures:
    """What wrk measured against one target."""

    name: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int


def ensure_wrk() -> str:
    """The wrk binary; installed from Debian's packages when missing and we are root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("make bench needs wrk (Debian/Ubuntu: apt-get install wrk)")
    return found


def _body_template(run: str) -> str:
    item = {
        "sender": {"id": "900001"},
        "recipient": {"id": "100001"},
        "timestamp": 1_700_000_000_000,
        "message": {"mid": f"m_{run}_%d", "text": "would you take 8k cash today?"},
    }
    payload = {
        "object": "page",
        "entry": [{"id": "100001", "time": 1_700_000_000_000, "messaging": [item]}],
    }
    return json.dumps(payload, separators=(",", ":"))


def write_scripts(folder: Path, count: int) -> list[Path]:
    """Lua scripts for two wrk threads, each cycling through its own pre-signed distinct bodies."""
    run = uuid.uuid4().hex[:8]
    template = _body_template(run)
    key = SECRET.encode()
    sigs = [
        hmac.new(key, (template % i).encode(), hashlib.sha256).hexdigest()
        for i in range(1, count + 1)
    ]
    sig_file = folder / "sigs.lua"
    sig_file.write_text("return {" + ",".join(f'"{s}"' for s in sigs) + "}\n")
    scripts = []
    for thread in range(2):
        script = folder / f"post{thread}.lua"
        script.write_text(
            _LUA.format(
                sigs=sig_file, offset=thread * (count // 2), template=template.replace("'", "\\'")
            )
        )
        scripts.append(script)
    return scripts


def _find(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    if found is None:
        raise SystemExit(f"unexpected wrk output (no {pattern!r}):\n{text}")
    return found.group(1)


def _ms(value: str) -> float:
    number, unit = _find(r"([\d.]+)", value), _find(r"[\d.]+(\w+)", value)
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(name: str, output: str) -> Figures:
    """Figures from wrk's --latency report."""
    rps = float(_find(r"Requests/sec:\s+([\d.]+)", output))
    p50 = _find(r"50%\s+([\d.]+\w+)", output)
    p99 = _find(r"99%\s+([\d.]+\w+)", output)
    total = int(_find(r"(\d+) requests in", output))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Figures(name, rps, _ms(p50), _ms(p99), total, int(bad.group(1)) if bad else 0)


def run_wrk(wrk: str, name: str, url: str, script: Path, args: argparse.Namespace) -> Figures:
    """One wrk run against url."""
    cmd = [
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.seconds}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    output = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return parse_wrk(name, output)


def _wait_http(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not become ready")


def _start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


def bench_bare(wrk: str, script: Path, args: argparse.Namespace) -> Figures:
    """The baseline: Starlette answering 200."""
    port = free_port()
    proc = _start(
        [sys.executable, "-m", "parley_devstack.bench_bare", "--port", str(port)], dict(os.environ)
    )
    try:
        _wait_for_port(port)
        run_wrk(wrk, "warm-up", f"http://127.0.0.1:{port}/webhook", script, _short(args))
        return run_wrk(wrk, "bare starlette", f"http://127.0.0.1:{port}/webhook", script, args)
    finally:
        _stop(proc)


def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def _short(args: argparse.Namespace) -> argparse.Namespace:
    return argparse.Namespace(**{**vars(args), "seconds": 2})


def bench_gateway(wrk: str, script: Path, args: argparse.Namespace, nats_url: str) -> Figures:
    """The gateway with real JetStream publishing, on a stream of its own."""
    port = free_port()
    stream = f"BENCH_{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "FACEBOOK_APP_SECRET": SECRET,
        "FACEBOOK_VERIFY_TOKEN": "bench",
        "PARLEY_NATS_URL": nats_url,
        "PARLEY_GATEWAY_PORT": str(port),
        "PARLEY_INBOUND_STREAM": stream,
        "PARLEY_INBOUND_SUBJECT_PREFIX": f"bench.{stream}",
        "PARLEY_LOG_LEVEL": "WARNING",
    }
    parley = str(Path(sys.executable).parent / "parley")
    proc = _start([parley, "gateway", "serve"], env)
    try:
        _wait_http(f"http://127.0.0.1:{port}/readyz")
        run_wrk(wrk, "warm-up", f"http://127.0.0.1:{port}/webhook", script, _short(args))
        figures = run_wrk(wrk, "gateway", f"http://127.0.0.1:{port}/webhook", script, args)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as response:
            metrics = response.read().decode()
        print(_published_line(metrics))
        return figures
    finally:
        _stop(proc)
        _delete_stream(nats_url, stream)


def _published_line(metrics: str) -> str:
    accepted = re.search(r'webhook_requests_total\{outcome="accepted"\} ([\d.e+]+)', metrics)
    unavailable = re.search(r'outcome="bus_unavailable"\} ([\d.e+]+)', metrics)
    return (
        f"gateway answered 200 to {float(accepted.group(1)) if accepted else 0:.0f} requests "
        f"(each stored in JetStream), 503 to "
        f"{float(unavailable.group(1)) if unavailable else 0:.0f}"
    )


def _delete_stream(nats_url: str, stream: str) -> None:
    async def delete() -> None:
        nc = await nats.connect(nats_url)
        try:
            await nc.jetstream().delete_stream(stream)
        finally:
            await nc.close()

    asyncio.run(delete())


def report(bare: Figures, gateway: Figures) -> str:
    """The table and ratios printed at the end."""
    lines = [f"{'target':<16}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'requests':>10}{'non-2xx':>9}"]
    for f in (bare, gateway):
        lines.append(
            f"{f.name:<16}{f.requests_per_s:>10.0f}{f.p50_ms:>9.2f}{f.p99_ms:>9.2f}"
            f"{f.requests:>10}{f.non_2xx:>9}"
        )
    ratio = gateway.requests_per_s / bare.requests_per_s
    lines.append(
        f"gateway/bare throughput ratio: {ratio:.2f} (target >= 0.35); "
        f"gateway p99 {gateway.p99_ms:.1f} ms (target < 25 ms)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run both benchmarks and print figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--bodies", type=int, default=200_000)
    args = parser.parse_args(argv)
    wrk = ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        scripts = write_scripts(Path(tmp), args.bodies)
        with contextlib.ExitStack() as stack:
            nats_url = os.environ.get(NATS_URL_ENV) or ""
            if not nats_url:
                nats_url = stack.enter_context(NatsServer(Path(tmp) / "nats")).url
            bare = bench_bare(wrk, scripts[0], args)
            gateway = bench_gateway(wrk, scripts[1], args, nats_url)
    print(report(bare, gateway))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
