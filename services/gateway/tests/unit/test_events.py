"""Every webhook kind of MESSENGER.md becomes the right protobuf event with a stable id."""

from __future__ import annotations

from typing import Any

import pytest

from parley.events.v1 import inbound_pb2 as pb
from parley_gateway.domain.envelope import MalformedWebhook, WebhookItem, read_envelope
from parley_gateway.entrypoints.translate import UnusableItem, to_event
from parley_testkit import messenger as fb

RECEIVED = 1_700_000_100_000


def events_of(payload: dict[str, Any]) -> list[pb.InboundEvent]:
    return [to_event(item, RECEIVED) for item in read_envelope(payload).items]


def only_event(item: dict[str, Any]) -> pb.InboundEvent:
    (event,) = events_of(fb.envelope(item))
    return event


def test_text_message() -> None:
    event = only_event(fb.text("m_1", "is this still available?"))
    assert event.WhichOneof("kind") == "message"
    assert event.message.mid == "m_1"
    assert event.message.text == "is this still available?"
    assert (event.page_id, event.sender_id, event.recipient_id) == (fb.PAGE, fb.BUYER, fb.PAGE)
    assert event.occurred_at.ToMilliseconds() == 1_700_000_000_001
    assert event.received_at.ToMilliseconds() == RECEIVED
    assert event.event_id == "message:m_1"
    assert not event.standby


def test_quick_reply_keeps_payload_and_title() -> None:
    event = only_event(fb.quick_reply("m_2", "Saturday", "VIEWING_SAT"))
    assert event.message.quick_reply_payload == "VIEWING_SAT"
    assert event.message.text == "Saturday"


def test_attachments_reply_to_and_referral() -> None:
    item = fb.attachment("m_3", "image", "https://cdn.example/car.jpg")
    item["message"]["reply_to"] = {"mid": "m_0"}
    item["message"]["referral"] = {"ref": "listing-42", "source": "ADS", "type": "OPEN_THREAD"}
    item["message"]["attachments"].append({"type": "hologram", "payload": {}})
    event = only_event(item)
    first, unknown = event.message.attachments
    assert first.type == pb.ATTACHMENT_TYPE_IMAGE and first.url == "https://cdn.example/car.jpg"
    assert unknown.type == pb.ATTACHMENT_TYPE_UNSPECIFIED and unknown.type_name == "hologram"
    assert event.message.reply_to_mid == "m_0"
    assert event.message.referral.ref == "listing-42"
    assert event.message.referral.source == "ADS"


def test_sticker_is_recognised() -> None:
    item = fb.attachment("m_4", "image", "https://cdn.example/s.png")
    item["message"]["attachments"][0]["payload"]["sticker_id"] = 369239263222822
    event = only_event(item)
    assert event.message.attachments[0].type == pb.ATTACHMENT_TYPE_STICKER
    assert event.message.attachments[0].sticker_id == "369239263222822"


def test_echo_from_page_inbox_is_an_echo_not_a_message() -> None:
    event = only_event(fb.echo("m_5", "I'm the owner, hi!", "263902037430900", "human"))
    assert event.WhichOneof("kind") == "echo"
    assert event.echo.app_id == "263902037430900"
    assert event.echo.metadata == "human"
    assert event.echo.buyer_id == fb.BUYER
    assert event.event_id == "echo:m_5"


def test_postback_with_m_me_referral() -> None:
    event = only_event(fb.postback("GET_STARTED", "Get Started", mid="m_6", ref="car-7"))
    assert event.postback.payload == "GET_STARTED"
    assert event.postback.title == "Get Started"
    assert event.postback.referral.ref == "car-7"
    assert event.postback.referral.source == "SHORTLINK"
    assert event.event_id == "postback:m_6"


def test_postback_without_mid_gets_sender_timestamp_kind_id() -> None:
    event = only_event(fb.postback("MENU", "Menu", ts=1_700_000_000_123))
    assert event.event_id == f"postback:{fb.PAGE}:{fb.BUYER}:1700000000123"


