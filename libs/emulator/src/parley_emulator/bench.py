"""Send API throughput: `python -m parley_emulator.bench` (wrk, or multi-process httpx)."""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from parley_emulator.http import async_client
from parley_emulator.signing import appsecret_proof

APP_ID, APP_SECRET = "1300000000000555", "bench-secret"
PAGE_ID, PAGE_TOKEN = "100000000000555", "bench-page-token-0000000000000001"
PSID = "5000000000000555"
BODY = {
    "recipient": {"id": PSID},
    "messaging_type": "RESPONSE",
    "message": {"text": "Yes, the bike is still available: 120 EUR, pick-up in Lyon."},
}
HTTPX_NOTE = "wrk not used: a Python client cannot saturate the server, figures are a floor"
WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"errors":%d,"non_2xx":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def _send_url(url: str, token: str, secret: str | None) -> str:
    proof = f"&appsecret_proof={appsecret_proof(token, secret)}" if secret else ""
    return f"{url}/v21.0/me/messages?access_token={token}{proof}"


def bench_send_api(
    url: str,
    page_token: str,
    psid: str,
    seconds: float = 10.0,
    concurrency: int = 64,
    *,
    app_secret: str | None = None,
    tool: str = "auto",
) -> dict[str, Any]:
    """Load `POST /v21.0/me/messages`; figures: tool, requests, rps, p50_ms, p99_ms, errors."""
    target = _send_url(url, page_token, app_secret)
    body = json.dumps({**BODY, "recipient": {"id": psid}})
    if tool != "httpx" and shutil.which("wrk"):
        return _wrk(target, body, seconds, concurrency)
    if tool == "wrk":
        raise RuntimeError("wrk is not installed (apt-get install -y wrk)")
    return _httpx(target, body, seconds, concurrency)


