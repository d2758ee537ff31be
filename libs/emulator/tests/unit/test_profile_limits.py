"""Messenger Profile limits (MESSENGER.md) as pure checks."""

from __future__ import annotations

from typing import Any

import pytest

from parley_emulator.errors import GraphError
from parley_emulator.profile_limits import validate_profile_delete, validate_profile_update

STARTED = {"get_started": {"payload": "GET_STARTED"}}


def menu(items: int = 1, title: str = "Shop") -> list[dict[str, Any]]:
    actions = [{"type": "postback", "title": title, "payload": "P"}] * items
    return [{"locale": "default", "call_to_actions": actions}]


ACCEPTED = {
    "greeting of 160": {"greeting": [{"locale": "default", "text": "g" * 160}]},
    "4 ice breakers": {"ice_breakers": [{"question": "q", "payload": "p"}] * 4},
    "4 ice breakers per locale": {
        "ice_breakers": [
            {"locale": "default", "call_to_actions": [{"question": "q", "payload": "p"}] * 4}
        ]
    },
    "menu of 20 with get started": {**STARTED, "persistent_menu": menu(20)},
    "menu title of 30": {**STARTED, "persistent_menu": menu(1, "t" * 30)},
    "50 domains": {"whitelisted_domains": ["https://shop.example"] * 50},
}

REJECTED = {
    "greeting of 161": {"greeting": [{"locale": "default", "text": "g" * 161}]},
    "greeting without default locale": {"greeting": [{"locale": "fr_FR", "text": "Salut"}]},
    "5 ice breakers": {"ice_breakers": [{"question": "q", "payload": "p"}] * 5},
    "menu without get started": {"persistent_menu": menu()},
    "menu of 21": {**STARTED, "persistent_menu": menu(21)},
    "menu title of 31": {**STARTED, "persistent_menu": menu(1, "t" * 31)},
    "51 domains": {"whitelisted_domains": ["https://shop.example"] * 51},
    "http domain": {"whitelisted_domains": ["http://shop.example"]},
    "get started payload of 1001": {"get_started": {"payload": "p" * 1001}},
    "no known field": {"colour": "red"},
}


@pytest.mark.parametrize("update", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_profile_limits_accept_their_boundaries(update: dict[str, Any]) -> None:
    assert validate_profile_update(update, {})


@pytest.mark.parametrize("update", REJECTED.values(), ids=REJECTED.keys())
def test_profile_limits_reject_past_the_boundary(update: dict[str, Any]) -> None:
    with pytest.raises(GraphError) as caught:
        validate_profile_update(update, {})
    assert caught.value.code == 100


def test_menu_may_rely_on_a_get_started_set_earlier() -> None:
    assert validate_profile_update({"persistent_menu": menu()}, STARTED)


def test_get_started_cannot_be_deleted_under_a_menu() -> None:
    current = {**STARTED, "persistent_menu": menu()}
    with pytest.raises(GraphError):
        validate_profile_delete(["get_started"], current)
    assert validate_profile_delete("get_started,persistent_menu", current) == [
        "get_started",
        "persistent_menu",
    ]
