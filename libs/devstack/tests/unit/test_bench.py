"""The benchmark reads wrk's report exactly and states the ratio against the target."""

from __future__ import annotations

import pytest

from parley_devstack.bench import Figures, parse_wrk, report

WRK_OUTPUT = """Running 8s test @ http://127.0.0.1:40000/webhook
  1 threads and 32 connections
  Latency Distribution
     50%    1.65ms
     75%    2.00ms
     90%    3.00ms
     99%  850.00us
  153742 requests in 8.00s, 20.00MB read
  Non-2xx or 3xx responses: 3
Requests/sec:  19200.50
Transfer/sec:      2.50MB
"""


def test_wrk_figures_are_read_with_their_units() -> None:
    figures = parse_wrk("bare", WRK_OUTPUT)
    assert figures == Figures("bare", 19200.5, 1.65, 0.85, 153742, 3)


def test_seconds_are_converted_to_milliseconds() -> None:
    figures = parse_wrk("slow", WRK_OUTPUT.replace("850.00us", "1.20s"))
    assert figures.p99_ms == pytest.approx(1200.0)


def test_unexpected_output_fails_clearly() -> None:
    with pytest.raises(SystemExit, match="unexpected wrk output"):
        parse_wrk("broken", "connection refused")


def test_report_gives_the_ratio_and_the_targets() -> None:
    bare = Figures("bare starlette", 20000.0, 1.5, 4.0, 160000, 0)
    gateway = Figures("gateway", 7000.0, 4.0, 8.0, 56000, 0)
    text = report(bare, gateway)
    assert "ratio: 0.35 (target >= 0.35)" in text
    assert "gateway p99 8.0 ms (target < 25 ms)" in text
