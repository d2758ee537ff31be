"""The per-Page token bucket, backoff with jitter, and the human pace."""

from __future__ import annotations

import random

import pytest

from parley_delivery.domain.pacing import Pacing
from parley_delivery.domain.ratelimit import Backoff, Bucket


def test_a_fresh_bucket_allows_its_burst_at_once_then_spaces_calls_at_the_rate() -> None:
    bucket = Bucket(rate=10.0, burst=3.0)
    tokens: float | None = None
    waits = []
    for _ in range(5):
        tokens, wait = bucket.take(tokens, elapsed_s=0.0)
        waits.append(round(wait, 3))
    assert waits == [0.0, 0.0, 0.0, 0.1, 0.2]


def test_a_bucket_refills_at_its_rate_up_to_its_burst() -> None:
    bucket = Bucket(rate=10.0, burst=3.0)
    tokens, _ = bucket.take(None, 0.0)
    tokens, wait = bucket.take(tokens, elapsed_s=60.0)
    assert wait == 0.0 and tokens == 2.0  # refilled to 3, one taken


def test_a_penalty_makes_callers_wait_the_backoff() -> None:
    bucket = Bucket(rate=20.0, burst=5.0)
    _, wait = bucket.take(bucket.penalty(2.0), elapsed_s=0.0)
    assert wait == pytest.approx(2.05)


def test_a_bucket_stays_under_metas_page_limit() -> None:
    with pytest.raises(ValueError):
        Bucket(rate=300.0, burst=1.0)
    with pytest.raises(ValueError):
        Bucket(rate=10.0, burst=0.5)


def test_backoff_grows_exponentially_with_jitter_up_to_its_cap() -> None:
    rng = random.Random(7)
    backoff = Backoff(base_s=0.5, cap_s=4.0)
    for attempt, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (10, 4.0)):
        delays = [backoff.delay(attempt, rng) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1


def test_the_pace_grows_with_the_length_and_never_exceeds_the_cap() -> None:
    pacing = Pacing(base_s=1.0, chars_per_s=20.0, jitter=0.0, cap_s=6.0)
    rng = random.Random(1)
    assert pacing.delay(0, rng) == 1.0
    assert pacing.delay(40, rng) == 3.0
    assert pacing.delay(10_000, rng) == 6.0


def test_the_pace_varies_within_its_jitter() -> None:
    pacing = Pacing(base_s=2.0, chars_per_s=10.0, jitter=0.25, cap_s=100.0)
    rng = random.Random(3)
    delays = [pacing.delay(20, rng) for _ in range(200)]
    assert all(3.0 <= d <= 5.0 for d in delays)
    assert max(delays) - min(delays) > 1.0


def test_pacing_off_sends_at_once_and_time_already_spent_counts() -> None:
    rng = random.Random(0)
    assert Pacing(enabled=False).delay(500, rng) == 0.0
    pacing = Pacing(base_s=1.0, chars_per_s=10.0, jitter=0.0, cap_s=10.0)
    assert pacing.remaining(20, elapsed_s=1.0, rng=rng) == 2.0
    assert pacing.remaining(20, elapsed_s=9.0, rng=rng) == 0.0


def test_pacing_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        Pacing(chars_per_s=0)
    with pytest.raises(ValueError):
        Pacing(jitter=1.0)
