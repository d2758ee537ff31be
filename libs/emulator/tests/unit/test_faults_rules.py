"""Fault rules: matching, counts, durations, and seeded determinism."""

from __future__ import annotations

import pytest

from parley_emulator.faults import FaultInjector


def pattern(seed: int, calls: int = 40) -> list[bool]:
    faults = FaultInjector()
    faults.add({"kind": "5xx", "share": 0.5, "seed": seed})
    return [faults.pick("/v21.0/me/messages") is not None for _ in range(calls)]


def test_a_seeded_share_fails_the_same_calls_every_time() -> None:
    assert pattern(7) == pattern(7)
    assert 5 < sum(pattern(7)) < 35


def test_a_counted_rule_stops_after_its_count() -> None:
    faults = FaultInjector()
    faults.add({"kind": "613", "count": 2})
    fired = [faults.pick("/v21.0/me/messages") for _ in range(4)]
    assert [rule is not None for rule in fired] == [True, True, False, False]
    assert faults.rules == []


def test_paths_limit_a_rule_to_matching_calls() -> None:
    faults = FaultInjector()
    faults.add({"kind": "190", "paths": ["messages"]})
    assert faults.pick("/v21.0/me/messenger_profile") is None
    assert faults.pick("/v21.0/me/accounts") is None
    assert faults.pick("/v21.0/123/messages") is not None


def test_a_rule_with_an_elapsed_duration_is_dropped() -> None:
    faults = FaultInjector()
    faults.add({"kind": "slow", "duration_s": 0})
    assert faults.pick("/v21.0/me/messages") is None


@pytest.mark.parametrize(
    "spec", [{"kind": "boom"}, {"kind": "5xx", "share": 2}, {"kind": "5xx", "status": 404}]
)
def test_malformed_rules_are_refused(spec: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        FaultInjector().add(spec)
