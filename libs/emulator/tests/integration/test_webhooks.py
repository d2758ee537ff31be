"""Webhook delivery like Meta's: signed, every buyer event kind, retries, batches, misbehaviour."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json

import pytest

from parley_emulator.testing import APP_ID, APP_SECRET, PAGE_ID, PSID, PSID_2, Harness

pytestmark = pytest.mark.integration


async def test_buyer_message_webhook_is_signed_over_the_exact_bytes(harness: Harness) -> None:
    made = await harness.buyer(text="Ça marche? 👍 https://x/y")
    await harness.settle()
    [post] = harness.receiver.received
    assert post.headers["content-type"] == "application/json"
    assert post.signed_by(APP_SECRET) and not post.signed_by("another secret")
    assert b"\\u00c7a" in post.body and b"\\ud83d\\udc4d" in post.body
    assert b"https:\\/\\/x\\/y" in post.body
    assert post.json["object"] == "page"
    [entry] = post.json["entry"]
    assert entry["id"] == PAGE_ID and isinstance(entry["time"], int)
    [event] = entry["messaging"]
    assert event["sender"] == {"id": PSID} and event["recipient"] == {"id": PAGE_ID}
    assert event["timestamp"] == made["timestamp"]
    assert event["message"] == {"mid": made["mid"], "text": "Ça marche? 👍 https://x/y"}


async def test_every_buyer_action_becomes_its_event(harness: Harness) -> None:
    await harness.buyer(postback={"title": "Get Started", "ref": "spring-sale"})
    await harness.buyer(text="hi", reply_to="m_earlier")
    await harness.send(
        {
            "recipient": {"id": PSID},
            "messaging_type": "RESPONSE",
            "message": {
                "text": "Which size?",
                "quick_replies": [
                    {"content_type": "text", "title": "M", "payload": "SIZE_M"},
                    {"content_type": "text", "title": "L", "payload": "SIZE_L"},
                ],
            },
        }
    )
    await harness.buyer(quick_reply={"index": 2})
    await harness.buyer(referral={"ref": "ad-42", "source": "ADS"})
    await harness.buyer(reaction={"emoji": "❤"})
    await harness.buyer(attachment={"type": "image", "url": "https://cdn.example/bike.jpg"})
    await harness.settle()
    events = [e for e in harness.receiver.events() if not e.get("message", {}).get("is_echo")]
    postback, text, tap, referral, reaction, image = events
    assert postback["postback"]["payload"] == "GET_STARTED"
    assert postback["postback"]["referral"] == {
        "ref": "spring-sale",
        "source": "SHORTLINK",
        "type": "OPEN_THREAD",
    }
    assert text["message"]["reply_to"] == {"mid": "m_earlier"}
    assert tap["message"]["text"] == "L"
    assert tap["message"]["quick_reply"] == {"payload": "SIZE_L"}
    assert referral["referral"] == {"ref": "ad-42", "source": "ADS", "type": "OPEN_THREAD"}
    assert reaction["reaction"]["reaction"] == "love"
    assert reaction["reaction"]["action"] == "react" and reaction["reaction"]["mid"]
    assert image["message"]["attachments"] == [
        {"type": "image", "payload": {"url": "https://cdn.example/bike.jpg"}}
    ]


async def test_get_started_uses_the_pages_configured_payload(harness: Harness) -> None:
    await harness.graph(
        "POST",
        "/v21.0/me/messenger_profile",
        json={"get_started": {"payload": "HELLO_FROM_PROFILE"}},
    )
    await harness.buyer(postback={})
    await harness.settle()
    assert harness.receiver.events()[0]["postback"]["payload"] == "HELLO_FROM_PROFILE"


async def test_failed_deliveries_are_retried_until_accepted(harness: Harness) -> None:
    harness.receiver.statuses.extend([500, 503])
    made = await harness.buyer(text="hi")
    await harness.settle()
    bodies = [p.body for p in harness.receiver.received]
    assert len(bodies) == 3 and len(set(bodies)) == 1
    assert harness.receiver.received[-1].events()[0]["message"]["mid"] == made["mid"]
    stats = await harness.op("GET", "/webhooks")
    assert stats["failed_attempts"] == 2 and stats["delivered_events"] == 1
    assert stats["by_app"][APP_ID]["retries"] == 2


async def test_no_answer_within_the_timeout_counts_as_a_failure(harness: Harness) -> None:
    await harness.op("PUT", "/config", json={"webhook_timeout_s": 0.2})
    harness.receiver.delay_s = 0.5
    await harness.buyer(text="hi")
    await harness.receiver.wait_for(1)
    harness.receiver.delay_s = 0
    await harness.settle()
    stats = await harness.op("GET", "/webhooks")
    assert stats["failed_attempts"] >= 1 and stats["delivered_events"] == 1
    assert any(r["error"] == "timeout" for r in stats["recent"])


async def test_giving_up_unsubscribes_the_app_from_the_page(harness: Harness) -> None:
    await harness.op("PUT", "/config", json={"give_up_after_s": 0.3})
    harness.receiver.statuses.extend([500] * 1000)
    await harness.buyer(text="hi")
    await harness.settle()
    stats = await harness.op("GET", "/webhooks")
    assert stats["given_up_events"] == 1
    assert stats["unsubscribed"][0]["app_id"] == APP_ID
    pages = (await harness.op("GET", "/pages"))["data"]
    assert APP_ID not in pages[0]["subscriptions"]


async def test_events_can_be_batched_into_one_post(harness: Harness) -> None:
    await harness.op("PUT", "/config", json={"batch_max": 10, "batch_wait_ms": 100})
    await asyncio.gather(
        harness.buyer(text="one"), harness.buyer(text="two"), harness.buyer(PSID_2, text="three")
    )
    await harness.settle()
    [post] = harness.receiver.received
    assert sorted(e["message"]["text"] for e in post.events()) == ["one", "three", "two"]
    assert post.signed_by(APP_SECRET)


async def test_a_webhook_can_be_delivered_twice(harness: Harness) -> None:
    await harness.op("POST", "/webhooks/misbehave", json={"duplicate": 1})
    await harness.buyer(text="once")
    await harness.buyer(text="after")
    await harness.settle()
    texts = [e["message"]["text"] for e in harness.receiver.events()]
    assert texts == ["once", "once", "after"]
    assert (await harness.op("GET", "/webhooks"))["duplicates_sent"] == 1


async def test_a_webhook_can_be_delivered_out_of_order(harness: Harness) -> None:
    await harness.op("POST", "/webhooks/misbehave", json={"reorder": 1})
    first = await harness.buyer(text="first")
    second = await harness.buyer(text="second")
    await harness.settle()
    events = harness.receiver.events()
    assert [e["message"]["text"] for e in events] == ["second", "first"]
    assert first["timestamp"] <= second["timestamp"]


async def test_a_duplicate_share_is_deterministic_with_a_seed(harness: Harness) -> None:
    await harness.op("PUT", "/config", json={"duplicate_share": 1.0})
    await harness.buyer(text="twice")
    await harness.settle()
    assert len(harness.receiver.received) == 2


async def test_webhook_url_is_set_at_runtime_and_verified(harness: Harness) -> None:
    await harness.op("PUT", f"/apps/{APP_ID}/webhook", json={"url": None})
    await harness.buyer(text="lost")
    await harness.settle()
    assert harness.receiver.received == []
    verified = await harness.op(
        "PUT", f"/apps/{APP_ID}/webhook", json={"url": harness.receiver.url, "verify": True}
    )
    assert verified["callback_url"] == harness.receiver.url
    await harness.op("POST", "/apps", json={"id": APP_ID, "verify_token": "wrong"})
    refused = await harness.client.put(
        f"/_emulator/apps/{APP_ID}/webhook", json={"url": harness.receiver.url, "verify": True}
    )
    assert refused.status_code == 400 and "verification" in refused.json()["error"]
    await harness.buyer(text="found")
    await harness.settle()
    assert [e["message"]["text"] for e in harness.receiver.events()] == ["found"]


async def test_only_subscribed_fields_are_delivered(harness: Harness) -> None:
    await harness.graph(
        "POST", f"/v21.0/{PAGE_ID}/subscribed_apps", params={"subscribed_fields": "messages"}
    )
    await harness.buyer(text="hi")
    await harness.text("reply whose echo is not subscribed")
    await harness.buyer(reaction={"emoji": "👍"})
    await harness.settle()
    assert [e["message"]["text"] for e in harness.receiver.events()] == ["hi"]


async def test_delivery_never_blocks_the_call_that_caused_it(harness: Harness) -> None:
    harness.receiver.delay_s = 1.0
    started = asyncio.get_running_loop().time()
    await harness.buyer(text="hi")
    await harness.text("fast")
    assert asyncio.get_running_loop().time() - started < 0.5
    pending = await harness.op("GET", "/webhooks/wait", params={"timeout": 0.05})
    assert pending["idle"] is False and pending["pending"] >= 1
    harness.receiver.delay_s = 0


async def test_buyer_edits_their_last_message(harness: Harness) -> None:
    made = await harness.buyer(text="120?")
    await harness.buyer(edit={"text": "110?"})
    await harness.settle()
    edit = harness.receiver.events()[-1]["message_edit"]
    assert edit == {"mid": made["mid"], "text": "110?", "num_edit": 1}


async def test_policy_enforcement_reaches_the_app(harness: Harness) -> None:
    await harness.op("POST", f"/pages/{PAGE_ID}/policy", json={"action": "block", "reason": "spam"})
    await harness.settle()
    [event] = harness.receiver.events()
    assert event["policy_enforcement"] == {"action": "block", "reason": "spam"}
    assert event["recipient"] == {"id": PAGE_ID}


async def test_m_me_refs_are_checked_like_meta(harness: Harness) -> None:
    bad = await harness.client.post(
        f"/_emulator/buyers/{PSID}/messages", json={"referral": {"ref": "no spaces allowed"}}
    )
    assert bad.status_code == 400
    await harness.buyer(referral={"ref": "a" * 2083})


async def test_data_deletion_callback_gets_a_verifiable_signed_request(harness: Harness) -> None:
    url = harness.receiver.url.replace("/webhook", "/deletion")
    answer = await harness.op(
        "POST", f"/apps/{APP_ID}/data_deletion", json={"url": url, "user_id": "12345"}
    )
    assert answer["status"] == 200 and answer["response"]["confirmation_code"] == "ABC"
    [signed] = harness.receiver.deletions
    signature, payload = signed.split(".")
    digest = hmac.new(APP_SECRET.encode(), payload.encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(signature + "==") == digest
    data = json.loads(base64.urlsafe_b64decode(payload + "=="))
    assert data["algorithm"] == "HMAC-SHA256" and data["user_id"] == "12345"
    assert isinstance(data["issued_at"], int)


async def test_unsetting_the_callback_drops_what_was_being_retried(harness: Harness) -> None:
    harness.receiver.statuses.extend([500] * 1000)
    await harness.buyer(text="hi")
    await harness.receiver.wait_for(2)
    await harness.op("PUT", f"/apps/{APP_ID}/webhook", json={"url": None})
    await harness.settle()
    stats = await harness.op("GET", "/webhooks")
    assert stats["undeliverable"] == 1 and stats["delivered_events"] == 0
