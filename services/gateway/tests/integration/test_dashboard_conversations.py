"""Conversations on the dashboard: lists by state, the conversation page, taking over, handing
back and replying as a person through delivery, against the real services."""

from __future__ import annotations

import asyncio
import html

import httpx
import pytest

from parley.negotiation.v1 import negotiation_pb2 as npb
from parley.tenants.v1 import tenants_pb2 as tpb

from .conftest import Mesh, form_token, new_psid, reply_key, until

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
DAY = 86400.0


async def _take_over(mesh: Mesh, browser: httpx.AsyncClient, conversation_id: str) -> None:
    page = await browser.get(f"/dashboard/conversations/{conversation_id}")
    answer = await browser.post(
        f"/dashboard/conversations/{conversation_id}/takeover", data={"csrf": form_token(page)}
    )
    assert answer.status_code == 303, answer.text


async def test_the_overview_shows_pages_their_health_and_the_numbers(mesh: Mesh) -> None:
    await mesh.buyer_says("seller-a", "Is it still available?")
    async with mesh.browser("seller-a") as browser:
        overview = await browser.get("/dashboard")
    assert overview.status_code == 200
    text = overview.text
    assert "Test Shop" in text and "Active" in text
    assert "Reconnect" not in text  # nothing needs it
    assert "<svg" in text and "With the bot" in text and "Deals agreed" in text
    assert '<a href="/dashboard/pages/111000111000111">Test Shop</a>' in text


async def test_a_page_needing_reconnection_shows_the_reconnect_link(mesh: Mesh) -> None:
    seller = mesh.seller("seller-c")
    await mesh.tenants.ReportTokenInvalid(
        tpb.ReportTokenInvalidRequest(page_id=seller.page_id, reason="Graph error 190")
    )
    async with mesh.browser("seller-c") as browser:
        overview = await browser.get("/dashboard")
    assert overview.status_code == 200
    assert "Needs reconnecting" in overview.text and "Graph error 190" in overview.text
    assert 'href="https://parley.test/connect/' in overview.text
    assert "Reconnect your Pages" in overview.text


async def test_conversations_are_listed_by_state(mesh: Mesh) -> None:
    psid = new_psid()
    conversation_id = await mesh.buyer_says("seller-a", "Hello there", psid=psid)
    base = f"/dashboard/pages/{mesh.seller('seller-a').page_id}"
    async with mesh.browser("seller-a") as browser:
        every = await browser.get(base)
        with_bot = await browser.get(f"{base}?state=bot")
        with_person = await browser.get(f"{base}?state=human")
        await _take_over(mesh, browser, conversation_id)
        after = await browser.get(f"{base}?state=human")
    link = f'<a href="/dashboard/conversations/{conversation_id}">{psid}</a>'
    assert every.status_code == 200 and link in every.text
    assert "2015 Toyota Corolla of seller-a" in every.text
    assert link in with_bot.text
    assert link not in with_person.text
    assert link in after.text


