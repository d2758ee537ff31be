"""Tenants' Prometheus metrics, scraped over HTTP: its outbox depth."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from parley_tenants.bootstrap import build

from .conftest import Service

pytestmark = pytest.mark.integration


async def test_metrics_report_the_outbox_depth(service: Service) -> None:
    tenants = await build(replace(service.settings, metrics_port=0), clock=service.clock)
    await tenants.start()
    try:
        assert tenants.metrics_server is not None
        url = f"http://127.0.0.1:{tenants.metrics_server.port}/metrics"
        async with httpx.AsyncClient() as client:
            response = await client.get(url)
    finally:
        await tenants.stop(grace=0)
    assert response.status_code == 200
    depth = {
        sample.labels["schema"]: sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name == "parley_outbox_unpublished_events"
    }
    assert depth == {service.settings.db.schema: 0}
