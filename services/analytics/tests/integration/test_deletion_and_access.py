"""Data deletion requests, callers' rights, malformed requests, the operator's report command and
the service's metrics."""

from __future__ import annotations

import argparse
from datetime import timedelta

import grpc
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from parley.analytics.v1 import analytics_pb2 as pb
from parley.events.v1 import tenants_pb2
from parley_analytics.domain.facts import Source
from parley_analytics.entrypoints import operator_cli
from parley_kit.grpc_client import open_channel

from .conftest import CALLERS, Service
from .scenario import DAY1, L3, P3, S1, S2, build, t
from .test_reports import END, S1_FIGURES, check, publish

pytestmark = pytest.mark.integration


def deletion(
    event_id: str, user: str, sellers: list[str], pages: list[str]
) -> tenants_pb2.UserDataDeletionRequested:
    return tenants_pb2.UserDataDeletionRequested(
        event_id=event_id,
        facebook_user_id=user,
        confirmation_code="code",
        seller_ids=sellers,
        page_ids=pages,
    )


async def test_a_deletion_request_removes_the_sellers_data_from_every_report(
    service: Service,
) -> None:
    scenario = build()
    await publish(service, scenario, *Source)
    await service.settle()
    request = deletion("deletion-1", "9000000000000001", [S2], [P3])
    await service.publish(Source.TENANTS, "user_data_deletion_requested", request)
    await service.settle()
    for scope in ({"seller_id": S2}, {"page_id": P3}, {"listing_id": L3}):
        total = (await service.report(DAY1, END, **scope)).total
        assert total == pb.Figures(), scope
    # The platform reads as if the seller had never been here: it is the other seller's.
    platform = await service.report(DAY1, END, pb.BUCKET_DAY)
    check(platform.total, S1_FIGURES)
    assert platform.buckets[1].replies_sent == 0
    assert (await service.report(DAY1, END, seller_id=S1)).total == platform.total
    pool = service.analytics.pool
    assert not await pool.fetchval(
        "SELECT count(*) FROM events WHERE seller_id = $1 OR page_id = $2", S2, P3
    )
    # A turn of the deleted seller still on the way is dropped.
    late = scenario.turn(P3, "b9", t(12, 0), "answer", started=True)
    await service.publish(Source.NEGOTIATION, f"{P3}.turn_decided", late)
    await service.settle()
    assert (await service.report(DAY1, END, seller_id=S2)).total == pb.Figures()
    assert not await pool.fetchval("SELECT count(*) FROM events WHERE event_id = $1", late.event_id)


async def test_a_buyer_asking_for_deletion_is_anonymised_and_the_figures_stay(
    service: Service,
) -> None:
    scenario = build()
    await publish(service, scenario, *Source)
    await service.settle()
    before = await service.report(DAY1, END, seller_id=S1)
    await service.publish(
        Source.TENANTS, "user_data_deletion_requested", deletion("deletion-2", "b2", [], [])
    )
    await service.settle()
    pool = service.analytics.pool
    assert not await pool.fetchval("SELECT count(*) FROM events WHERE buyer_id = 'b2'")
    assert not await pool.fetchval("SELECT count(*) FROM events WHERE conversation_id LIKE '%b2'")
    assert not await pool.fetchval(
        "SELECT count(*) FROM conversations WHERE conversation_id LIKE '%b2' OR buyer_id = 'b2'"
    )
    assert await service.report(DAY1, END, seller_id=S1) == before


async def test_only_the_gateway_and_operators_may_read_reports(service: Service) -> None:
    assert (await service.report(DAY1, END, caller="operator")).total == pb.Figures()
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await service.report(DAY1, END, caller="negotiation")
    assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED
    address = f"127.0.0.1:{service.analytics.server.port}"
    async with open_channel(address, caller_token="not-a-caller-token-0123456789") as channel:
        stub = pb.DESCRIPTOR.services_by_name["AnalyticsService"]
        call = channel.unary_unary(
            f"/{stub.full_name}/GetReport",
            request_serializer=pb.GetReportRequest.SerializeToString,
            response_deserializer=pb.GetReportResponse.FromString,
        )
        with pytest.raises(grpc.aio.AioRpcError) as unknown:
            await call(pb.GetReportRequest(), timeout=5)
    assert unknown.value.code() is grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize(
    ("scope", "with_start", "wanted"),
    [
        ({}, False, "start: is required"),
        ({"seller_id": ""}, True, "seller_id: must not be empty"),
        ({"page_id": P3}, False, "start: is required"),
    ],
)
async def test_malformed_requests_are_invalid_arguments(
    service: Service, scope: dict[str, str], with_start: bool, wanted: str
) -> None:
    request = pb.GetReportRequest(bucket=pb.BUCKET_HOUR, **scope)
    if with_start:
        request.start.FromDatetime(DAY1)
    request.end.FromDatetime(END)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await service.stub().GetReport(request, timeout=5)
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert wanted in (refused.value.details() or "")


async def test_ranges_that_are_empty_or_too_long_are_invalid_arguments(service: Service) -> None:
    for start, end, bucket in (
        (END, DAY1, pb.BUCKET_DAY),
        (DAY1, DAY1 + timedelta(days=200), pb.BUCKET_HOUR),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await service.report(start, end, bucket)
        assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_the_operator_command_reports_a_seller(service: Service) -> None:
    await publish(service, build(), *Source)
    await service.settle()
    args = argparse.Namespace(
        seller=S1, page=None, listing=None, since=DAY1, until=END, bucket="day"
    )
    address = f"127.0.0.1:{service.analytics.server.port}"
    answer = await operator_cli.call(address, CALLERS["operator"], operator_cli.request_of(args))
    check(answer.total, S1_FIGURES)
    assert len(answer.buckets) == 2


async def test_metrics_report_each_consumers_lag_and_the_events_consumed(
    service: Service,
) -> None:
    await publish(service, build(), *Source)
    await service.settle()
    server = service.analytics.metrics_server
    assert server is not None
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{server.port}/metrics")
    found = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
    for consumer in service.analytics.consumers.values():
        labels = (("consumer", consumer.spec.durable), ("stream", consumer.spec.stream))
        assert found[("parley_jetstream_consumer_pending_messages", labels)] == 0
        assert found[("parley_jetstream_consumer_ack_pending_messages", labels)] == 0
    recorded = sum(
        value
        for (name, labels), value in found.items()
        if name == "parley_analytics_events_total" and ("result", "recorded") in labels
    )
    assert recorded == len(build().events)
