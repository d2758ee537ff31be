"""Webhook payloads shaped as Meta documents them (MESSENGER.md), and their signatures."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

Item = dict[str, Any]
PAGE = "1122334455"
BUYER = "9988776655"


def signature(app_secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` value for a body."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def encode(payload: dict[str, Any]) -> bytes:
    """Serialise as Meta does: non-ASCII escaped as \\uXXXX."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode()


def envelope(
    *items: Item, page: str = PAGE, standby: tuple[Item, ...] = (), changes: tuple[Item, ...] = ()
) -> dict[str, Any]:
    """One entry holding the given messaging, standby and changes items."""
    entry: dict[str, Any] = {"id": page, "time": 1_700_000_000_000}
    if items:
        entry["messaging"] = list(items)
    if standby:
        entry["standby"] = list(standby)
    if changes:
        entry["changes"] = list(changes)
    return {"object": "page", "entry": [entry]}


def _base(ts: int, sender: str = BUYER, page: str = PAGE) -> Item:
    return {"sender": {"id": sender}, "recipient": {"id": page}, "timestamp": ts}


def text(mid: str, body: str, ts: int = 1_700_000_000_001, sender: str = BUYER) -> Item:
    """A buyer's text message."""
    return {**_base(ts, sender), "message": {"mid": mid, "text": body}}


def quick_reply(mid: str, title: str, payload: str, ts: int = 1_700_000_000_002) -> Item:
    """A quick-reply tap: the text is the button title."""
    return {
        **_base(ts),
        "message": {"mid": mid, "text": title, "quick_reply": {"payload": payload}},
    }


def attachment(mid: str, kind: str, url: str, ts: int = 1_700_000_000_003) -> Item:
    """A message with one attachment."""
    message = {"mid": mid, "attachments": [{"type": kind, "payload": {"url": url}}]}
    return {**_base(ts), "message": message}


def echo(mid: str, body: str, app_id: str, metadata: str = "", ts: int = 1_700_000_000_004) -> Item:
    """An echo of a message the Page sent (sender is the Page)."""
    item = _base(ts, sender=PAGE, page=BUYER)
    item["message"] = {"mid": mid, "text": body, "is_echo": True, "app_id": int(app_id)}
    if metadata:
        item["message"]["metadata"] = metadata
    return item


def postback(
    payload: str, title: str, mid: str = "", ref: str = "", ts: int = 1_700_000_000_005
) -> Item:
    """A button tap; with `ref`, a Get Started from an m.me link."""
    data: Item = {"payload": payload, "title": title}
    if mid:
        data["mid"] = mid
    if ref:
        data["referral"] = {"ref": ref, "source": "SHORTLINK", "type": "OPEN_THREAD"}
    return {**_base(ts), "postback": data}


def referral(ref: str, ts: int = 1_700_000_000_006) -> Item:
    """An m.me link opening an existing thread."""
    return {**_base(ts), "referral": {"ref": ref, "source": "SHORTLINK", "type": "OPEN_THREAD"}}


def delivery(mids: list[str], watermark: int) -> Item:
    """Messages delivered up to the watermark (no top-level timestamp, as Meta sends it)."""
    return {
        "sender": {"id": BUYER},
        "recipient": {"id": PAGE},
        "delivery": {"mids": mids, "watermark": watermark},
    }


def read(watermark: int, ts: int = 1_700_000_000_008) -> Item:
    """Messages read up to the watermark."""
    return {**_base(ts), "read": {"watermark": watermark}}


def reaction(
    mid: str, emoji: str = "\u2764", action: str = "react", ts: int = 1_700_000_000_009
) -> Item:
    """A reaction to a message."""
    return {
        **_base(ts),
        "reaction": {"reaction": "love", "emoji": emoji, "action": action, "mid": mid},
    }


def edit(mid: str, body: str, num_edit: int = 1, ts: int = 1_700_000_000_010) -> Item:
    """A buyer editing a message."""
    return {**_base(ts), "message_edit": {"mid": mid, "text": body, "num_edit": num_edit}}


def pass_thread(
    new_owner: str, previous: str = "263902037430900", ts: int = 1_700_000_000_011
) -> Item:
    """Control passed to `new_owner` (the Page Inbox marking a thread done passes it back)."""
    data = {"previous_owner_app_id": previous, "new_owner_app_id": new_owner, "metadata": "done"}
    return {**_base(ts), "pass_thread_control": data}


def take_thread(previous: str, new_owner: str, ts: int = 1_700_000_000_012) -> Item:
    """Control taken by `new_owner`."""
    data = {"previous_owner_app_id": previous, "new_owner_app_id": new_owner, "metadata": "mine"}
    return {**_base(ts), "take_thread_control": data}


def request_thread(requester: str, ts: int = 1_700_000_000_013) -> Item:
    """Another app asks for the thread."""
    data = {"requested_owner_app_id": requester, "metadata": "please"}
    return {**_base(ts), "request_thread_control": data}


def optin(ref: str, ts: int = 1_700_000_000_014) -> Item:
    """A plugin opt-in."""
    return {**_base(ts), "optin": {"ref": ref, "user_ref": "u-1", "type": "one_time_notif_req"}}


def policy(action: str, reason: str, ts: int = 1_700_000_000_015) -> Item:
    """A policy enforcement notice (Meta spells the key with a hyphen)."""
    return {
        "recipient": {"id": PAGE},
        "timestamp": ts,
        "policy-enforcement": {"action": action, "reason": reason},
    }


def feed_comment(
    comment_id: str, message: str, verb: str = "add", created_time: int = 1_700_000_016
) -> Item:
    """A `changes` entry for a comment on a Page post (created_time in seconds)."""
    value = {
        "item": "comment",
        "verb": verb,
        "comment_id": comment_id,
        "post_id": f"{PAGE}_777",
        "parent_id": f"{PAGE}_777",
        "from": {"id": BUYER, "name": "Ann Buyer"},
        "message": message,
        "created_time": created_time,
    }
    return {"field": "feed", "value": value}
