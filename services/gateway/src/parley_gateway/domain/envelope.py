"""Reads a webhook envelope into items, one per event, without trusting its shape."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

# Subject tokens must not contain dots, spaces or wildcards; Facebook ids are digits.
_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
# protobuf Timestamps end with the year 9999.
LAST_MILLISECOND = 253_402_300_799_999

# Keys of a `messaging` item that name its kind, in the order they are looked for.
_KINDS: tuple[tuple[str, str], ...] = (
    ("message", "message"),
    ("postback", "postback"),
    ("referral", "referral"),
    ("delivery", "delivery"),
    ("read", "read"),
    ("reaction", "reaction"),
    ("message_edit", "edit"),
    ("pass_thread_control", "pass_thread_control"),
    ("take_thread_control", "take_thread_control"),
    ("request_thread_control", "request_thread_control"),
    ("optin", "optin"),
    ("policy_enforcement", "policy_enforcement"),
    ("policy-enforcement", "policy_enforcement"),
)


class MalformedWebhook(ValueError):
    """The envelope does not have the shape Facebook sends; the whole request is refused."""


@dataclass(frozen=True, slots=True)
class WebhookItem:
    """One event of a webhook: a `messaging`/`standby` item or a `changes` value."""

    page_id: str
    kind: str
    standby: bool
    body: Mapping[str, Any]
    entry_time_ms: int


@dataclass(slots=True)
class Envelope:
    """What a webhook request carried: its items, and what was skipped and why."""

    object_type: str
    items: list[WebhookItem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def as_id(value: object) -> str | None:
    """A Facebook id as a string, or None when it is not a safe id."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, str) and _ID.match(value):
        return value
    return None


def as_millis(value: object) -> int | None:
    """A millisecond timestamp, or None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):  # JSON's NaN and Infinity
        return None
    millis = int(value)
    return millis if 0 <= millis <= LAST_MILLISECOND else None


def read_envelope(payload: object) -> Envelope:
    """Split a decoded webhook body into items; raise MalformedWebhook on a wrong shape."""
    if not isinstance(payload, dict):
        raise MalformedWebhook("body must be a JSON object")
    object_type = payload.get("object")
    if not isinstance(object_type, str):
        raise MalformedWebhook("`object` must be a string")
    envelope = Envelope(object_type)
    if object_type != "page":
        return envelope
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise MalformedWebhook("`entry` must be a list")
    for entry in entries:
        _read_entry(entry, envelope)
    return envelope


def _read_entry(entry: object, envelope: Envelope) -> None:
    if not isinstance(entry, dict):
        raise MalformedWebhook("every entry must be an object")
    page_id = as_id(entry.get("id"))
    if page_id is None:
        raise MalformedWebhook("every entry needs an `id`")
    entry_time = as_millis(entry.get("time")) or 0
    for key, standby in (("messaging", False), ("standby", True)):
        for item in _list_of_objects(entry, key):
            _add_messaging(item, page_id, standby, entry_time, envelope)
    for change in _list_of_objects(entry, "changes"):
        _add_change(change, page_id, entry_time, envelope)


def _list_of_objects(entry: Mapping[str, Any], key: str) -> Iterator[Mapping[str, Any]]:
    items = entry.get(key)
    if items is None:
        return
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise MalformedWebhook(f"`{key}` must be a list of objects")
    yield from items


def _add_messaging(
    item: Mapping[str, Any], page_id: str, standby: bool, entry_time: int, envelope: Envelope
) -> None:
    kind = next((name for key, name in _KINDS if key in item), None)
    if kind is None:
        envelope.skipped.append("unknown_kind")
        return
    if kind == "message" and isinstance(item["message"], dict) and item["message"].get("is_echo"):
        kind = "echo"
    envelope.items.append(WebhookItem(page_id, kind, standby, item, entry_time))


def _add_change(
    change: Mapping[str, Any], page_id: str, entry_time: int, envelope: Envelope
) -> None:
    value = change.get("value")
    if change.get("field") != "feed" or not isinstance(value, dict):
        envelope.skipped.append("unknown_change")
        return
    if value.get("item") != "comment":
        envelope.skipped.append("feed_not_comment")
        return
    envelope.items.append(WebhookItem(page_id, "feed_comment", False, value, entry_time))
