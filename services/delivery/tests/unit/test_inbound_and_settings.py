"""Inbound events to window facts, and the configuration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from parley.events.v1 import inbound_pb2 as pb
from parley_delivery.domain.inbound import BuyerAction, Comment, Echo, Receipt, window_updates
from parley_delivery.entrypoints.translate import facts_of
from parley_delivery.settings import DeliverySettings
from parley_kit.settings import SettingsError

T0 = datetime(2026, 6, 1, tzinfo=UTC)


def event(kind: str, seconds: int = 0, **fields: object) -> pb.InboundEvent:
    message = pb.InboundEvent(page_id="P", sender_id="B", recipient_id="P")
    message.occurred_at.FromDatetime(T0 + timedelta(seconds=seconds))
    getattr(message, kind).SetInParent()
    for name, value in fields.items():
        setattr(getattr(message, kind), name, value)
    return message


def test_messages_and_postbacks_are_turns_referrals_and_reactions_only_open_the_window() -> None:
    assert facts_of(event("message", mid="m1")) == [BuyerAction("P", "B", T0, turn=True)]
    assert facts_of(event("postback", payload="X")) == [BuyerAction("P", "B", T0, turn=True)]
    assert facts_of(event("referral")) == [BuyerAction("P", "B", T0, turn=False)]
    react = event("reaction", action=pb.REACTION_ACTION_REACT)
    assert facts_of(react) == [BuyerAction("P", "B", T0, turn=False)]
    assert facts_of(event("reaction", action=pb.REACTION_ACTION_UNREACT)) == []
    assert facts_of(event("pass_thread_control")) == []


def test_our_echoes_receipts_and_comments_become_facts() -> None:
    echo = event("echo", mid="m9", metadata="parley:k1:0|x")
    assert facts_of(echo) == [Echo("k1", 0, "m9", T0)]
    assert facts_of(event("echo", mid="m8", metadata="")) == []
    delivered = event("delivery")
    delivered.delivery.mids.append("m9")
    delivered.delivery.watermark.FromDatetime(T0)
    assert facts_of(delivered) == [Receipt("P", "B", False, T0, ("m9",))]
    comment = event("feed_comment", comment_id="c1", from_id="u1", verb=pb.FEED_VERB_ADD)
    assert facts_of(comment) == [Comment("c1", "P", "u1", T0)]


def test_one_window_update_per_buyer_keeps_the_latest_action_and_turn() -> None:
    later = T0 + timedelta(minutes=5)
    updates = window_updates(
        [
            BuyerAction("P", "B", later, turn=False),
            BuyerAction("P", "B", T0, turn=True),
            BuyerAction("P", "C", T0, turn=False),
        ]
    )
    by_buyer = {u.psid: u for u in updates}
    assert by_buyer["B"].last_action_at == later and by_buyer["B"].last_message_at == T0
    assert by_buyer["C"].last_message_at is None


BASE = {
    "PARLEY_DATABASE_URL": "postgresql://x@localhost/db",
    "PARLEY_NATS_URL": "nats://localhost:4222",
    "FACEBOOK_APP_ID": "1",
    "FACEBOOK_APP_SECRET": "secret-secret",
    "PARLEY_DELIVERY_CALLERS": "negotiation=token-0123456789abcdef",
}


def test_settings_default_to_the_local_mesh() -> None:
    settings = DeliverySettings.from_env(BASE)
    assert settings.port == 50053 and settings.db.schema == "delivery"
    assert settings.streams.replies == "PARLEY_REPLIES"
    assert settings.streams.inbound_prefix == "parley.inbound"
    assert settings.policy.pacing.enabled and settings.policy.bucket.rate == 40.0
    assert settings.caller_tokens() == {"token-0123456789abcdef": "negotiation"}


def test_settings_name_every_bad_variable() -> None:
    bad = {**BASE, "PARLEY_DELIVERY_PAGE_RATE": "900", "PARLEY_DELIVERY_PACING": "maybe"}
    with pytest.raises(SettingsError) as raised:
        DeliverySettings.from_env(bad)
    assert "PARLEY_DELIVERY_PAGE_RATE" in str(raised.value)
    assert "PARLEY_DELIVERY_PACING" in str(raised.value)
    with pytest.raises(SettingsError):
        DeliverySettings.from_env({**BASE, "PARLEY_DELIVERY_CALLERS": ""})
