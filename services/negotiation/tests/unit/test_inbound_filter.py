"""Negotiation's inbound consumer asks JetStream only for the kinds it acts on."""

from __future__ import annotations

from parley.events.v1.inbound_pb2 import InboundEvent
from parley_negotiation.bootstrap import inbound_consumer
from parley_negotiation.service_layer.handle import HANDLED_KINDS
from parley_negotiation.settings import NegotiationSettings

ENV = {
    "PARLEY_DATABASE_URL": "postgresql://u:p@127.0.0.1:5432/db",
    "PARLEY_NATS_URL": "nats://127.0.0.1:4222",
    "PARLEY_NEGOTIATION_AUTH_DISABLED": "true",
}


def test_the_consumer_filters_by_kind_and_skips_receipts() -> None:
    spec = inbound_consumer(NegotiationSettings.from_env(ENV))
    assert "parley.inbound.*.message" in spec.filter_subjects
    assert "parley.inbound.*.echo" in spec.filter_subjects
    assert "parley.inbound.*.feed_comment" in spec.filter_subjects
    assert not any(s.endswith((".read", ".delivery")) for s in spec.filter_subjects)
    assert len(spec.filter_subjects) == len(HANDLED_KINDS)


def test_every_handled_kind_is_a_kind_of_inbound_event() -> None:
    kinds = {field.name for field in InboundEvent.DESCRIPTOR.oneofs_by_name["kind"].fields}
    assert HANDLED_KINDS <= kinds
    assert {"read", "delivery"} <= kinds - HANDLED_KINDS
