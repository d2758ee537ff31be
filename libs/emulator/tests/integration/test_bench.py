"""The Send API benchmark helper runs against a live emulator and reports its figures."""

from __future__ import annotations

import asyncio

import pytest

from parley_emulator.bench import bench_send_api
from parley_emulator.testing import APP_SECRET, PAGE_TOKEN, PSID, Harness

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("tool", ["auto", "httpx"])
async def test_bench_send_api_reports_rate_and_latency(harness: Harness, tool: str) -> None:
    await harness.buyer(text="hi")
    await harness.op("PUT", "/config", json={"send_rate_per_page": 1_000_000})
    figures = await asyncio.to_thread(
        bench_send_api,
        harness.server.url,
        PAGE_TOKEN,
        PSID,
        1,
        4,
        app_secret=APP_SECRET,
        tool=tool,
    )
    assert figures["requests"] > 0 and figures["rps"] > 0
    assert figures["non_2xx"] == 0 and figures["errors"] == 0
    assert 0 < figures["p50_ms"] <= figures["p99_ms"]
    assert (await harness.op("GET", "/sent"))["total"] >= figures["requests"] - figures["errors"]
