"""The benchmark suite's arithmetic: percentiles, sustained rates, the table, reply matching."""

from __future__ import annotations

import hashlib
import hmac
import json
import math

from parley_devstack.bench_load import Load, Target, measure, plan, reply_mid
from parley_devstack.bench_stats import (
    Row,
    Step,
    format_table,
    highest_sustained,
    percentile,
    sustained,
)


def step(rate: float, *, p99_ms: float = 50.0, answered: int | None = None, **kw: int) -> Step:
    sent = int(rate * 10)
    latencies = tuple([10.0] * (sent - sent // 50) + [p99_ms] * (sent // 50))
    return Step(
        rate=rate,
        seconds=10.0,
        sent=sent,
        answered=sent if answered is None else answered,
        rejected=kw.get("rejected", 0),
        replies_in_window=kw.get("in_window", sent),
        latencies_ms=latencies,
    )


def test_percentile_is_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([7.0], 0.99) == 7.0
    assert math.isnan(percentile([], 0.5))


def test_a_step_is_sustained_only_when_everything_kept_up() -> None:
    assert sustained(step(200))
    assert not sustained(step(200, answered=1999))
    assert not sustained(step(200, rejected=1))
    assert not sustained(step(200, in_window=1899))  # 189.9/s < 95% of 200/s
    assert sustained(step(200, in_window=1900))
    assert not sustained(step(200, p99_ms=1001.0))


def test_the_highest_sustained_rate_stops_at_the_first_failure() -> None:
    steps = [step(200), step(300), step(400, p99_ms=2000.0), step(500)]
    assert highest_sustained(steps) == 300.0
    assert highest_sustained([step(200, answered=0)]) == 0.0


def test_rows_state_the_ratio_against_the_target_either_way() -> None:
    faster = Row("sustained", 600.0, "msg/s", 500.0)
    slower = Row("p99", 150.0, "ms", 100.0, higher_is_better=False)
    assert faster.ratio() == 1.2 and faster.verdict() == "pass"
    assert slower.ratio() == 100.0 / 150.0 and slower.verdict() == "FAIL"
    assert Row("setup", 12.0, "s").verdict() == ""
    assert Row("p99", math.nan, "ms", 100.0, False).verdict() == "FAIL"


def test_the_table_is_markdown_with_one_row_per_figure() -> None:
    rows = [Row("sustained", 600.0, "msg/s", 500.0), Row("setup", 3.5, "s"), Row("r", 0.4, "x")]
    table = format_table(rows)
    lines = table.splitlines()
    assert lines[0] == "| figure | measured | target | ratio | |"
    assert lines[2] == "| sustained | 600 msg/s | >= 500 msg/s | 1.20 | pass |"
    assert lines[3] == "| setup | 3.5 s |  |  |  |"
    assert lines[4] == "| r | 0.40 x |  |  |  |"


def test_a_reply_is_matched_to_the_buyer_message_by_its_metadata() -> None:
    assert reply_mid("parley:message:m_bench_1_7:reply:0|parley:answer") == "m_bench_1_7"
    assert reply_mid("parley:message:m.a:b:reply:0") == "m.a:b"
    assert reply_mid("parley:message:m_1:reply:1|parley:answer") is None  # a later part
    assert reply_mid("parley:takeover:abc:0") is None
    assert reply_mid("") is None


def test_planned_webhooks_are_signed_like_meta_and_due_at_the_rate() -> None:
    targets = [Target("300", "8001"), Target("301", "8002")]
    load = plan(targets, rate=100.0, count=4, start=1000.0, secret="s3cret", host="h:1")
    assert load.due == [1000.0, 1000.01, 1000.02, 1000.03]
    head, body = load.requests[1].split(b"\r\n\r\n", 1)
    signature = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert f"X-Hub-Signature-256: sha256={signature}".encode() in head
    assert f"Content-Length: {len(body)}".encode() in head
    item = json.loads(body)["entry"][0]["messaging"][0]
    assert item["sender"] == {"id": "8002"} and item["recipient"] == {"id": "301"}
    assert item["message"]["mid"] == load.mids[1]
    assert len(set(load.mids)) == 4


def test_measure_counts_latency_from_when_each_message_was_due() -> None:
    load = Load(["a", "b", "c", "d"], [0.0, 0.5, 1.0, 1.5], [b""] * 4, [200, 200, 200, 503])
    times = {"a": 0.02, "b": 0.55, "c": 2.5}  # c answered after the step; d never
    figures = measure(load, times, rate=2.0, cpu=0.2)
    assert figures.sent == 4 and figures.answered == 3 and figures.rejected == 1
    assert [round(ms) for ms in figures.latencies_ms] == [20, 50, 1500]
    assert figures.replies_in_window == 2
    assert figures.achieved == 1.0
    assert figures.generator_cpu == 0.1