async def test_a_conversation_shows_transcript_negotiation_window_and_owner(mesh: Mesh) -> None:
    conversation_id = await mesh.buyer_says("seller-a", "would you take 7500 for it?")
    async with mesh.browser("seller-a") as browser:
        page = await browser.get(f"/dashboard/conversations/{conversation_id}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "would you take 7500 for it?" in text  # the buyer's line
    assert "Buyer's last offer</th><td>7,500 USD" in text
    assert "Asking price</th><td>8,500 USD" in text
    conversation = await mesh.conversation(conversation_id)
    counter = conversation.last_counter_minor // 100
    assert counter >= 7600 and f"Current counter-offer</th><td>{counter:,} USD" in text
    assert f"Concessions used</th><td>{conversation.concessions_used} of 3" in text
    assert "Open: the bot and you may reply" in text
    assert "23 h" in text and "6 d 23 h" in text  # the 24-hour and 7-day countdowns
    assert "Thread owner on Messenger</th><td>Parley" in text
    assert "Take over" in text and "Take the conversation over to reply" in text


async def test_buyer_text_is_escaped(mesh: Mesh) -> None:
    psid = new_psid()
    nasty = "<script>alert('x')</script> & <b>bold</b>"
    conversation_id = await mesh.buyer_says("seller-a", nasty, psid=psid)
    async with mesh.browser("seller-a") as browser:
        page = await browser.get(f"/dashboard/conversations/{conversation_id}")
    assert (
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"
        in page.text
    )
    assert "<script" not in page.text and "<b>" not in page.text


async def test_taking_over_and_handing_back(mesh: Mesh) -> None:
    conversation_id = await mesh.buyer_says("seller-a", "Can I talk to the owner?")
    path = f"/dashboard/conversations/{conversation_id}"
    async with mesh.browser("seller-a") as browser:
        await _take_over(mesh, browser, conversation_id)
        assert (await mesh.conversation(conversation_id)).state == npb.CONVERSATION_STATE_HUMAN
        taken = await browser.get(f"{path}?done=takeover")
        assert "You have the conversation now" in taken.text
        assert "With a person" in taken.text and "Hand back to the bot" in taken.text
        resumed = await browser.post(f"{path}/resume", data={"csrf": form_token(taken)})
        assert resumed.status_code == 303 and resumed.headers["location"].endswith("done=resume")
    conversation = await mesh.conversation(conversation_id)
    assert conversation.state == npb.CONVERSATION_STATE_BOT


async def test_a_reply_goes_out_once_however_often_the_form_is_sent(mesh: Mesh) -> None:
    psid = new_psid()
    conversation_id = await mesh.buyer_says("seller-a", "Is the price firm?", psid=psid)
    path = f"/dashboard/conversations/{conversation_id}"
    async with mesh.browser("seller-a") as browser:
        await _take_over(mesh, browser, conversation_id)
        # The takeover hands the thread to the Page Inbox; the reply takes it back to send.
        await until(lambda: _with_inbox(mesh, psid), what="the thread to reach the Page Inbox")
        page = await browser.get(path)
        form = {"csrf": form_token(page), "key": reply_key(page), "text": "Hi, Dana here: it is."}
        first, second = await asyncio.gather(
            browser.post(f"{path}/reply", data=form), browser.post(f"{path}/reply", data=form)
        )
        third = await browser.post(f"{path}/reply", data=form)  # back, and send again
        shown = await browser.get(path)
    assert third.status_code == 303 and third.headers["location"].endswith("done=sent")
    assert {first.status_code, second.status_code} <= {303, 409}
    sent = [item for item in await mesh.sent(psid) if item.get("text") == form["text"]]
    assert len(sent) == 1 and sent[0].get("tag") is None  # inside 24 hours: no tag
    assert "Hi, Dana here: it is." in shown.text and "from the dashboard, sent" in shown.text
    assert shown.text.count("Hi, Dana here: it is.") == 1
    assert (await mesh.thread_owner("seller-a", psid)).with_parley


async def _with_inbox(mesh: Mesh, psid: str) -> bool:
    return bool((await mesh.thread_owner("seller-a", psid)).with_page_inbox)


async def test_a_reply_after_24_hours_carries_the_human_agent_tag(mesh: Mesh) -> None:
    psid = new_psid()
    conversation_id = await mesh.buyer_says(
        "seller-a", "Still there?", psid=psid, seconds_ago=2 * DAY
    )
    path = f"/dashboard/conversations/{conversation_id}"
    async with mesh.browser("seller-a") as browser:
        await _take_over(mesh, browser, conversation_id)
        page = await browser.get(path)
        assert "Only a person may reply (HUMAN_AGENT tag)" in page.text
        form = {"csrf": form_token(page), "key": reply_key(page), "text": "Yes, still here."}
        sent = await browser.post(f"{path}/reply", data=form)
        assert sent.status_code == 303 and sent.headers["location"].endswith("done=sent_tagged")
        shown = await browser.get(sent.headers["location"])
    assert "HUMAN_AGENT tag" in shown.text
    (item,) = [i for i in await mesh.sent(psid) if i.get("text") == "Yes, still here."]
    assert item["tag"] == "HUMAN_AGENT" and item["messaging_type"] == "MESSAGE_TAG"


async def test_a_reply_after_7_days_is_refused_and_says_why(mesh: Mesh) -> None:
    psid = new_psid()
    conversation_id = await mesh.buyer_says("seller-a", "Hello?", psid=psid, seconds_ago=8 * DAY)
    path = f"/dashboard/conversations/{conversation_id}"
    async with mesh.browser("seller-a") as browser:
        await _take_over(mesh, browser, conversation_id)
        page = await browser.get(path)
        assert "Messenger allows no reply" in page.text and 'name="key"' not in page.text
        # A form left open from before the window closed, sent now.
        form = {"csrf": form_token(page), "key": "k" * 32}
        refused = await browser.post(f"{path}/reply", data={**form, "text": "Sorry I missed you"})
    assert refused.status_code == 409
    assert "Not sent:" in refused.text and "7 days" in refused.text
    assert "Sorry I missed you" in refused.text  # the draft is kept
    assert not [i for i in await mesh.sent(psid) if i.get("text") == "Sorry I missed you"]


async def test_a_reply_while_the_bot_answers_is_not_sent(mesh: Mesh) -> None:
    psid = new_psid()
    conversation_id = await mesh.buyer_says("seller-a", "Hi!", psid=psid)
    path = f"/dashboard/conversations/{conversation_id}"
    async with mesh.browser("seller-a") as browser:
        page = await browser.get(path)
        form = {"csrf": form_token(page), "key": "k" * 32, "text": "Me, not the bot"}
        answer = await browser.post(f"{path}/reply", data=form)
    assert answer.status_code == 409 and "take the conversation over first" in answer.text
    assert not [i for i in await mesh.sent(psid) if i.get("text") == "Me, not the bot"]
