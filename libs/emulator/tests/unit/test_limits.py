"""Send API limits (MESSENGER.md): each limit accepts its boundary and rejects one more."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley_emulator.errors import GraphError
from parley_emulator.limits import validate_send


def text_body(text: str = "hi", **message: Any) -> dict[str, Any]:
    return {
        "recipient": {"id": "1"},
        "messaging_type": "RESPONSE",
        "message": {"text": text, **message},
    }


def qr(title: str = "Yes", payload: str = "YES") -> dict[str, Any]:
    return {"content_type": "text", "title": title, "payload": payload}


def button(title: str = "Buy", payload: str = "BUY") -> dict[str, Any]:
    return {"type": "postback", "title": title, "payload": payload}


def button_template(text: str = "Pick", buttons: list[Any] | None = None) -> dict[str, Any]:
    payload = {
        "template_type": "button",
        "text": text,
        "buttons": [button()] if buttons is None else buttons,
    }
    return {
        "recipient": {"id": "1"},
        "messaging_type": "RESPONSE",
        "message": {"attachment": {"type": "template", "payload": payload}},
    }


def element(title: str = "Bike", subtitle: str = "Red", buttons: int = 1) -> dict[str, Any]:
    return {"title": title, "subtitle": subtitle, "buttons": [button()] * buttons}


def generic(elements: list[Any]) -> dict[str, Any]:
    payload = {"template_type": "generic", "elements": elements}
    return {
        "recipient": {"id": "1"},
        "messaging_type": "RESPONSE",
        "message": {"attachment": {"type": "template", "payload": payload}},
    }


ACCEPTED = {
    "text of 2000": text_body("x" * 2000),
    "13 quick replies": text_body(quick_replies=[qr()] * 13),
    "quick reply title of 20": text_body(quick_replies=[qr(title="t" * 20)]),
    "quick reply payload of 1000": text_body(quick_replies=[qr(payload="p" * 1000)]),
    "metadata of 1000": text_body(metadata="m" * 1000),
    "button template text of 640": button_template("b" * 640),
    "button template with 3 buttons": button_template(buttons=[button()] * 3),
    "button title of 20": button_template(buttons=[button(title="t" * 20)]),
    "postback payload of 1000": button_template(buttons=[button(payload="p" * 1000)]),
    "generic with 10 elements": generic([element()] * 10),
    "element title and subtitle of 80": generic([element("t" * 80, "s" * 80)]),
    "element with 3 buttons": generic([element(buttons=3)]),
    "image by url": {
        "recipient": {"id": "1"},
        "messaging_type": "UPDATE",
        "message": {"attachment": {"type": "image", "payload": {"url": "https://x/y.png"}}},
    },
    "message tag": {**text_body(), "messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"},
    "utility": {**text_body(), "messaging_type": "UTILITY"},
    "private reply without messaging_type": {
        "recipient": {"comment_id": "1_2"},
        "message": {"text": "hi"},
    },
}

REJECTED = {
    "text of 2001": text_body("x" * 2001),
    "empty text": text_body(""),
    "14 quick replies": text_body(quick_replies=[qr()] * 14),
    "quick reply title of 21": text_body(quick_replies=[qr(title="t" * 21)]),
    "quick reply payload of 1001": text_body(quick_replies=[qr(payload="p" * 1001)]),
    "quick reply without payload": text_body(
        quick_replies=[{"content_type": "text", "title": "x"}]
    ),
    "quick reply of retired location type": text_body(quick_replies=[{"content_type": "location"}]),
    "metadata of 1001": text_body(metadata="m" * 1001),
    "button template text of 641": button_template("b" * 641),
    "button template with 4 buttons": button_template(buttons=[button()] * 4),
    "button template with no buttons": button_template(buttons=[]),
    "button title of 21": button_template(buttons=[button(title="t" * 21)]),
    "postback payload of 1001": button_template(buttons=[button(payload="p" * 1001)]),
    "generic with 11 elements": generic([element()] * 11),
    "element title of 81": generic([element("t" * 81)]),
    "element subtitle of 81": generic([element(subtitle="s" * 81)]),
    "element with 4 buttons": generic([element(buttons=4)]),
    "text and attachment": {
        **text_body(),
        "message": {"text": "x", "attachment": {"type": "image", "payload": {"url": "https://x"}}},
    },
    "neither text nor attachment": {**text_body(), "message": {}},
    "no messaging_type": {"recipient": {"id": "1"}, "message": {"text": "x"}},
    "unknown messaging_type": {**text_body(), "messaging_type": "NON_PROMOTIONAL_SUBSCRIPTION"},
    "no recipient": {"messaging_type": "RESPONSE", "message": {"text": "x"}},
    "recipient with id and comment_id": {
        **text_body(),
        "recipient": {"id": "1", "comment_id": "2"},
    },
    "no message nor sender_action": {"recipient": {"id": "1"}, "messaging_type": "RESPONSE"},
    "sender_action with a message": {**text_body(), "sender_action": "typing_on"},
    "unknown sender_action": {"recipient": {"id": "1"}, "sender_action": "typing"},
    "media without url": {
        "recipient": {"id": "1"},
        "messaging_type": "RESPONSE",
        "message": {"attachment": {"type": "image", "payload": {}}},
    },
}


@pytest.mark.parametrize("body", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_limits_accept_their_boundaries(body: dict[str, Any]) -> None:
    validate_send(body)


@pytest.mark.parametrize("body", REJECTED.values(), ids=REJECTED.keys())
def test_limits_reject_one_past_the_boundary_with_code_100(body: dict[str, Any]) -> None:
    with pytest.raises(GraphError) as caught:
        validate_send(body)
    assert caught.value.code == 100
    assert caught.value.message.startswith("(#100)")
    assert caught.value.status == 400


def test_sender_action_goes_alone_without_messaging_type() -> None:
    send = validate_send({"recipient": {"id": "42"}, "sender_action": "mark_seen"})
    assert (send.kind, send.sender_action, send.psid) == ("sender_action", "mark_seen", "42")


def test_text_length_counts_characters_not_bytes() -> None:
    assert validate_send(text_body("é" * 2000)).text == "é" * 2000


@given(st.text(min_size=1, max_size=2500))
def test_any_text_is_accepted_exactly_when_at_most_2000_characters(text: str) -> None:
    try:
        validate_send(text_body(text))
    except GraphError as error:
        assert len(text) > 2000 and error.code == 100
    else:
        assert len(text) <= 2000