def _wrk(target: str, body: str, seconds: float, concurrency: int) -> dict[str, Any]:
    escaped = body.replace("\\", "\\\\").replace("'", "\\'")
    script = (
        f"wrk.method = 'POST'\nwrk.body = '{escaped}'\n"
        "wrk.headers['Content-Type'] = 'application/json'\n" + WRK_DONE
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        command = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s"]
        command += ["-s", handle.name, target]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(handle.name)
    line = next(x for x in output.splitlines() if x.startswith("BENCH "))
    raw = json.loads(line.removeprefix("BENCH "))
    elapsed = raw["duration_us"] / 1e6
    return {
        "tool": "wrk",
        "requests": raw["requests"],
        "seconds": round(elapsed, 2),
        "rps": round(raw["requests"] / elapsed),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "errors": raw["errors"],
        "non_2xx": raw["non_2xx"],
        "concurrency": concurrency,
    }


@dataclass
class LoadResult:
    """What one load-generating process measured."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    non_2xx: int = 0
    elapsed: float = 0.0


def _httpx(target: str, body: str, seconds: float, concurrency: int) -> dict[str, Any]:
    processes = max(1, min(os.cpu_count() or 1, concurrency))
    per_process = max(1, concurrency // processes)
    # spawn, not fork: the caller may run an event loop and threads.
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [
            pool.submit(_httpx_process, target, body, seconds, per_process)
            for _ in range(processes)
        ]
        results = [future.result() for future in futures]
    elapsed = max(r.elapsed for r in results)
    latencies = sorted(x for r in results for x in r.latencies)
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    errors = sum(r.errors for r in results)
    return {
        "tool": f"httpx in {processes} processes ({HTTPX_NOTE})",
        "requests": len(latencies) + errors,
        "seconds": round(elapsed, 2),
        "rps": round(len(latencies) / elapsed),
        "p50_ms": round(quantiles[49] * 1000, 3),
        "p99_ms": round(quantiles[98] * 1000, 3),
        "errors": errors,
        "non_2xx": sum(r.non_2xx for r in results),
        "concurrency": processes * per_process,
    }


def _httpx_process(target: str, body: str, seconds: float, tasks: int) -> LoadResult:
    return asyncio.run(_httpx_load(target, body.encode(), seconds, tasks))


async def _httpx_load(target: str, body: bytes, seconds: float, tasks: int) -> LoadResult:
    result = LoadResult()
    started = time.monotonic()
    deadline = started + seconds
    headers = {"Content-Type": "application/json"}

    async def loop() -> None:
        # One client (one keep-alive connection) per task: a shared pool serialises on its lock.
        async with async_client(timeout=10) as client:
            while time.monotonic() < deadline:
                sent = time.monotonic()
                try:
                    response = await client.post(target, content=body, headers=headers)
                except httpx.HTTPError:
                    result.errors += 1
                    continue
                result.latencies.append(time.monotonic() - sent)
                result.non_2xx += response.status_code >= 300

    await asyncio.gather(*(loop() for _ in range(tasks)))
    result.elapsed = time.monotonic() - started
    return result


def bench_seed(webhook_url: str | None) -> dict[str, Any]:
    """A seed for benchmarking: one app (proof required), a Page without a rate cap, a buyer."""
    return {
        "apps": [
            {
                "id": APP_ID,
                "secret": APP_SECRET,
                "name": "Bench",
                "callback_url": webhook_url,
                "require_proof": True,
            }
        ],
        "pages": [
            {
                "id": PAGE_ID,
                "name": "Bench Page",
                "app_id": APP_ID,
                "access_token": PAGE_TOKEN,
                "send_rate": 1_000_000,
            }
        ],
        "buyers": [{"psid": PSID, "page_id": PAGE_ID, "first_name": "Bench"}],
    }


def free_port() -> int:
    """A TCP port free on localhost right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def emulator_process(seed: dict[str, Any], port: int) -> Any:
    """`parley emulator serve` in a subprocess, ready when this yields its URL."""
    with tempfile.TemporaryDirectory() as directory:
        seed_path = Path(directory) / "seed.json"
        seed_path.write_text(json.dumps(seed))
        command = [
            sys.executable,
            "-m",
            "parley_emulator.cli",
            "serve",
            "--port",
            str(port),
            "--seed",
            str(seed_path),
        ]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, process)
            yield url
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=15)


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """Poll `/_emulator/health` until it answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the emulator exited with {process.returncode}")
        try:
            httpx.get(f"{url}/_emulator/health", timeout=0.5).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the emulator did not start in time")


def run(seconds: float, concurrency: int, tool: str, webhook_url: str | None) -> dict[str, Any]:
    """Start a seeded emulator, open the buyer's window, load the Send API, count sends."""
    with emulator_process(bench_seed(webhook_url), free_port()) as url:
        httpx.post(
            f"{url}/_emulator/buyers/{PSID}/messages", json={"text": "hi"}
        ).raise_for_status()
        bench_send_api(url, PAGE_TOKEN, PSID, 1, concurrency, app_secret=APP_SECRET, tool=tool)
        httpx.delete(f"{url}/_emulator/sent").raise_for_status()
        figures = bench_send_api(
            url, PAGE_TOKEN, PSID, seconds, concurrency, app_secret=APP_SECRET, tool=tool
        )
        figures["accepted"] = httpx.get(f"{url}/_emulator/sent?limit=0").json()["total"]
    return figures


def main(argv: list[str] | None = None) -> int:
    """Print the Send API rate and latency of a freshly started emulator."""
    parser = argparse.ArgumentParser(prog="python -m parley_emulator.bench")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--tool", choices=["auto", "wrk", "httpx"], default="auto")
    parser.add_argument("--webhook-url", help="deliver echoes and receipts to this URL")
    args = parser.parse_args(argv)
    figures = run(args.seconds, args.concurrency, args.tool, args.webhook_url)
    sys.stdout.write(
        f"Send API: {figures['rps']:,} calls/s, p50 {figures['p50_ms']:.2f} ms, "
        f"p99 {figures['p99_ms']:.2f} ms ({figures['requests']:,} calls in "
        f"{figures['seconds']} s, {figures['concurrency']} connections, "
        f"{figures['accepted']:,} accepted, {figures['non_2xx']} non-2xx, "
        f"{figures['errors']} socket errors; load generator: {figures['tool']})\n"
    )
    sys.stdout.write(json.dumps(figures) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
