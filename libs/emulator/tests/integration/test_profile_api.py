"""The Messenger Profile API: limits, reads, deletes, and its own rate limit."""

from __future__ import annotations

from typing import Any

import pytest

from parley_emulator.testing import PAGE_ID, Harness, error_of

pytestmark = pytest.mark.integration
PROFILE = "/v21.0/me/messenger_profile"


async def post(harness: Harness, body: dict[str, Any]) -> Any:
    return await harness.graph("POST", PROFILE, json=body)


@pytest.fixture(autouse=True)
async def roomy_rate_limit(harness: Harness) -> None:
    await harness.op("PUT", "/config", json={"profile_calls": 1000})


async def test_profile_fields_are_set_read_and_deleted(harness: Harness) -> None:
    greeting = [{"locale": "default", "text": "Hi {{user_first_name}}!"}]
    body = {
        "get_started": {"payload": "GET_STARTED"},
        "greeting": greeting,
        "ice_breakers": [{"question": "Is it available?", "payload": "AVAIL"}],
        "persistent_menu": [
            {
                "locale": "default",
                "call_to_actions": [
                    {"type": "postback", "title": "Talk to a person", "payload": "HUMAN"}
                ],
            }
        ],
        "whitelisted_domains": ["https://shop.example"],
    }
    response = await post(harness, body)
    assert response.json() == {"result": "success"}
    read = await harness.graph("GET", PROFILE, params={"fields": "greeting,get_started"})
    assert read.json() == {
        "data": [{"greeting": greeting, "get_started": {"payload": "GET_STARTED"}}]
    }
    deleted = await harness.graph("DELETE", PROFILE, json={"fields": ["greeting"]})
    assert deleted.json() == {"result": "success"}
    after = await harness.graph("GET", PROFILE, params={"fields": "greeting"})
    assert after.json() == {"data": []}


VIOLATIONS = {
    "greeting over 160": {"greeting": [{"locale": "default", "text": "g" * 161}]},
    "5 ice breakers": {"ice_breakers": [{"question": "q", "payload": "p"}] * 5},
    "menu without get started": {
        "persistent_menu": [
            {
                "locale": "default",
                "call_to_actions": [{"type": "postback", "title": "t", "payload": "p"}],
            }
        ]
    },
    "menu of 21 items": {
        "get_started": {"payload": "G"},
        "persistent_menu": [
            {
                "locale": "default",
                "call_to_actions": [{"type": "postback", "title": "t", "payload": "p"}] * 21,
            }
        ],
    },
    "menu title over 30": {
        "get_started": {"payload": "G"},
        "persistent_menu": [
            {
                "locale": "default",
                "call_to_actions": [{"type": "postback", "title": "t" * 31, "payload": "p"}],
            }
        ],
    },
    "51 whitelisted domains": {"whitelisted_domains": ["https://a.example"] * 51},
}


@pytest.mark.parametrize("body", VIOLATIONS.values(), ids=VIOLATIONS.keys())
async def test_profile_limit_violations_are_100(harness: Harness, body: dict[str, Any]) -> None:
    assert error_of(await post(harness, body))[0] == 100


async def test_eleventh_profile_call_in_ten_minutes_is_613(harness: Harness) -> None:
    await harness.op("PUT", "/config", json={"profile_calls": 10})
    body = {"get_started": {"payload": "GET_STARTED"}}
    answers = [await post(harness, body) for _ in range(10)]
    assert all(r.status_code == 200 for r in answers)
    assert error_of(await post(harness, body))[0] == 613
    assert error_of(await harness.graph("GET", PROFILE, params={"fields": "get_started"}))[0] == 613


async def test_profile_needs_a_page_token_of_this_page(harness: Harness) -> None:
    response = await harness.graph(
        "POST", f"/v21.0/{PAGE_ID}1/messenger_profile", json={"get_started": {"payload": "G"}}
    )
    assert error_of(response) == (100, 33)
