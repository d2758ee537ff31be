"""Events from the bus read as facts; the service's settings; the operator command's times."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

import pytest
from nats.aio.msg import Msg

from parley.events.v1 import delivery_pb2, inbound_pb2, negotiation_pb2, tenants_pb2
from parley_analytics.bootstrap import consumer_specs
from parley_analytics.domain.facts import (
    BuyerMessage,
    DeletionRequested,
    Dropped,
    Noted,
    Sent,
    Source,
    Turn,
)
from parley_analytics.entrypoints.events import (
    decode_delivery,
    decode_inbound,
    decode_negotiation,
    decode_tenants,
)
from parley_analytics.entrypoints.operator_cli import moment
from parley_analytics.settings import AnalyticsSettings
from parley_kit.bus import PoisonMessage
from parley_kit.settings import SettingsError

AT = datetime(2026, 11, 30, 10, 5, tzinfo=UTC)


def msg(subject: str, data: bytes) -> Msg:
    return Msg(None, subject=subject, data=data)  # type: ignore[arg-type]


def test_a_buyer_message_is_a_fact_and_an_echo_names_its_buyer() -> None:
    event = inbound_pb2.InboundEvent(
        event_id="message:m1", page_id="p1", sender_id="b1", message=inbound_pb2.MessageReceived()
    )
    event.occurred_at.FromDatetime(AT)
    fact = decode_inbound(msg("parley.inbound.p1.message", event.SerializeToString()))
    assert fact == BuyerMessage(
        event_id="message:m1",
        source=Source.INBOUND,
        kind="message",
        at=AT,
        page_id="p1",
        buyer_id="b1",
    )
    echo = inbound_pb2.InboundEvent(
        event_id="echo:m2",
        page_id="p1",
        sender_id="p1",
        echo=inbound_pb2.MessageEchoed(buyer_id="b1"),
    )
    noted = decode_inbound(msg("parley.inbound.p1.echo", echo.SerializeToString()))
    assert isinstance(noted, Noted) and noted.buyer_id == "b1" and noted.kind == "echo"


def test_a_turn_keeps_its_optional_amounts_apart_from_zero() -> None:
    turn = negotiation_pb2.TurnDecided(
        event_id="t1", page_id="p1", seller_id="s1", conversation_id="c1", action="accept"
    )
    turn.buyer_at.FromDatetime(AT)
    turn.price_minor = 0
    fact = decode_negotiation(msg("parley.negotiation.p1.turn_decided", turn.SerializeToString()))
    assert isinstance(fact, Turn)
    assert fact.at == AT and fact.price_minor == 0 and fact.offer_minor is None


def test_replies_read_their_answer_time_and_outcome_names() -> None:
    sent = delivery_pb2.ReplySent(
        event_id="e1", reply=delivery_pb2.ReplyHeader(page_id="p1", conversation_id="c1")
    )
    sent.sent_at.FromDatetime(AT)
    sent.reply.in_reply_to_at.FromDatetime(AT - timedelta(seconds=2))
    fact = decode_delivery(msg("parley.delivery.p1.reply_sent", sent.SerializeToString()))
    assert isinstance(fact, Sent) and fact.answered_at == AT - timedelta(seconds=2)
    dropped = delivery_pb2.ReplyDropped(
        event_id="e2", outcome=delivery_pb2.REPLY_OUTCOME_RECIPIENT_UNAVAILABLE
    )
    fact = decode_delivery(msg("parley.delivery.p1.reply_dropped", dropped.SerializeToString()))
    assert isinstance(fact, Dropped) and fact.outcome == "recipient_unavailable"


def test_unknown_kinds_are_skipped_and_malformed_events_are_poison() -> None:
    assert decode_negotiation(msg("parley.negotiation.p1.something_new", b"")) is None
    assert decode_tenants(msg("parley.tenants.something_new", b"")) is None
    with pytest.raises(PoisonMessage):
        decode_delivery(msg("parley.delivery.p1.reply_sent", b"\xff\xff"))
    with pytest.raises(PoisonMessage, match="event_id"):
        decode_negotiation(msg("parley.negotiation.p1.turn_decided", b""))


def test_an_out_of_range_time_makes_an_event_poison_not_a_crash() -> None:
    turn = negotiation_pb2.TurnDecided(event_id="t1")
    turn.decided_at.seconds = 10**12  # past the year 9999
    with pytest.raises(PoisonMessage, match="out of range"):
        decode_negotiation(msg("parley.negotiation.p1.turn_decided", turn.SerializeToString()))


def test_a_deletion_request_never_writes_the_persons_id_to_the_log() -> None:
    request = tenants_pb2.UserDataDeletionRequested(
        event_id="d1", facebook_user_id="9001", seller_ids=["s1"], page_ids=["p1"]
    )
    fact = decode_tenants(
        msg("parley.tenants.user_data_deletion_requested", request.SerializeToString())
    )
    assert isinstance(fact, DeletionRequested) and fact.user_id == "9001"
    assert "9001" not in repr(fact.details()) and fact.buyer_id == ""


BASE = {"PARLEY_DATABASE_URL": "postgresql://db/parley", "PARLEY_NATS_URL": "nats://bus:4222"}


def test_settings_default_to_the_producers_streams_and_port_50054() -> None:
    settings = AnalyticsSettings.from_env({**BASE, "PARLEY_ANALYTICS_AUTH_DISABLED": "true"})
    assert settings.port == 50054 and settings.db.schema == "analytics"
    assert settings.metrics_port is None
    specs = consumer_specs(settings)
    assert {s.value: (spec.stream, spec.durable) for s, spec in specs.items()} == {
        "inbound": ("PARLEY_INBOUND", "analytics-inbound"),
        "negotiation": ("PARLEY_NEGOTIATION", "analytics-negotiation"),
        "delivery": ("PARLEY_DELIVERY", "analytics-delivery"),
        "tenants": ("PARLEY_TENANTS", "analytics-tenants"),
    }
    assert specs[Source.DELIVERY].filter_subjects == ("parley.delivery.>",)


def test_settings_require_callers_unless_auth_is_disabled() -> None:
    with pytest.raises(SettingsError, match="PARLEY_ANALYTICS_CALLERS"):
        AnalyticsSettings.from_env(BASE)
    callers = "gateway=gateway-token-0123456789,operator=operator-token-01234567"
    settings = AnalyticsSettings.from_env({**BASE, "PARLEY_ANALYTICS_CALLERS": callers})
    assert set(settings.caller_tokens().values()) == {"gateway", "operator"}


def test_report_times_are_dates_times_or_hours_and_days_ago() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert moment("36h", now) == now - timedelta(hours=36)
    assert moment("7d", now) == now - timedelta(days=7)
    assert moment("2026-11-30", now) == datetime(2026, 11, 30, tzinfo=UTC)
    assert moment("2026-11-30T08:00:00+07:00", now) == datetime(2026, 11, 30, 1, tzinfo=UTC)
    with pytest.raises(argparse.ArgumentTypeError):
        moment("last week", now)
