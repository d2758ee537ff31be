"""`make bench`, tenants part: the read negotiation makes for every buyer message (the seller's
rules, over authenticated gRPC, from PostgreSQL), measured at a fixed concurrency."""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from parley.tenants.v1 import tenants_pb2 as pb
from parley.tenants.v1.tenants_pb2_grpc import TenantServiceStub
from parley_devstack._process import free_port, server_tempdir
from parley_devstack.stack import LocalStack
from parley_kit.grpc_client import open_channel

PARLEY = str(Path(sys.executable).parent / "parley")


def tenants_env(stack: LocalStack, port: int, tokens: dict[str, str]) -> dict[str, str]:
    """A tenants process of the bench's own, on a schema of its own."""
    return {
        **os.environ,
        **stack.env,
        "FACEBOOK_APP_ID": "1300000000000001",
        "FACEBOOK_APP_SECRET": secrets.token_hex(16),
        "PARLEY_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "PARLEY_TENANTS_SCHEMA": f"bench_{uuid.uuid4().hex[:8]}",
        "PARLEY_TENANTS_PORT": str(port),
        "PARLEY_TENANTS_CALLERS": ",".join(f"{k}={v}" for k, v in tokens.items()),
        "PARLEY_TENANTS_STREAM": f"BENCH_TENANTS_{uuid.uuid4().hex[:8]}",
        "PARLEY_TENANTS_SUBJECT_PREFIX": f"bench.tenants.{uuid.uuid4().hex[:8]}",
        "PARLEY_TOKEN_CHECK_INTERVAL_S": "0",
        "PARLEY_LOG_LEVEL": "WARNING",
    }


async def measure(address: str, token: str, seconds: float, concurrency: int) -> dict[str, float]:
    """GetSellerSettings as negotiation, `concurrency` calls in flight for `seconds`."""
    latencies: list[float] = []
    channel = open_channel(address, caller_token=token)
    stub = TenantServiceStub(channel)
    request = pb.GetSellerSettingsRequest(seller_id="demo-seller")
    await stub.GetSellerSettings(request, timeout=10)
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await stub.GetSellerSettings(request, timeout=10)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    await channel.close(None)
    ordered = sorted(latencies)
    return {
        "calls_per_s": len(ordered) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
        "calls": float(len(ordered)),
    }


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    subprocess.run([PARLEY, "tenants", "migrate"], env=env, check=True, capture_output=True)
    process = subprocess.Popen([PARLEY, "tenants", "serve"], env=env)
    operator = {
        **env,
        "PARLEY_TENANTS_ADDR": f"127.0.0.1:{port}",
        "PARLEY_TENANTS_TOKEN": env["PARLEY_TENANTS_CALLERS"].split(",")[0].split("=")[1],
    }
    for _ in range(80):
        seeded = subprocess.run([PARLEY, "tenants", "seed-demo"], env=operator, capture_output=True)
        if seeded.returncode == 0:
            return process
        time.sleep(0.25)
    process.terminate()
    raise SystemExit(f"tenants did not come up: {seeded.stderr.decode()[-1500:]}")


def main(argv: list[str] | None = None) -> int:
    """Run the tenants benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args(argv)
    tokens = {name: secrets.token_urlsafe(24) for name in ("operator", "negotiation")}
    port = free_port()
    with server_tempdir("parley-bench-") as tmp, LocalStack(tmp) as stack:
        process = _serve(tenants_env(stack, port, tokens), port)
        try:
            figures = asyncio.run(
                measure(f"127.0.0.1:{port}", tokens["negotiation"], args.seconds, args.concurrency)
            )
        finally:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(15)
    print(
        f"tenants GetSellerSettings (negotiation's per-message read), {args.concurrency} in "
        f"flight: {figures['calls_per_s']:.0f} calls/s, p50 {figures['p50_ms']:.2f} ms, "
        f"p99 {figures['p99_ms']:.2f} ms ({figures['calls']:.0f} calls)"
    )
    print(json.dumps({"tenants": figures}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
