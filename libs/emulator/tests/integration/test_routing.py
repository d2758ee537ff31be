"""Conversation Routing: the Page Inbox, standby, thread control between apps."""

from __future__ import annotations

import pytest

from parley_emulator.model import PAGE_INBOX_APP_ID
from parley_emulator.testing import (
    APP_ID,
    APP_SECRET,
    OTHER_APP_ID,
    OTHER_SECRET,
    PAGE_ID,
    PSID,
    Harness,
    error_of,
)

pytestmark = pytest.mark.integration


async def pass_to(harness: Harness, target: str, metadata: str = "needs a human") -> None:
    response = await harness.graph(
        "POST",
        "/v21.0/me/pass_thread_control",
        json={"recipient": {"id": PSID}, "target_app_id": target, "metadata": metadata},
    )
    assert response.json() == {"success": True}, response.text


async def owner(harness: Harness) -> str:
    response = await harness.graph("GET", "/v21.0/me/thread_owner", params={"recipient": PSID})
    app_id: str = response.json()["data"][0]["thread_owner"]["app_id"]
    return app_id


async def connect_other_app(harness: Harness) -> str:
    await harness.op(
        "POST", "/apps", json={"id": OTHER_APP_ID, "callback_url": harness.receiver.url}
    )
    connected = await harness.op("POST", f"/pages/{PAGE_ID}/apps", json={"app_id": OTHER_APP_ID})
    token: str = connected["access_token"]
    return token


async def test_the_page_inbox_round_trip(harness: Harness) -> None:
    await harness.buyer(text="I want to talk to a person")
    assert await owner(harness) == APP_ID
    await pass_to(harness, PAGE_INBOX_APP_ID)
    assert await owner(harness) == PAGE_INBOX_APP_ID
    assert error_of(await harness.text("bot here")) == (10, 2018300)

    await harness.buyer(text="hello?")
    await harness.buyer(postback={"payload": "MENU_HUMAN", "title": "Talk to us"})
    reply = await harness.op(
        "POST", f"/threads/{PAGE_ID}/{PSID}/inbox/reply", json={"text": "Hi, Sam here."}
    )
    await harness.settle()
    standby = harness.receiver.events("standby")
    assert standby[0]["message"]["text"] == "hello?"
    assert standby[1]["postback"] == {"title": "Talk to us", "mid": standby[1]["postback"]["mid"]}
    echo = standby[2]["message"]
    assert echo["is_echo"] and echo["app_id"] == int(PAGE_INBOX_APP_ID)
    assert echo["mid"] == reply["mid"] and echo["text"] == "Hi, Sam here."
    thread = await harness.thread()
    assert thread["owner_is_page_inbox"] is True
    assert thread["items"][-1]["app_id"] == PAGE_INBOX_APP_ID

    await harness.op("POST", f"/threads/{PAGE_ID}/{PSID}/inbox/done")
    await harness.settle()
    handover = harness.receiver.events()[-1]["pass_thread_control"]
    assert handover["previous_owner_app_id"] == PAGE_INBOX_APP_ID
    assert handover["new_owner_app_id"] == APP_ID
    assert await owner(harness) == APP_ID
    assert (await harness.text("The assistant is back.")).status_code == 200


async def test_only_the_owner_passes_control_and_only_to_a_connected_app(
    harness: Harness,
) -> None:
    await harness.buyer(text="hi")
    bad_target = await harness.graph(
        "POST",
        "/v21.0/me/pass_thread_control",
        json={"recipient": {"id": PSID}, "target_app_id": "999"},
    )
    assert error_of(bad_target)[0] == 100
    await pass_to(harness, PAGE_INBOX_APP_ID)
    again = await harness.graph(
        "POST",
        "/v21.0/me/pass_thread_control",
        json={"recipient": {"id": PSID}, "target_app_id": PAGE_INBOX_APP_ID},
    )
    assert error_of(again) == (10, 2018300)


async def test_secondary_app_gets_control_and_the_primary_takes_it_back(
    harness: Harness,
) -> None:
    other_token = await connect_other_app(harness)
    await harness.buyer(text="hi")
    await pass_to(harness, OTHER_APP_ID, metadata="handing you this one")
    await harness.settle()
    [passed] = [
        e for e in harness.receiver.events(secret=OTHER_SECRET) if "pass_thread_control" in e
    ]
    assert passed["pass_thread_control"] == {
        "previous_owner_app_id": APP_ID,
        "new_owner_app_id": OTHER_APP_ID,
        "metadata": "handing you this one",
    }
    body = {"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"text": "x"}}
    sent = await harness.graph(
        "POST", "/v21.0/me/messages", token=other_token, secret=OTHER_SECRET, proof=False, json=body
    )
    assert sent.status_code == 200
    take = await harness.graph(
        "POST",
        "/v21.0/me/take_thread_control",
        json={"recipient": {"id": PSID}, "metadata": "mine again"},
    )
    assert take.json() == {"success": True}
    await harness.settle()
    [taken] = [
        e for e in harness.receiver.events(secret=OTHER_SECRET) if "take_thread_control" in e
    ]
    assert taken["take_thread_control"]["new_owner_app_id"] == APP_ID
    assert await owner(harness) == APP_ID


async def test_a_non_owner_requests_control_and_the_owner_hears_it(harness: Harness) -> None:
    other_token = await connect_other_app(harness)
    await harness.buyer(text="hi")
    response = await harness.graph(
        "POST",
        "/v21.0/me/request_thread_control",
        token=other_token,
        proof=False,
        json={"recipient": {"id": PSID}, "metadata": "please"},
    )
    assert response.json() == {"success": True}
    await harness.settle()
    [request] = [
        e for e in harness.receiver.events(secret=APP_SECRET) if "request_thread_control" in e
    ]
    assert request["request_thread_control"] == {
        "requested_owner_app_id": OTHER_APP_ID,
        "metadata": "please",
    }


async def test_non_primary_app_cannot_take_control(harness: Harness) -> None:
    other_token = await connect_other_app(harness)
    await harness.buyer(text="hi")
    response = await harness.graph(
        "POST",
        "/v21.0/me/take_thread_control",
        token=other_token,
        proof=False,
        json={"recipient": {"id": PSID}},
    )
    assert error_of(response) == (10, 2018300)


async def test_the_seller_takes_a_thread_into_the_inbox(harness: Harness) -> None:
    await harness.buyer(text="hi")
    await harness.op("POST", f"/threads/{PAGE_ID}/{PSID}/inbox/take")
    await harness.settle()
    taken = harness.receiver.events()[-1]["take_thread_control"]
    assert taken == {"previous_owner_app_id": APP_ID, "new_owner_app_id": PAGE_INBOX_APP_ID}
    assert await owner(harness) == PAGE_INBOX_APP_ID
