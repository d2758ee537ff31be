"""Reports over a fixed, hand-counted set of events from every stream: per seller, Page, listing
and the platform, in hour and day buckets; the same events again change nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from google.protobuf.duration_pb2 import Duration

from parley.analytics.v1 import analytics_pb2 as pb
from parley_analytics.domain.facts import Source
from parley_analytics.domain.histogram import RESOLUTION
from parley_kit import bus

from .conftest import Service
from .scenario import DAY1, DAY2, L1, L2, L3, P1, P2, P3, S1, S2, Scenario, build

pytestmark = pytest.mark.integration

END = DAY2 + timedelta(days=1)
SECOND = 1000

# By hand, from the scenario's description (scenario.py).
S1_FIGURES: dict[str, Any] = {
    "conversations_started": 3,
    "offers_received": 4,
    "deals_agreed": 2,
    "conversations_converted": 2,
    "conversion_rate": 2 / 3,
    "human_takeovers": 1,
    "takeover_rate": 1 / 3,
    "escrow_offered": 1,
    "scam_flags": 0,
    "replies_sent": 7,
    "replies_timed": 6,
    "reply_time_p50": 3 * SECOND,
    "reply_time_p95": 30 * SECOND,
    "first_responses": 3,
    "first_response_p50": 8 * SECOND,
    "first_response_p95": 30 * SECOND,
    "policy_blocks": 1,
    "policy_blocks_by_rule": {"bot_window_closed": 1},
    "send_failures": 0,
    "send_failures_by_class": {},
    "average_price_to_asking": 0.9,
    "average_price_in_zone": 0.5,
    "messages_received": 7,
}
S2_FIGURES: dict[str, Any] = {
    "conversations_started": 2,
    "offers_received": 1,
    "deals_agreed": 1,
    "conversations_converted": 1,
    "conversion_rate": 0.5,
    "human_takeovers": 1,
    "takeover_rate": 0.5,
    "escrow_offered": 0,
    "scam_flags": 1,
    "scam_flags_by_kind": {"overpayment": 1},
    "replies_sent": 2,
    "replies_timed": 2,
    "reply_time_p50": 5 * SECOND,
    "reply_time_p95": 6 * SECOND,
    "first_responses": 2,
    "first_response_p50": 5 * SECOND,
    "first_response_p95": 306 * SECOND,
    "policy_blocks": 0,
    "send_failures": 1,
    "send_failures_by_class": {"rejected": 1},
    "average_price_to_asking": 0.95,
    "average_price_in_zone": 0.8,
    "messages_received": 3,
}
PLATFORM_FIGURES: dict[str, Any] = {
    "conversations_started": 5,
    "offers_received": 5,
    "deals_agreed": 3,
    "conversations_converted": 3,
    "conversion_rate": 0.6,
    "human_takeovers": 2,
    "takeover_rate": 0.4,
    "escrow_offered": 1,
    "scam_flags": 1,
    "replies_sent": 9,
    "replies_timed": 8,
    "reply_time_p50": 4 * SECOND,
    "reply_time_p95": 30 * SECOND,
    "first_responses": 5,
    "first_response_p50": 8 * SECOND,
    "first_response_p95": 306 * SECOND,
    "policy_blocks": 1,
    "send_failures": 1,
    "send_failures_by_class": {"rejected": 1},
    "average_price_to_asking": (0.9 + 0.9 + 0.95) / 3,
    "average_price_in_zone": (0.5 + 0.5 + 0.8) / 3,
    "messages_received": 10,
}
P1_FIGURES: dict[str, Any] = {
    "conversations_started": 2,
    "offers_received": 3,
    "deals_agreed": 1,
    "conversion_rate": 0.5,
    "human_takeovers": 1,
    "escrow_offered": 1,
    "replies_sent": 6,
    "replies_timed": 5,
    "reply_time_p50": 3 * SECOND,
    "reply_time_p95": 8 * SECOND,
    "first_response_p50": 2 * SECOND,
    "first_response_p95": 8 * SECOND,
    "average_price_to_asking": 0.9,
    "average_price_in_zone": 0.5,
    "messages_received": 5,
}
P2_FIGURES: dict[str, Any] = {
    "conversations_started": 1,
    "deals_agreed": 1,
    "conversion_rate": 1.0,
    "replies_sent": 1,
    "first_response_p50": 30 * SECOND,
    "policy_blocks": 1,
    "messages_received": 2,
}


def ms(duration: Duration) -> float:
    return duration.ToNanoseconds() / 1_000_000


def check(figures: pb.Figures, expected: dict[str, Any]) -> None:
    """Counts exactly; ratios to float precision; percentiles within the bins' resolution."""
    for name, want in expected.items():
        got = getattr(figures, name)
        if isinstance(got, Duration):
            assert abs(ms(got) - want) <= want * RESOLUTION, (name, ms(got), want)
        elif isinstance(want, float):
            assert got == pytest.approx(want), name
        elif isinstance(want, dict):
            assert dict(got) == want, name
        else:
            assert got == want, name


async def publish(
    service: Service, scenario: Scenario, *sources: Source, again: bool = False
) -> None:
    for item in scenario.events:
        if item.source in sources:
            msg_id = f"again-{item.event.event_id}" if again else None  # type: ignore[attr-defined]
            await service.publish(item.source, item.subject, item.event, msg_id=msg_id)