def test_referral_into_existing_thread() -> None:
    event = only_event(fb.referral("listing-9"))
    assert event.WhichOneof("kind") == "referral"
    assert event.referral.referral.ref == "listing-9"
    assert event.referral.referral.type == "OPEN_THREAD"


def test_delivery_without_timestamp_uses_entry_time() -> None:
    event = only_event(fb.delivery(["m_a", "m_b"], 1_700_000_000_500))
    assert list(event.delivery.mids) == ["m_a", "m_b"]
    assert event.delivery.watermark.ToMilliseconds() == 1_700_000_000_500
    assert event.occurred_at.ToMilliseconds() == 1_700_000_000_000
    assert event.event_id == f"delivery:{fb.PAGE}:{fb.BUYER}:1700000000500"


def test_read() -> None:
    event = only_event(fb.read(1_700_000_000_600))
    assert event.read.watermark.ToMilliseconds() == 1_700_000_000_600


def test_reaction_and_unreaction_have_different_ids() -> None:
    react = only_event(fb.reaction("m_7"))
    unreact = only_event(fb.reaction("m_7", action="unreact"))
    assert react.reaction.action == pb.REACTION_ACTION_REACT
    assert react.reaction.emoji == "\u2764"
    assert unreact.reaction.action == pb.REACTION_ACTION_UNREACT
    assert react.event_id != unreact.event_id


def test_edit_ids_follow_the_edit_count() -> None:
    first = only_event(fb.edit("m_8", "7500 firm", 1))
    second = only_event(fb.edit("m_8", "7400 firm", 2))
    assert first.edit.text == "7500 firm" and first.edit.num_edit == 1
    assert first.event_id != second.event_id


def test_thread_control_events() -> None:
    passed = only_event(fb.pass_thread("111", previous="263902037430900"))
    taken = only_event(fb.take_thread("111", "263902037430900"))
    requested = only_event(fb.request_thread("263902037430900"))
    assert passed.pass_thread_control.new_owner_app_id == "111"
    assert passed.pass_thread_control.previous_owner_app_id == "263902037430900"
    assert taken.take_thread_control.new_owner_app_id == "263902037430900"
    assert requested.request_thread_control.requested_owner_app_id == "263902037430900"


def test_optin() -> None:
    event = only_event(fb.optin("plugin-ref"))
    assert event.optin.ref == "plugin-ref" and event.optin.user_ref == "u-1"


@pytest.mark.parametrize("key", ["policy-enforcement", "policy_enforcement"])
def test_policy_enforcement_with_either_spelling(key: str) -> None:
    item = fb.policy("block", "spam")
    item[key] = item.pop("policy-enforcement")
    event = only_event(item)
    assert event.policy_enforcement.action == pb.POLICY_ACTION_BLOCK
    assert event.policy_enforcement.reason == "spam"
    assert event.sender_id == ""


def test_feed_comment_from_changes() -> None:
    (event,) = events_of(fb.envelope(changes=(fb.feed_comment("c_1", "price?"),)))
    assert event.WhichOneof("kind") == "feed_comment"
    comment = event.feed_comment
    assert comment.comment_id == "c_1" and comment.message == "price?"
    assert comment.verb == pb.FEED_VERB_ADD
    assert comment.from_id == fb.BUYER and comment.from_name == "Ann Buyer"
    assert event.sender_id == fb.BUYER
    assert comment.created_at.seconds == 1_700_000_016
    assert event.event_id == "feed:c_1:add:1700000016000"


def test_standby_items_are_flagged() -> None:
    payload = fb.envelope(fb.text("m_9", "hello"), standby=(fb.postback("", "Buy"),))
    message, postback = events_of(payload)
    assert not message.standby
    assert postback.standby and postback.postback.payload == ""


def test_every_entry_and_every_item_of_a_batch_is_read() -> None:
    payload = fb.envelope(fb.text("m_a", "a"), fb.text("m_b", "b"))
    second = fb.envelope(fb.text("m_c", "c"), page="5566")
    payload["entry"].append(second["entry"][0])
    events = events_of(payload)
    assert [e.message.mid for e in events] == ["m_a", "m_b", "m_c"]
    assert [e.page_id for e in events] == [fb.PAGE, fb.PAGE, "5566"]


