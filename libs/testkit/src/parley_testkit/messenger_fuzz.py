"""Hostile Messenger webhooks for fuzz tests: well-shaped envelopes whose items carry any value in
any field, valid text messages mixed in, and envelopes that are wrong in exactly one place."""

from __future__ import annotations

import json
import string
from typing import Any

from hypothesis import strategies as st

from parley_testkit import messenger as fb
from parley_testkit.http_fuzz import deep, encode, json_values, not_json, numbers, text

# The kinds of a `messaging` item (MESSENGER.md), each the key of its body.
KIND_KEYS = (
    "message",
    "postback",
    "referral",
    "delivery",
    "read",
    "reaction",
    "message_edit",
    "pass_thread_control",
    "take_thread_control",
    "request_thread_control",
    "optin",
    "policy_enforcement",
    "policy-enforcement",
)
_FIELD_NAMES = (
    "mid text payload title attachments watermark mids action reaction emoji num_edit is_echo "
    "app_id metadata quick_reply reply_to referral ref source type url sticker_id user_ref "
    "previous_owner_app_id new_owner_app_id requested_owner_app_id reason id"
).split()
_COMMENT_FIELDS = ("comment_id", "post_id", "parent_id", "from", "message", "verb", "created_time")
# Blank until the test gives each valid message a fresh mid.
BLANK_MID = "m_fuzz_"
LAST_MILLISECOND = 253_402_300_799_999
_BAD_ID_CHARS = st.sampled_from([".", " ", "*", ">", "\x00", "é", "/", "\n", "😀", "+"])

ids = st.one_of(st.text(string.digits, min_size=1, max_size=16), st.integers(0, 10**15))
bad_ids = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(),
    st.lists(ids, max_size=2),
    st.dictionaries(text, ids, max_size=2),
    st.just(""),
    st.integers(10**64, 10**80),
    st.text(string.digits, min_size=65, max_size=80),
    st.tuples(text, _BAD_ID_CHARS, text).map("".join),
)
_fields = st.one_of(st.sampled_from(_FIELD_NAMES), text)
_parties = st.one_of(st.fixed_dictionaries({"id": st.one_of(ids, json_values(4))}), json_values(4))


def _kind_item(key: str) -> st.SearchStrategy[dict[str, Any]]:
    # Mostly fields that matter, holding text or numbers (lone surrogates, NaN, huge values).
    values = st.one_of(text, numbers, json_values(4))
    body = st.one_of(st.dictionaries(_fields, values, max_size=4), json_values(4))
    optional = {"sender": _parties, "recipient": _parties, "timestamp": st.one_of(numbers, text)}
    return st.fixed_dictionaries({key: body}, optional=optional)


garbage_items = st.one_of([_kind_item(key) for key in KIND_KEYS])
unknown_items = st.dictionaries(text, json_values(4), max_size=3).filter(
    lambda item: not set(item) & set(KIND_KEYS)
)
valid_texts = st.builds(
    lambda body, ts, sender: fb.text(BLANK_MID, body, ts, sender),
    st.text(max_size=120),
    st.integers(0, LAST_MILLISECOND),
    st.text(string.digits, min_size=1, max_size=16),
)
_comment_values = st.fixed_dictionaries(
    {"item": st.one_of(st.just("comment"), text)},
    optional={name: json_values(4) for name in _COMMENT_FIELDS},
)
changes = st.fixed_dictionaries(
    {"field": st.one_of(st.just("feed"), text), "value": st.one_of(_comment_values, json_values(4))}
)
items = st.one_of(valid_texts, garbage_items, unknown_items)


def valid_text(item: dict[str, Any]) -> bool:
    """Whether the item is one of `valid_texts`."""
    message = item.get("message")
    return isinstance(message, dict) and str(message.get("mid", "")).startswith(BLANK_MID)


def page_entries() -> st.SearchStrategy[list[dict[str, Any]]]:
    """Entries of the right shape; their items hold anything, valid text messages among them."""
    entry = st.fixed_dictionaries(
        {"id": ids, "messaging": st.lists(items, max_size=3)},
        optional={
            "time": st.one_of(st.integers(0, LAST_MILLISECOND), json_values(2)),
            "standby": st.lists(items, max_size=2),
            "changes": st.lists(changes, max_size=2),
        },
    )
    return st.lists(entry, max_size=3)


def _not(kind: type | tuple[type, ...], values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return values.filter(lambda value: not isinstance(value, kind))


def bad_entries() -> st.SearchStrategy[Any]:
    """An entry that makes the whole webhook malformed: not an object, no usable id, or a
    `messaging` / `standby` / `changes` that is not a list of objects."""
    not_a_list = _not((list, type(None)), json_values(4))
    list_with_a_stray = st.tuples(
        st.lists(st.dictionaries(text, json_values(2), max_size=2), max_size=2),
        _not(dict, json_values(2)),
    ).map(lambda parts: [*parts[0], parts[1]])
    wrong = st.one_of(not_a_list, list_with_a_stray)
    bad_list = st.sampled_from(["messaging", "standby", "changes"]).flatmap(
        lambda key: st.fixed_dictionaries({"id": ids, key: wrong})
    )
    return st.one_of(
        _not(dict, json_values(6)),
        st.fixed_dictionaries({"id": bad_ids}, optional={"messaging": st.lists(items, max_size=2)}),
        st.dictionaries(st.sampled_from(["time", "messaging", "x"]), st.just([]), max_size=2),
        bad_list,
    )


def _is_webhook_object(body: bytes) -> bool:
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return False
    return isinstance(value, dict) and isinstance(value.get("object"), str)


def not_a_webhook() -> st.SearchStrategy[bytes]:
    """Bodies that are not a webhook envelope at all: not JSON, not an object, no string
    `object`, a Page webhook whose `entry` is not a list, or nesting too deep to read."""
    return st.one_of(
        not_json().filter(lambda body: not _is_webhook_object(body)),
        _not(dict, json_values(8)).map(encode),
        st.fixed_dictionaries(
            {"object": _not(str, json_values(4))},
            optional={"entry": json_values(4)},
        ).map(encode),
        st.fixed_dictionaries(
            {"object": st.just("page")},
            optional={"entry": _not(list, json_values(4))},
        ).map(encode),
        st.integers(2_000, 20_000).map(lambda n: b'{"object":"page","entry":[' + deep(n) + b"]}"),
    )
