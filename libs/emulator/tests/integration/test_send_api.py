"""The Send API over real sockets: tokens, proof, limits, users, window, rate, echoes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from parley_emulator.signing import verify_signature
from parley_emulator.testing import (
    APP_ID,
    APP_SECRET,
    PAGE_ID,
    PAGE_TOKEN,
    PSID,
    PSID_2,
    Harness,
    error_of,
)

pytestmark = pytest.mark.integration
HOUR = 3600


async def test_accepted_message_answers_recipient_and_mid_and_is_recorded(
    harness: Harness,
) -> None:
    await harness.buyer(text="Is the bike still for sale?")
    response = await harness.text("Yes, 120 EUR.")
    assert response.status_code == 200
    body = response.json()
    assert body["recipient_id"] == PSID and body["message_id"].startswith("m_")
    items = (await harness.thread())["items"]
    assert items[-1]["direction"] == "out" and items[-1]["text"] == "Yes, 120 EUR."
    assert items[-1]["mid"] == body["message_id"] and items[-1]["app_id"] == APP_ID
    sent = await harness.op("GET", "/sent")
    assert sent["count"] == 1 and sent["by_page"] == {PAGE_ID: 1}


async def test_unknown_token_is_190(harness: Harness) -> None:
    response = await harness.graph(
        "POST", "/v21.0/me/messages", token="EAAnope", proof=False, json={}
    )
    assert response.status_code == 400 and error_of(response)[0] == 190


async def test_revoked_and_rotated_tokens_are_190_and_the_new_token_works(
    harness: Harness,
) -> None:
    await harness.buyer(text="hi")
    rotated = await harness.op("POST", f"/pages/{PAGE_ID}/token", json={"action": "rotate"})
    assert error_of(await harness.text("old token"))[0] == 190
    new_token = rotated["access_token"]
    body = {"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"text": "x"}}
    ok = await harness.graph("POST", "/v21.0/me/messages", token=new_token, json=body)
    assert ok.status_code == 200
    await harness.op("POST", f"/pages/{PAGE_ID}/token", json={"action": "revoke"})
    revoked = await harness.graph("POST", "/v21.0/me/messages", token=new_token, json=body)
    assert error_of(revoked) == (190, 460)


async def test_appsecret_proof_is_required_when_the_app_says_so(harness: Harness) -> None:
    await harness.buyer(text="hi")
    body = {"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"text": "x"}}
    missing = await harness.send(body, proof=False)
    wrong = await harness.send(body, secret="not-the-secret")
    assert error_of(missing)[0] == 100 and "appsecret_proof" in missing.json()["error"]["message"]
    assert error_of(wrong)[0] == 100
    await harness.op("POST", "/apps", json={"id": APP_ID, "require_proof": False})
    assert (await harness.send(body, proof=False)).status_code == 200


LIMIT_VIOLATIONS: dict[str, dict[str, Any]] = {
    "text over 2000": {"text": "x" * 2001},
    "14 quick replies": {
        "text": "x",
        "quick_replies": [{"content_type": "text", "title": "t", "payload": "p"}] * 14,
    },
    "quick reply title over 20": {
        "text": "x",
        "quick_replies": [{"content_type": "text", "title": "t" * 21, "payload": "p"}],
    },
    "quick reply payload over 1000": {
        "text": "x",
        "quick_replies": [{"content_type": "text", "title": "t", "payload": "p" * 1001}],
    },
    "metadata over 1000": {"text": "x", "metadata": "m" * 1001},
    "text and attachment": {
        "text": "x",
        "attachment": {"type": "image", "payload": {"url": "https://i"}},
    },
    "button template with 4 buttons": {
        "attachment": {
            "type": "template",
            "payload": {
                "template_type": "button",
                "text": "pick",
                "buttons": [{"type": "postback", "title": "b", "payload": "p"}] * 4,
            },
        }
    },
    "button template text over 640": {
        "attachment": {
            "type": "template",
            "payload": {
                "template_type": "button",
                "text": "t" * 641,
                "buttons": [{"type": "postback", "title": "b", "payload": "p"}],
            },
        }
    },
    "button title over 20": {
        "attachment": {
            "type": "template",
            "payload": {
                "template_type": "button",
                "text": "pick",
                "buttons": [{"type": "postback", "title": "b" * 21, "payload": "p"}],
            },
        }
    },
    "generic with 11 elements": {
        "attachment": {
            "type": "template",
            "payload": {"template_type": "generic", "elements": [{"title": "e"}] * 11},
        }
    },
    "element title over 80": {
        "attachment": {
            "type": "template",
            "payload": {"template_type": "generic", "elements": [{"title": "e" * 81}]},
        }
    },
    "element with 4 buttons": {
        "attachment": {
            "type": "template",
            "payload": {
                "template_type": "generic",
                "elements": [
                    {
                        "title": "e",
                        "buttons": [{"type": "postback", "title": "b", "payload": "p"}] * 4,
                    }
                ],
            },
        }
    },
}


@pytest.mark.parametrize("message", LIMIT_VIOLATIONS.values(), ids=LIMIT_VIOLATIONS.keys())
async def test_limit_violations_are_code_100_with_a_message(
    harness: Harness, message: dict[str, Any]
) -> None:
    await harness.buyer(text="hi")
    response = await harness.send(
        {"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": message}
    )
    assert response.status_code == 400
    assert error_of(response)[0] == 100 and response.json()["error"]["message"]
    assert (await harness.op("GET", "/sent"))["count"] == 0


async def test_messaging_type_must_be_present_and_valid(harness: Harness) -> None:
    await harness.buyer(text="hi")
    missing = await harness.send({"recipient": {"id": PSID}, "message": {"text": "x"}})
    invalid = await harness.send(
        {"recipient": {"id": PSID}, "messaging_type": "PROMO", "message": {"text": "x"}}
    )
    assert error_of(missing)[0] == error_of(invalid)[0] == 100


async def test_unknown_psid_is_100_2018001(harness: Harness) -> None:
    assert error_of(await harness.text("hello?", psid="999")) == (100, 2018001)


async def test_buyer_who_never_wrote_is_outside_the_window(harness: Harness) -> None:
    assert error_of(await harness.text("hello?", psid=PSID_2)) == (10, 2018278)


async def test_window_closes_24_hours_after_the_buyers_last_action(harness: Harness) -> None:
    await harness.buyer(text="still there?", seconds_ago=25 * HOUR)
    assert error_of(await harness.text("sorry for the wait")) == (10, 2018278)
    await harness.buyer(text="hello again", seconds_ago=23 * HOUR)
    assert (await harness.text("welcome back")).status_code == 200


async def test_human_agent_tag_is_accepted_up_to_seven_days(harness: Harness) -> None:
    await harness.buyer(text="any news?", seconds_ago=6 * 24 * HOUR)
    tagged = {
        "recipient": {"id": PSID},
        "messaging_type": "MESSAGE_TAG",
        "tag": "HUMAN_AGENT",
        "message": {"text": "A person here: yes."},
    }
    assert (await harness.send(tagged)).status_code == 200
    await harness.buyer(text="any news?", seconds_ago=8 * 24 * HOUR)
    assert error_of(await harness.send(tagged)) == (10, 2018278)


@pytest.mark.parametrize(
    "tag", ["ACCOUNT_UPDATE", "POST_PURCHASE_UPDATE", "CONFIRMED_EVENT_UPDATE"]
)
async def test_retired_tags_are_rejected_with_100(harness: Harness, tag: str) -> None:
    await harness.buyer(text="hi")
    response = await harness.send(
        {
            "recipient": {"id": PSID},
            "messaging_type": "MESSAGE_TAG",
            "tag": tag,
            "message": {"text": "Your order shipped"},
        }
    )
    assert error_of(response)[0] == 100


async def test_per_page_rate_limit_is_613_2534040(harness: Harness) -> None:
    await harness.buyer(text="hi")
    await harness.op("POST", "/pages", json={"id": PAGE_ID, "send_rate": 3})
    answers = await asyncio.gather(*(harness.text(f"reply {n}") for n in range(20)))
    limited = [r for r in answers if r.status_code != 200]
    assert limited and all(error_of(r) == (613, 2534040) for r in limited)
    assert len(answers) - len(limited) <= 6


async def test_page_id_path_works_and_another_page_id_is_100(harness: Harness) -> None:
    await harness.buyer(text="hi")
    body = {"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"text": "x"}}
    ok = await harness.graph("POST", f"/v22.0/{PAGE_ID}/messages", json=body)
    other = await harness.graph("POST", "/v22.0/424242/messages", json=body)
    assert ok.status_code == 200 and error_of(other) == (100, 33)


async def test_form_encoded_calls_are_understood(harness: Harness) -> None:
    await harness.buyer(text="hi")
    form = {
        "recipient": json.dumps({"id": PSID}),
        "messaging_type": "RESPONSE",
        "message": json.dumps({"text": "form reply"}),
    }
    response = await harness.graph("POST", "/v21.0/me/messages", data=form)
    assert response.status_code == 200, response.text


async def test_echo_webhook_is_signed_and_carries_app_id_and_metadata(harness: Harness) -> None:
    await harness.buyer(text="Zoë asks: still available?")
    reply = await harness.text("Oui, toujours disponible ✓", metadata=None)
    body = {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "with metadata", "metadata": "offer:42"},
    }
    tagged = await harness.send(body)
    await harness.settle()
    posts = harness.receiver.received
    assert all(
        verify_signature(p.body, p.headers["x-hub-signature-256"], APP_SECRET) for p in posts
    )
    assert all(p.body.isascii() for p in posts)
    echoes = [e for e in harness.receiver.events() if e.get("message", {}).get("is_echo")]
    assert [e["message"]["mid"] for e in echoes] == [
        reply.json()["message_id"],
        tagged.json()["message_id"],
    ]
    assert echoes[0]["message"]["app_id"] == int(APP_ID)
    assert echoes[0]["sender"] == {"id": PAGE_ID} and echoes[0]["recipient"] == {"id": PSID}
    assert echoes[1]["message"]["metadata"] == "offer:42"
    assert echoes[0]["message"]["text"] == "Oui, toujours disponible ✓"


async def test_delivery_and_read_webhooks_follow_after_the_configured_delay(
    harness: Harness,
) -> None:
    await harness.op("PUT", "/config", json={"delivery_delay_s": 0.05, "read_delay_s": 0.05})
    await harness.buyer(text="hi")
    mid = (await harness.text("hello")).json()["message_id"]
    await harness.settle()
    events = harness.receiver.events()
    delivery = next(e["delivery"] for e in events if "delivery" in e)
    read = next(e["read"] for e in events if "read" in e)
    assert mid in delivery["mids"] and delivery["watermark"] > 0
    assert read["watermark"] >= delivery["watermark"]
    thread = await harness.thread()
    assert thread["read_watermark"] >= thread["delivered_watermark"] > 0


async def test_any_version_string_is_served(harness: Harness) -> None:
    await harness.buyer(text="hi")
    body = {"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"text": "x"}}
    for version in ("v21.0", "v23.0", "v99"):
        response = await harness.graph("POST", f"/{version}/me/messages", json=body)
        assert response.status_code == 200


async def test_bearer_header_carries_the_token(harness: Harness) -> None:
    await harness.buyer(text="hi")
    await harness.op("POST", "/apps", json={"id": APP_ID, "require_proof": False})
    body = {"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"text": "x"}}
    response = await harness.client.post(
        "/v21.0/me/messages", json=body, headers={"Authorization": f"Bearer {PAGE_TOKEN}"}
    )
    assert response.status_code == 200