def test_a_thousand_events_in_one_post() -> None:
    payload = fb.envelope(*(fb.text(f"m_{i}", str(i)) for i in range(1000)))
    events = events_of(payload)
    assert len({e.event_id for e in events}) == 1000


def test_the_same_item_always_gets_the_same_id() -> None:
    item = fb.postback("P", "T", ts=42)
    assert only_event(item).event_id == only_event(dict(item)).event_id


def test_unknown_kinds_are_skipped_not_fatal() -> None:
    payload = fb.envelope(
        {"sender": {"id": "1"}, "recipient": {"id": "2"}, "app_roles": {"1": ["primary"]}},
        fb.text("m_ok", "still here"),
        changes=({"field": "ratings", "value": {}}, fb.feed_comment("c_2", "x", verb="add")),
    )
    payload["entry"][0]["changes"][1]["value"]["item"] = "like"
    envelope = read_envelope(payload)
    assert [item.kind for item in envelope.items] == ["message"]
    assert sorted(envelope.skipped) == ["feed_not_comment", "unknown_change", "unknown_kind"]


def test_entry_without_messaging_is_fine() -> None:
    assert read_envelope({"object": "page", "entry": [{"id": "1", "time": 1}]}).items == []


def test_other_objects_are_read_but_carry_nothing() -> None:
    envelope = read_envelope({"object": "instagram", "entry": [{"weird": True}]})
    assert envelope.object_type == "instagram" and envelope.items == []


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"entry": []},
        {"object": "page"},
        {"object": "page", "entry": {}},
        {"object": "page", "entry": [1]},
        {"object": "page", "entry": [{"time": 1}]},
        {"object": "page", "entry": [{"id": "a.b"}]},
        {"object": "page", "entry": [{"id": "1", "messaging": {}}]},
        {"object": "page", "entry": [{"id": "1", "standby": ["x"]}]},
    ],
)
def test_wrong_shapes_are_malformed(payload: Any) -> None:
    with pytest.raises(MalformedWebhook):
        read_envelope(payload)


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("message", {"sender": {"id": "1"}, "message": {"text": "no mid"}}),
        ("message", {"sender": {"id": "1"}, "message": "text"}),
        ("message", {"sender": {"id": "a b"}, "message": {"mid": "m"}}),
        ("delivery", {"delivery": {"mids": [1], "watermark": 5}}),
        ("read", {"read": {"watermark": "soon"}}),
        ("edit", {"message_edit": {"mid": "m", "num_edit": -1}}),
    ],
)
def test_unusable_items_raise(kind: str, body: dict[str, Any]) -> None:
    with pytest.raises(UnusableItem):
        to_event(WebhookItem("1", kind, False, body, 0), RECEIVED)


@pytest.mark.parametrize("stamp", [float("inf"), float("-inf"), float("nan")])
def test_infinite_or_nan_times_count_as_missing(stamp: float) -> None:
    item = {**fb.text("m_inf", "hi"), "timestamp": stamp}
    payload = fb.envelope(item, changes=(fb.feed_comment("c_1", "hi", created_time=stamp),))
    payload["entry"][0]["time"] = stamp
    message, comment = events_of(payload)
    assert message.occurred_at.ToMilliseconds() == 0
    assert comment.feed_comment.created_at.ToMilliseconds() == 0


@pytest.mark.parametrize(
    "body",
    [
        fb.text("m_s", "half a pair \ud800"),
        fb.text("m_\udfff", "fine"),
        fb.delivery(["m_\ud800"], 1_700_000_000_000),
        fb.postback("\ud83d", "title"),
    ],
)
def test_lone_surrogates_make_an_item_unusable(body: dict[str, Any]) -> None:
    (item,) = read_envelope(fb.envelope(body)).items
    with pytest.raises(UnusableItem, match="Unicode"):
        to_event(item, RECEIVED)


def test_long_natural_ids_are_bounded() -> None:
    event = only_event(fb.text("m_" + "x" * 500, "long mid"))
    assert len(event.event_id) < 140
    assert event.event_id == only_event(fb.text("m_" + "x" * 500, "long mid")).event_id
