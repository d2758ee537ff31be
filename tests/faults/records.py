"""What the product recorded, read through its public faces: the emulator's threads and sent log
(what buyers saw), the reply commands negotiation published, delivery's outcome events,
negotiation's conversations, the emulator's webhook counters and analytics' figures."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import httpx
import nats
from nats.js.api import ConsumerConfig, DeliverPolicy

from parley.analytics.v1 import analytics_pb2 as apb
from parley.analytics.v1.analytics_pb2_grpc import AnalyticsServiceStub
from parley.events.v1 import delivery_pb2 as dpb
from parley.events.v1.replies_pb2 import ReplyCommand
from parley.negotiation.v1 import negotiation_pb2 as npb
from parley.negotiation.v1.negotiation_pb2_grpc import NegotiationServiceStub
from parley_delivery.domain.messages import parse_metadata
from parley_kit.grpc_client import open_channel
from parley_negotiation.adapters.conversations_repo import conversation_id

Part = tuple[str, int]  # (reply idempotency key, part)


def client(timeout: float = 30.0) -> httpx.AsyncClient:
    """An HTTP client for the emulator whose idle connections close well before the server
    would close them (uvicorn: 5 s), so no request races a closing keep-alive connection."""
    return httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(keepalive_expiry=1.0))


async def get_json(http: httpx.AsyncClient, url: str, **params: str | int) -> Any:
    """GET a JSON answer, again after a lost connection (a starved emulator can drop one)."""
    for attempt in range(3):
        try:
            answer = await http.get(url, params=params)
        except httpx.TransportError:
            if attempt == 2:
                raise
            await asyncio.sleep(0.5)
            continue
        answer.raise_for_status()
        return answer.json()
    raise AssertionError("unreachable")


@dataclass
class Sends:
    """Messages the Page sent (the emulator's sent log), by the reply they belong to."""

    cursor: int
    parts: Counter[Part] = field(default_factory=Counter)
    foreign: int = 0  # sends without our metadata (none expected)

    async def update(self, http: httpx.AsyncClient, emulator: str, page_id: str) -> None:
        """Add the sends since the last call."""
        url = f"{emulator}/_emulator/sent"
        answer = await get_json(http, url, page_id=page_id, after=self.cursor, limit=10**9)
        for item in answer["items"]:
            self.cursor = max(self.cursor, int(item["index"]))
            own = parse_metadata(str(item.get("metadata") or ""))
            if own is None:
                self.foreign += 1
            else:
                self.parts[own] += 1

    def replies(self, key: str) -> int:
        """How many times the reply's first part went out."""
        return self.parts[(key, 0)]


async def sent_cursor(http: httpx.AsyncClient, emulator: str) -> int:
    """The index of the newest send so far (a scenario reads only the sends after it)."""
    answer = await get_json(http, f"{emulator}/_emulator/sent", limit=1)
    return max((int(item["index"]) for item in answer["items"]), default=0)


async def read_stream(nats_url: str, subject: str, since: datetime) -> list[tuple[str, bytes]]:
    """(subject, payload) of every message on `subject` stored since `since`, oldest first."""
    nc = await nats.connect(nats_url, connect_timeout=5, max_reconnect_attempts=3)
    found: list[tuple[str, bytes]] = []
    try:
        js = nc.jetstream()
        config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_TIME, opt_start_time=since)
        sub = await js.subscribe(subject, ordered_consumer=True, config=config)
        try:
            while True:
                try:
                    msg = await sub.next_msg(timeout=1.0)
                except TimeoutError:
                    return found  # nothing (more) to read
                found.append((msg.subject, msg.data))
                if msg.metadata.num_pending == 0:
                    return found
        finally:
            await sub.unsubscribe()
    finally:
        await nc.close()


async def reply_commands(nats_url: str, page_id: str, since: datetime) -> list[ReplyCommand]:
    """Reply commands negotiation published for the Page since `since`."""
    rows = await read_stream(nats_url, f"parley.replies.{page_id}", since)
    return [ReplyCommand.FromString(data) for _, data in rows]


@dataclass(frozen=True)
class Outcomes:
    """Delivery's outcome events for a Page: sent keys counted, and why others were not sent."""

    sent: Counter[str]
    reasons: dict[str, str]


async def delivery_outcomes(nats_url: str, page_id: str, since: datetime) -> Outcomes:
    """reply_sent, reply_refused and reply_dropped events on PARLEY_DELIVERY since `since`."""
    rows = await read_stream(nats_url, f"parley.delivery.{page_id}.*", since)
    sent: Counter[str] = Counter()
    reasons: dict[str, str] = {}
    for subject, data in rows:
        kind = subject.rsplit(".", 1)[-1]
        if kind == "reply_sent":
            sent[dpb.ReplySent.FromString(data).reply.idempotency_key] += 1
        elif kind == "reply_refused":
            refused = dpb.ReplyRefused.FromString(data)
            reasons[refused.reply.idempotency_key] = f"refused: {refused.detail}"
        elif kind == "reply_dropped":
            dropped = dpb.ReplyDropped.FromString(data)
            outcome = dpb.ReplyOutcome.Name(dropped.outcome).removeprefix("REPLY_OUTCOME_")
            reasons[dropped.reply.idempotency_key] = f"{outcome.lower()}: {dropped.detail}"
    return Outcomes(sent, reasons)


async def threads(
    http: httpx.AsyncClient, emulator: str, page_id: str, psids: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """Each buyer's timeline with the Page, as the buyer saw it."""
    gate = asyncio.Semaphore(16)

    async def one(psid: str) -> list[dict[str, Any]]:
        async with gate:
            answer = await get_json(http, f"{emulator}/_emulator/threads/{page_id}/{psid}")
            items: list[dict[str, Any]] = answer["items"]
            return items

    found = await asyncio.gather(*(one(psid) for psid in psids))
    return dict(zip(psids, found, strict=True))


async def conversations(
    address: str, token: str, page_id: str, psids: list[str]
) -> dict[str, npb.Conversation]:
    """Negotiation's conversation (with its transcript) of each buyer who has one."""
    channel = open_channel(address, caller_token=token)
    gate = asyncio.Semaphore(16)
    stub = NegotiationServiceStub(channel)

    async def one(psid: str) -> npb.Conversation | None:
        request = npb.GetConversationRequest(conversation_id=conversation_id(page_id, psid))
        async with gate:
            try:
                return (await stub.GetConversation(request, timeout=10)).conversation
            except grpc.aio.AioRpcError as error:
                if error.code() is grpc.StatusCode.NOT_FOUND:
                    return None
                raise

    try:
        found = await asyncio.gather(*(one(psid) for psid in psids))
    finally:
        await channel.close(None)
    return {psid: c for psid, c in zip(psids, found, strict=True) if c is not None}


async def analytics_replies_sent(address: str, token: str, page_id: str) -> int:
    """Analytics' count of replies sent on the Page over the last day."""
    now = datetime.now(UTC)
    request = apb.GetReportRequest(page_id=page_id, bucket=apb.BUCKET_UNSPECIFIED)
    request.start.FromDatetime(now - timedelta(days=1))
    request.end.FromDatetime(now + timedelta(hours=1))
    channel = open_channel(address, caller_token=token)
    try:
        report = await AnalyticsServiceStub(channel).GetReport(request, timeout=10)
    finally:
        await channel.close(None)
    return int(report.total.replies_sent)
