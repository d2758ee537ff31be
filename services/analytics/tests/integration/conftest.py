"""The analytics service as it runs: real PostgreSQL, NATS JetStream (streams of this test only,
declared here as their producers would) and gRPC on a real socket."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import grpc
import pytest
from google.protobuf.message import Message
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from parley.analytics.v1 import analytics_pb2 as pb
from parley.analytics.v1.analytics_pb2_grpc import AnalyticsServiceStub
from parley_analytics.bootstrap import Analytics, build, migrations_folder
from parley_analytics.domain.facts import Source
from parley_analytics.settings import AnalyticsSettings
from parley_kit import bus
from parley_kit.grpc_client import open_channel
from parley_kit.migrations import migrate

if TYPE_CHECKING:
    from parley.analytics.v1.analytics_pb2_grpc import AnalyticsServiceAsyncStub

CALLERS = {
    "gateway": "gateway-token-0123456789abcdef",
    "operator": "operator-token-0123456789abcde",
    "negotiation": "negotiation-token-0123456789ab",
}


def env_for(database_url: str, nats_url: str, schema: str, uid: str) -> dict[str, str]:
    """The environment `parley analytics serve` would get, with streams of this test only."""
    return {
        "PARLEY_DATABASE_URL": database_url,
        "PARLEY_ANALYTICS_SCHEMA": schema,
        "PARLEY_NATS_URL": nats_url,
        "PARLEY_ANALYTICS_PORT": "0",
        "PARLEY_METRICS_PORT": "0",
        "PARLEY_ANALYTICS_CALLERS": ",".join(f"{n}={t}" for n, t in CALLERS.items()),
        "PARLEY_INBOUND_STREAM": f"IN_{uid}",
        "PARLEY_INBOUND_SUBJECT_PREFIX": f"t{uid}.inbound",
        "PARLEY_NEGOTIATION_STREAM": f"NEG_{uid}",
        "PARLEY_NEGOTIATION_SUBJECT_PREFIX": f"t{uid}.negotiation",
        "PARLEY_DELIVERY_STREAM": f"DEL_{uid}",
        "PARLEY_DELIVERY_SUBJECT_PREFIX": f"t{uid}.delivery",
        "PARLEY_TENANTS_STREAM": f"TEN_{uid}",
        "PARLEY_TENANTS_SUBJECT_PREFIX": f"t{uid}.tenants",
        "PARLEY_ANALYTICS_DURABLE": f"analytics_{uid}",
        "PARLEY_STARTUP_WAIT_S": "5",
    }


@dataclass
class Service:
    """A running analytics service and what tests need around it."""

    analytics: Analytics
    settings: AnalyticsSettings
    js: JetStreamContext
    _channels: list[grpc.aio.Channel] = field(default_factory=list)

    def prefix(self, source: Source) -> str:
        streams = self.settings.streams
        return {
            Source.INBOUND: streams.inbound_prefix,
            Source.NEGOTIATION: streams.negotiation_prefix,
            Source.DELIVERY: streams.delivery_prefix,
            Source.TENANTS: streams.tenants_prefix,
        }[source]

    async def publish(
        self, source: Source, subject: str, event: Message, msg_id: str | None = None
    ) -> None:
        """An event on `<the source's prefix>.<subject>`, de-duplicated by its event id."""
        event_id = str(getattr(event, "event_id"))  # noqa: B009 - every event has one
        await bus.publish(
            self.js,
            f"{self.prefix(source)}.{subject}",
            event.SerializeToString(),
            msg_id=msg_id or event_id,
        )

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until every consumer has acknowledged everything published so far."""
        consumers = self.analytics.consumers.values()
        async with asyncio.timeout(timeout):
            while True:
                infos = [
                    await self.js.consumer_info(c.spec.stream, c.spec.durable) for c in consumers
                ]
                if all(i.num_pending == 0 and i.num_ack_pending == 0 for i in infos):
                    return
                await asyncio.sleep(0.02)

    def stub(self, caller: str = "gateway") -> AnalyticsServiceAsyncStub:
        channel = open_channel(
            f"127.0.0.1:{self.analytics.server.port}", caller_token=CALLERS[caller]
        )
        self._channels.append(channel)
        return AnalyticsServiceStub(channel)  # type: ignore[return-value]

    async def report(
        self,
        start: datetime,
        end: datetime,
        bucket: int = pb.BUCKET_UNSPECIFIED,
        caller: str = "gateway",
        **scope: str,
    ) -> pb.GetReportResponse:
        request = pb.GetReportRequest(bucket=bucket, **scope)
        request.start.FromDatetime(start)
        request.end.FromDatetime(end)
        return await self.stub(caller).GetReport(request, timeout=10)


@pytest.fixture
async def service(
    database_url: str, nats_url: str, pg_schema: str, unique_id: str, nats_client: NATS
) -> AsyncIterator[Service]:
    await migrate(database_url, pg_schema, migrations_folder())
    js = nats_client.jetstream()
    settings = AnalyticsSettings.from_env(env_for(database_url, nats_url, pg_schema, unique_id))
    streams = settings.streams
    declared = (
        (streams.inbound, streams.inbound_prefix),
        (streams.negotiation, streams.negotiation_prefix),
        (streams.delivery, streams.delivery_prefix),
        (streams.tenants, streams.tenants_prefix),
    )
    for name, prefix in declared:
        spec = bus.StreamSpec(name, (f"{prefix}.>",), duplicate_window_s=60, max_age_s=600)
        await bus.ensure_stream(js, spec)
    analytics = await build(settings)
    await analytics.start()
    svc = Service(analytics, settings, js)
    try:
        yield svc
    finally:
        for channel in svc._channels:
            await channel.close(None)
        await analytics.stop(0)
        for name, _ in declared:
            with contextlib.suppress(Exception):
                await js.delete_stream(name)
