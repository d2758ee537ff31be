"""Sender actions and private replies to Page comments."""

from __future__ import annotations

import pytest

from parley_emulator.testing import PAGE_ID, PSID, PSID_2, Harness, error_of

pytestmark = pytest.mark.integration
DAY = 24 * 3600


@pytest.mark.parametrize("action", ["typing_on", "typing_off", "mark_seen"])
async def test_sender_actions_go_alone_and_appear_in_the_timeline(
    harness: Harness, action: str
) -> None:
    await harness.buyer(text="hi")
    response = await harness.send({"recipient": {"id": PSID}, "sender_action": action})
    assert response.status_code == 200 and response.json() == {"recipient_id": PSID}
    last = (await harness.thread())["items"][-1]
    assert (last["direction"], last["kind"], last["sender_action"]) == (
        "out",
        "sender_action",
        action,
    )
    assert (await harness.op("GET", "/sent"))["count"] == 0


async def test_sender_action_with_a_message_is_100(harness: Harness) -> None:
    await harness.buyer(text="hi")
    response = await harness.send(
        {
            "recipient": {"id": PSID},
            "sender_action": "typing_on",
            "messaging_type": "RESPONSE",
            "message": {"text": "x"},
        }
    )
    assert error_of(response)[0] == 100


async def test_sender_action_outside_the_window_is_refused(harness: Harness) -> None:
    response = await harness.send({"recipient": {"id": PSID_2}, "sender_action": "typing_on"})
    assert error_of(response) == (10, 2018278)


async def test_a_comment_arrives_as_a_feed_change(harness: Harness) -> None:
    made = await harness.buyer(comment={"message": "Price? 🚲", "post_id": f"{PAGE_ID}_77"})
    await harness.settle()
    [post] = harness.receiver.received
    [entry] = post.json["entry"]
    assert entry["id"] == PAGE_ID and "messaging" not in entry
    [change] = entry["changes"]
    value = change["value"]
    assert change["field"] == "feed"
    assert (value["item"], value["verb"]) == ("comment", "add")
    assert value["comment_id"] == made["comment_id"] and value["post_id"] == f"{PAGE_ID}_77"
    assert value["parent_id"] == f"{PAGE_ID}_77" and value["message"] == "Price? 🚲"
    assert value["from"] == {"id": PSID, "name": "Alex Buyer"}
    assert isinstance(value["created_time"], int)


async def test_one_private_reply_per_comment(harness: Harness) -> None:
    comment_id = (await harness.buyer(comment="How much?"))["comment_id"]
    body = {"recipient": {"comment_id": comment_id}, "message": {"text": "120 EUR, DM sent"}}
    first = await harness.send(body)
    assert first.status_code == 200
    assert first.json()["recipient_id"] == PSID and first.json()["message_id"].startswith("m_")
    assert error_of(await harness.send(body))[0] == 10900
    last = (await harness.thread())["items"][-1]
    assert last["comment_id"] == comment_id and last["text"] == "120 EUR, DM sent"


async def test_private_reply_after_seven_days_is_refused(harness: Harness) -> None:
    comment_id = (await harness.buyer(comment="Still for sale?", seconds_ago=7 * DAY + 60))[
        "comment_id"
    ]
    body = {"recipient": {"comment_id": comment_id}, "message": {"text": "yes"}}
    assert error_of(await harness.send(body))[0] == 10903


async def test_private_reply_to_an_unknown_comment_is_100(harness: Harness) -> None:
    body = {"recipient": {"comment_id": "1_2"}, "message": {"text": "yes"}}
    assert error_of(await harness.send(body)) == (100, 33)
