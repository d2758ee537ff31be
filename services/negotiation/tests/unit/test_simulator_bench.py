"""The engine benchmark: its table, and respond() fast enough for the throughput target."""

from __future__ import annotations

import io

import pytest

from parley_negotiation import bench
from parley_negotiation.simulator import Report


def report(violations: tuple[str, ...] = ()) -> Report:
    return Report(
        conversations=10,
        possible=8,
        agreed=7,
        zone_share=0.55,
        median_price_ratio=0.88,
        mean_messages=4.2,
        violations=violations,
        by_style={"stepper": 1.0, "quick": 0.5},
    )


def test_the_table_shows_every_figure() -> None:
    text = bench.table({"all": (9, 10), "th": (0, 0)}, report(), 6000.0)
    assert "all 90.0% (9/10), th no examples" in text
    assert "87.5% (human sellers ~74%)" in text
    assert "stepper 100%, quick 50%" in text
    assert "6,000 decisions/s (meets 5,000)" in text
    assert "floor violations        0" in text
    assert "MISSES" in bench.table({"all": (1, 1)}, report(), 10.0)


def test_throughput_runs_whole_conversations() -> None:
    assert bench.throughput(seconds=0.05) > 0


def test_main_fails_when_the_floor_was_broken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "simulate", lambda: report(("accept at 1",)))
    monkeypatch.setattr(bench, "throughput", lambda: 1.0)
    out = io.StringIO()
    assert bench.main(out) == 1
    assert "floor violations        1" in out.getvalue()
