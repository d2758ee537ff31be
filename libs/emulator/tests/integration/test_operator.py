"""The operator API: creating apps, Pages, users and buyers; seeds, state, reset."""

from __future__ import annotations

import asyncio

import pytest

from parley_emulator.testing import PAGE_ID, PSID, Harness, error_of

pytestmark = pytest.mark.integration


async def test_apps_pages_and_buyers_are_created_through_the_api(harness: Harness) -> None:
    app = await harness.op(
        "POST",
        "/apps",
        json={"name": "Parley", "secret": "shh", "verify_token": "v", "require_proof": False},
    )
    page = await harness.op("POST", "/pages", json={"name": "New Shop", "app_id": app["id"]})
    assert page["access_token"].startswith("EAA") and page["app_id"] == app["id"]
    buyer = await harness.op("POST", "/buyers", json={"page_id": page["id"], "first_name": "Ana"})
    listed = await harness.op("GET", "/pages")
    assert {p["id"]: p["access_token"] for p in listed["data"]}[page["id"]] == page["access_token"]
    await harness.buyer(buyer["psid"], text="hola")
    body = {
        "recipient": {"id": buyer["psid"]},
        "messaging_type": "RESPONSE",
        "message": {"text": "¡Hola Ana!"},
    }
    sent = await harness.graph(
        "POST", "/v21.0/me/messages", token=page["access_token"], proof=False, json=body
    )
    assert sent.status_code == 200
    buyers = await harness.op("GET", "/buyers", params={"page_id": page["id"]})
    assert [b["first_name"] for b in buyers["data"]] == ["Ana"]


async def test_an_unknown_buyer_is_created_on_first_message_with_a_page(harness: Harness) -> None:
    made = await harness.buyer(
        "5000000000000123", page_id=PAGE_ID, text="new here", profile={"first_name": "Noor"}
    )
    assert made["page_id"] == PAGE_ID
    profile = await harness.graph("GET", "/v21.0/5000000000000123")
    assert profile.json()["first_name"] == "Noor"
    missing = await harness.client.post(
        "/_emulator/buyers/5000000000000124/messages", json={"text": "no page"}
    )
    assert missing.status_code == 404


async def test_seed_state_and_reset(harness: Harness) -> None:
    await harness.op("POST", "/seed", json={"pages": [{"id": "777", "name": "Seeded"}]})
    state = await harness.op("GET", "/state")
    assert {p["id"] for p in state["pages"]} == {PAGE_ID, "777"}
    await harness.op("POST", "/reset")
    assert (await harness.op("GET", "/pages"))["data"] == []
    assert error_of(await harness.text("anyone?"))[0] == 190


async def test_bad_operator_requests_are_400_or_404(harness: Harness) -> None:
    assert (await harness.client.post("/_emulator/apps", content=b"[1]")).status_code == 400
    assert (await harness.client.put("/_emulator/config", json={"x": 1})).status_code == 400
    assert (await harness.client.get("/_emulator/threads/1/2")).status_code == 404
    assert (await harness.client.get("/_emulator/nothing")).status_code == 404
    two = await harness.client.post(
        "/_emulator/buyers/1/messages", json={"text": "a", "postback": {}}
    )
    assert two.status_code == 400


async def test_long_poll_returns_as_soon_as_an_item_arrives(harness: Harness) -> None:
    await harness.buyer(text="hi")
    waiting = asyncio.create_task(
        harness.op("GET", f"/threads/{PAGE_ID}/{PSID}", params={"after": 1, "wait": 10})
    )
    await asyncio.sleep(0.05)
    assert not waiting.done()
    await harness.text("there you are")
    result = await asyncio.wait_for(waiting, 2)
    assert [i["text"] for i in result["items"]] == ["there you are"]
    assert result["last_seq"] == 2
