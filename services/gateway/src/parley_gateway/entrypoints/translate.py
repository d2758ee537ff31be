"""Turns webhook items into `parley.events.v1.InboundEvent` protobufs with stable event ids."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from parley.events.v1 import inbound_pb2 as pb
from parley_gateway.domain.envelope import LAST_MILLISECOND, WebhookItem, as_id, as_millis

Body = Mapping[str, Any]
Translator = Callable[[pb.InboundEvent, Body], str]
_MAX_ID = 200  # longer natural keys are hashed to keep Nats-Msg-Id bounded


class UnusableItem(ValueError):
    """An item of a known kind lacks what is needed to use it; it is skipped and counted."""


def _obj(body: Body, key: str) -> Body:
    value = body.get(key)
    if not isinstance(value, dict):
        raise UnusableItem(f"`{key}` must be an object")
    return value


def _text(body: Body, key: str, limit: int = 100_000) -> str:
    value = body.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise UnusableItem(f"`{key}` must be a string")
    return str(value)[:limit]


def _required(body: Body, key: str) -> str:
    value = _text(body, key)
    if not value:
        raise UnusableItem(f"`{key}` is required")
    return value


def _party(body: Body, key: str) -> str:
    party = body.get(key)
    if party is None:
        return ""
    if not isinstance(party, dict) or as_id(party.get("id")) is None:
        raise UnusableItem(f"`{key}.id` must be an id")
    return str(as_id(party.get("id")))


def _timestamp(millis: int) -> Timestamp:
    stamp = Timestamp()
    stamp.FromMilliseconds(millis)
    return stamp


def _referral(body: Body | None) -> pb.Referral | None:
    if body is None:
        return None
    if not isinstance(body, dict):
        raise UnusableItem("`referral` must be an object")
    return pb.Referral(
        ref=_text(body, "ref"),
        source=_text(body, "source"),
        type=_text(body, "type"),
        ad_id=_text(body, "ad_id"),
    )


_ATTACHMENT_TYPES = {
    "image": pb.ATTACHMENT_TYPE_IMAGE,
    "audio": pb.ATTACHMENT_TYPE_AUDIO,
    "video": pb.ATTACHMENT_TYPE_VIDEO,
    "file": pb.ATTACHMENT_TYPE_FILE,
    "sticker": pb.ATTACHMENT_TYPE_STICKER,
    "fallback": pb.ATTACHMENT_TYPE_FALLBACK,
    "location": pb.ATTACHMENT_TYPE_LOCATION,
    "template": pb.ATTACHMENT_TYPE_TEMPLATE,
    "reel": pb.ATTACHMENT_TYPE_REEL,
    "ig_reel": pb.ATTACHMENT_TYPE_REEL,
}


def _attachments(body: Body) -> list[pb.Attachment]:
    items = body.get("attachments") or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise UnusableItem("`attachments` must be a list of objects")
    return [_attachment(item) for item in items]


def _attachment(item: Body) -> pb.Attachment:
    raw_payload = item.get("payload")
    payload: Body = raw_payload if isinstance(raw_payload, dict) else {}
    type_name = _text(item, "type")
    kind = _ATTACHMENT_TYPES.get(type_name, pb.ATTACHMENT_TYPE_UNSPECIFIED)
    sticker = _text(payload, "sticker_id")
    if sticker and kind == pb.ATTACHMENT_TYPE_IMAGE:
        kind = pb.ATTACHMENT_TYPE_STICKER
    return pb.Attachment(
        type=kind,
        type_name=type_name,
        url=_text(payload, "url"),
        sticker_id=sticker,
        title=_text(item, "title") or _text(payload, "title"),
    )


def _message(event: pb.InboundEvent, body: Body) -> str:
    msg = _obj(body, "message")
    mid = _required(msg, "mid")
    quick = msg.get("quick_reply")
    reply_to = msg.get("reply_to")
    received = event.message  # filled in place: cheaper than building and copying
    received.mid = mid
    received.text = _text(msg, "text")
    if isinstance(quick, dict):
        received.quick_reply_payload = _text(quick, "payload")
    if "attachments" in msg:
        received.attachments.extend(_attachments(msg))
    if isinstance(reply_to, dict):
        received.reply_to_mid = _text(reply_to, "mid")
    referral = _referral(msg.get("referral"))
    if referral is not None:
        received.referral.CopyFrom(referral)
    return f"message:{mid}"


def _echo(event: pb.InboundEvent, body: Body) -> str:
    msg = _obj(body, "message")
    mid = _required(msg, "mid")
    event.echo.CopyFrom(
        pb.MessageEchoed(
            mid=mid,
            text=_text(msg, "text"),
            app_id=_text(msg, "app_id"),
            metadata=_text(msg, "metadata"),
            attachments=_attachments(msg),
            buyer_id=event.recipient_id,
        )
    )
    return f"echo:{mid}"


def _postback(event: pb.InboundEvent, body: Body) -> str:
    postback = _obj(body, "postback")
    mid = _text(postback, "mid")
    event.postback.CopyFrom(
        pb.PostbackReceived(
            mid=mid,
            payload=_text(postback, "payload"),
            title=_text(postback, "title"),
            referral=_referral(postback.get("referral")),
        )
    )
    return f"postback:{mid}" if mid else _fallback_id(event, "postback")


def _referral_event(event: pb.InboundEvent, body: Body) -> str:
    event.referral.CopyFrom(pb.ReferralReceived(referral=_referral(_obj(body, "referral"))))
    return _fallback_id(event, "referral")


def _watermark(body: Body) -> int:
    watermark = as_millis(body.get("watermark"))
    if watermark is None:
        raise UnusableItem("`watermark` must be a millisecond timestamp")
    return watermark


def _delivery(event: pb.InboundEvent, body: Body) -> str:
    delivery = _obj(body, "delivery")
    mids = delivery.get("mids") or []
    if not isinstance(mids, list) or not all(isinstance(m, str) for m in mids):
        raise UnusableItem("`delivery.mids` must be a list of strings")
    watermark = _watermark(delivery)
    event.delivery.CopyFrom(pb.MessagesDelivered(mids=mids, watermark=_timestamp(watermark)))
    return f"delivery:{event.page_id}:{event.sender_id}:{watermark}"


def _read(event: pb.InboundEvent, body: Body) -> str:
    watermark = _watermark(_obj(body, "read"))
    event.read.CopyFrom(pb.MessagesRead(watermark=_timestamp(watermark)))
    return f"read:{event.page_id}:{event.sender_id}:{watermark}"


_REACTION_ACTIONS = {"react": pb.REACTION_ACTION_REACT, "unreact": pb.REACTION_ACTION_UNREACT}


def _reaction(event: pb.InboundEvent, body: Body) -> str:
    reaction = _obj(body, "reaction")
    action = _text(reaction, "action")
    event.reaction.CopyFrom(
        pb.ReactionChanged(
            mid=_text(reaction, "mid"),
            reaction=_text(reaction, "reaction"),
            emoji=_text(reaction, "emoji"),
            action=_REACTION_ACTIONS.get(action, pb.REACTION_ACTION_UNSPECIFIED),
        )
    )
    return _fallback_id(event, f"reaction:{action}")


def _edit(event: pb.InboundEvent, body: Body) -> str:
    edit = _obj(body, "message_edit")
    mid = _required(edit, "mid")
    num_edit = edit.get("num_edit", 0)
    if isinstance(num_edit, bool) or not isinstance(num_edit, int) or num_edit < 0:
        raise UnusableItem("`num_edit` must be a count")
    num_edit = min(num_edit, 2**31 - 1)
    event.edit.CopyFrom(pb.MessageEdited(mid=mid, text=_text(edit, "text"), num_edit=num_edit))
    return f"edit:{mid}:{num_edit}"


def _thread_control(kind: str) -> Translator:
    """Translator for pass_thread_control and take_thread_control: the same three fields."""

    def translate(event: pb.InboundEvent, body: Body) -> str:
        data = _obj(body, kind)
        target = getattr(event, kind)
        target.previous_owner_app_id = _text(data, "previous_owner_app_id")
        target.new_owner_app_id = _text(data, "new_owner_app_id")
        target.metadata = _text(data, "metadata")
        return _fallback_id(event, kind)

    return translate


def _request_thread(event: pb.InboundEvent, body: Body) -> str:
    data = _obj(body, "request_thread_control")
    event.request_thread_control.CopyFrom(
        pb.ThreadControlRequested(
            requested_owner_app_id=_text(data, "requested_owner_app_id"),
            metadata=_text(data, "metadata"),
        )
    )
    return _fallback_id(event, "request_thread_control")


def _optin(event: pb.InboundEvent, body: Body) -> str:
    optin = _obj(body, "optin")
    event.optin.CopyFrom(
        pb.OptinReceived(
            ref=_text(optin, "ref"),
            user_ref=_text(optin, "user_ref"),
            type=_text(optin, "type"),
            payload=_text(optin, "payload"),
        )
    )
    return _fallback_id(event, "optin")


_POLICY_ACTIONS = {
    "warning": pb.POLICY_ACTION_WARNING,
    "block": pb.POLICY_ACTION_BLOCK,
    "unblock": pb.POLICY_ACTION_UNBLOCK,
}


def _policy(event: pb.InboundEvent, body: Body) -> str:
    data = body.get("policy_enforcement", body.get("policy-enforcement"))
    if not isinstance(data, dict):
        raise UnusableItem("`policy_enforcement` must be an object")
    action = _text(data, "action")
    event.policy_enforcement.CopyFrom(
        pb.PolicyEnforced(
            action=_POLICY_ACTIONS.get(action, pb.POLICY_ACTION_UNSPECIFIED),
            reason=_text(data, "reason"),
        )
    )
    return _fallback_id(event, f"policy_enforcement:{action}")


_FEED_VERBS = {
    "add": pb.FEED_VERB_ADD,
    "edited": pb.FEED_VERB_EDITED,
    "remove": pb.FEED_VERB_REMOVE,
    "hide": pb.FEED_VERB_HIDE,
    "unhide": pb.FEED_VERB_UNHIDE,
}


def _fallback_id(event: pb.InboundEvent, kind: str) -> str:
    """Id for events without a mid: sender + timestamp + kind (MESSENGER.md)."""
    millis = event.occurred_at.ToMilliseconds()
    return f"{kind}:{event.page_id}:{event.sender_id}:{millis}"


_TRANSLATORS: dict[str, Translator] = {
    "message": _message,
    "echo": _echo,
    "postback": _postback,
    "referral": _referral_event,
    "delivery": _delivery,
    "read": _read,
    "reaction": _reaction,
    "edit": _edit,
    "pass_thread_control": _thread_control("pass_thread_control"),
    "take_thread_control": _thread_control("take_thread_control"),
    "request_thread_control": _request_thread,
    "optin": _optin,
    "policy_enforcement": _policy,
}


def _feed_comment(item: WebhookItem, received_ms: int) -> pb.InboundEvent:
    value = item.body
    comment_id = _required(value, "comment_id")
    sender = value.get("from")
    from_id = as_id(sender.get("id")) if isinstance(sender, dict) else None
    created = as_millis(value.get("created_time"))  # seconds, as Meta sends them
    in_range = created is not None and created * 1000 <= LAST_MILLISECOND
    created_ms = created * 1000 if created is not None and in_range else item.entry_time_ms
    verb = _text(value, "verb")
    event = pb.InboundEvent(
        page_id=item.page_id,
        sender_id=from_id or "",
        recipient_id=item.page_id,
        occurred_at=_timestamp(created_ms),
        received_at=_timestamp(received_ms),
    )
    event.feed_comment.CopyFrom(
        pb.FeedCommentChanged(
            comment_id=comment_id,
            post_id=_text(value, "post_id"),
            parent_id=_text(value, "parent_id"),
            verb=_FEED_VERBS.get(verb, pb.FEED_VERB_UNSPECIFIED),
            message=_text(value, "message"),
            from_id=from_id or "",
            from_name=_text(sender, "name") if isinstance(sender, dict) else "",
            created_at=_timestamp(created_ms),
        )
    )
    event.event_id = _bounded(f"feed:{comment_id}:{verb}:{created_ms}")
    return event


def _bounded(natural: str) -> str:
    if len(natural) <= _MAX_ID:
        return natural
    return natural[:64] + ":" + hashlib.sha256(natural.encode()).hexdigest()


def to_event(item: WebhookItem, received_ms: int) -> pb.InboundEvent:
    """The protobuf event for one webhook item; raises UnusableItem when it cannot be used."""
    try:
        return _translate(item, received_ms)
    except UnicodeEncodeError as exc:  # a lone surrogate (`"\ud800"` in the JSON)
        raise UnusableItem("a text is not valid Unicode") from exc


def _translate(item: WebhookItem, received_ms: int) -> pb.InboundEvent:
    if item.kind == "feed_comment":
        return _feed_comment(item, received_ms)
    body = item.body
    occurred = as_millis(body.get("timestamp"))
    event = pb.InboundEvent(
        page_id=item.page_id,
        sender_id=_party(body, "sender"),
        recipient_id=_party(body, "recipient"),
        occurred_at=_timestamp(occurred if occurred is not None else item.entry_time_ms),
        received_at=_timestamp(received_ms),
        standby=item.standby,
    )
    event.event_id = _bounded(_TRANSLATORS[item.kind](event, body))
    return event