async def test_reports_match_the_hand_count_whatever_the_order_of_the_streams(
    service: Service,
) -> None:
    scenario = build()
    # Replies and buyer messages first: they wait for the turns (and Pages' sellers) they need.
    await publish(service, scenario, Source.DELIVERY, Source.INBOUND)
    await service.settle()
    await publish(service, scenario, Source.NEGOTIATION, Source.TENANTS)
    await service.settle()
    await check_every_scope(service)


async def check_every_scope(service: Service) -> None:
    check((await service.report(DAY1, END, seller_id=S1)).total, S1_FIGURES)
    check((await service.report(DAY1, END, seller_id=S2)).total, S2_FIGURES)
    check((await service.report(DAY1, END)).total, PLATFORM_FIGURES)
    check((await service.report(DAY1, END, page_id=P1)).total, P1_FIGURES)
    check((await service.report(DAY1, END, page_id=P2)).total, P2_FIGURES)
    # Listings: the Pages' figures, without buyer messages (inbound events name no listing).
    check(
        (await service.report(DAY1, END, listing_id=L1)).total,
        P1_FIGURES | {"messages_received": 0},
    )
    check(
        (await service.report(DAY1, END, listing_id=L2)).total,
        P2_FIGURES | {"messages_received": 0},
    )
    s2_listing = S2_FIGURES | {"messages_received": 0}
    check((await service.report(DAY1, END, listing_id=L3)).total, s2_listing)
    check((await service.report(DAY1, END, page_id=P3)).total, S2_FIGURES)


async def test_hour_and_day_buckets_split_the_hand_count(service: Service) -> None:
    scenario = build()
    await publish(service, scenario, *Source)
    await service.settle()
    hours = await service.report(DAY1, DAY1 + timedelta(days=1), pb.BUCKET_HOUR, seller_id=S1)
    assert [b.bucket_start.ToDatetime().hour for b in hours.buckets] == list(range(24))
    busy = {b.bucket_start.ToDatetime().hour: b for b in hours.buckets if b.conversations_started}
    assert set(busy) == {10, 11}
    check(busy[10], {"conversations_started": 2, "offers_received": 3, "deals_agreed": 1})
    check(busy[10], {"human_takeovers": 1, "replies_sent": 6, "messages_received": 5})
    check(busy[10], {"first_responses": 2, "first_response_p95": 8 * SECOND})
    check(busy[11], {"conversations_started": 1, "policy_blocks": 1, "messages_received": 2})
    check(busy[11], {"reply_time_p50": 30 * SECOND, "conversion_rate": 1.0})
    check(hours.total, S1_FIGURES)
    days = await service.report(DAY1 + timedelta(hours=5), END - timedelta(hours=1), pb.BUCKET_DAY)
    assert (days.start.ToDatetime(), days.end.ToDatetime()) == (
        DAY1.replace(tzinfo=None),
        END.replace(tzinfo=None),
    )
    first, second = days.buckets
    check(first, {"conversations_started": 4, "deals_agreed": 2, "replies_sent": 8})
    check(first, {"send_failures": 1, "messages_received": 9, "scam_flags": 1})
    check(second, {"conversations_started": 1, "deals_agreed": 1, "replies_sent": 1})
    check(second, {"first_response_p50": 5 * SECOND, "send_failures": 0})
    check(days.total, PLATFORM_FIGURES)


async def test_the_same_events_again_change_nothing(service: Service) -> None:
    scenario = build()
    await publish(service, scenario, *Source)
    await service.settle()
    before = await service.report(DAY1, END, pb.BUCKET_HOUR)
    # Same event ids under new Nats-Msg-Ids: JetStream keeps them, analytics must not count them.
    await publish(service, scenario, *Source, again=True)
    await service.settle()
    assert await service.report(DAY1, END, pb.BUCKET_HOUR) == before
    check(before.total, PLATFORM_FIGURES)
    logged = await service.analytics.pool.fetchval("SELECT count(*) FROM events")
    assert logged == len(scenario.events)


async def test_a_malformed_event_is_dead_lettered_alone_and_the_rest_counted(
    service: Service,
) -> None:
    scenario = build()
    await publish(service, scenario, Source.NEGOTIATION)
    subject = f"{service.prefix(Source.NEGOTIATION)}.{P1}.turn_decided"
    await bus.publish(service.js, subject, b"\xff\xfe not protobuf", msg_id="broken-1")
    await service.settle()
    spec = service.analytics.consumers[Source.NEGOTIATION].spec
    kept = await service.js.get_last_msg("PARLEY_DLQ", spec.dead_letter_subject)
    assert kept.data == b"\xff\xfe not protobuf"
    total = (await service.report(DAY1, END, seller_id=S1)).total
    check(total, {"conversations_started": 3, "deals_agreed": 2, "offers_received": 4})


async def test_a_batch_that_fails_is_handled_one_event_at_a_time(service: Service) -> None:
    scenario = build()
    # A conversation id PostgreSQL cannot store fails the whole batch: the events are handled
    # again one at a time, and only that one is dead-lettered.
    broken = scenario.turn(P1, "b\x00", DAY1, "answer", started=True)
    await publish(service, scenario, Source.NEGOTIATION)
    await service.settle()
    spec = service.analytics.consumers[Source.NEGOTIATION].spec
    kept = await service.js.get_last_msg("PARLEY_DLQ", spec.dead_letter_subject)
    assert kept.data == broken.SerializeToString()
    total = (await service.report(DAY1, END, seller_id=S1)).total
    check(total, {"conversations_started": 3, "deals_agreed": 2, "offers_received": 4})
