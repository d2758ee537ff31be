"""Service metrics without servers: the port setting, helpers, and readings that fail."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client.parser import text_string_to_metric_families

from parley_kit.metrics import ServiceMetrics, read_metrics_port
from parley_kit.settings import Env, SettingsError


def samples(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_no_metrics_port_means_no_server_and_zero_means_any_free_port() -> None:
    assert read_metrics_port(Env({})) is None
    assert read_metrics_port(Env({"PARLEY_METRICS_PORT": "0"})) == 0
    assert read_metrics_port(Env({"PARLEY_METRICS_PORT": "9464"})) == 9464


def test_a_malformed_metrics_port_is_refused() -> None:
    env = Env({"PARLEY_METRICS_PORT": "70000"})
    read_metrics_port(env)
    with pytest.raises(SettingsError, match="PARLEY_METRICS_PORT"):
        env.check()


async def test_counters_and_histograms_render_in_the_services_own_registry() -> None:
    metrics = ServiceMetrics("test")
    errors = metrics.counter("parley_test_errors", "Errors by class", ("class",))
    latency = metrics.histogram("parley_test_latency_seconds", "Latency")
    errors.labels("timeout").inc(2)
    latency.observe(0.2)
    found = samples(await metrics.render())
    assert found[("parley_test_errors_total", (("class", "timeout"),))] == 2
    assert found[("parley_test_latency_seconds_count", ())] == 1
    assert found[("parley_test_latency_seconds_bucket", (("le", "0.25"),))] == 1
    assert any(name == "process_cpu_seconds_total" for name, _ in found)
    # A second service in the same process has a registry of its own.
    assert ("parley_test_errors_total", (("class", "timeout"),)) not in samples(
        await ServiceMetrics("other").render()
    )


async def test_a_failing_or_slow_reading_is_counted_and_the_scrape_still_answers() -> None:
    metrics = ServiceMetrics("test", refresh_timeout_s=0.05)
    seen = metrics.gauge("parley_test_seen", "A reading that works")

    async def works() -> None:
        seen.set(7)

    async def fails() -> None:
        raise ConnectionError("bus down")

    async def hangs() -> None:
        await asyncio.sleep(10)

    for source, job in (("works", works), ("fails", fails), ("hangs", hangs)):
        metrics.on_scrape(source, job)
    found = samples(await metrics.render())
    assert found[("parley_test_seen", ())] == 7
    assert found[("parley_metrics_refresh_failures_total", (("source", "fails"),))] == 1
    assert found[("parley_metrics_refresh_failures_total", (("source", "hangs"),))] == 1
