"""Buyers' journeys end to end: the mesh as `make run` starts it (one for the module, replies
unpaced), driven only through its public faces, checked on what the buyer sees in Messenger
and on the services' public state. Each scenario talks as a buyer nobody has seen; scenarios
that change a whole Page (pause, a revoked token) use a seller and Page of their own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from parley.delivery.v1 import delivery_pb2 as dpb
from parley.delivery.v1.delivery_pb2_grpc import DeliveryServiceStub
from parley.events.v1.delivery_pb2 import REPLY_OUTCOME_SENT
from parley.negotiation.v1 import negotiation_pb2 as npb
from parley.tenants.v1 import tenants_pb2 as tpb
from parley_kit.grpc_client import open_channel

from .conftest import Mesh, running_mesh
from .journeys import (
    Chat,
    Faces,
    Item,
    chat_with,
    conversation,
    has_thai,
    stated_prices_minor,
)
from .journeys_sellers import (
    DEMO_REF,
    DEMO_SELLER,
    connect_new_seller,
    dashboard_overview,
    listing_and_rules,
    open_for_viewings_in_thai,
    page_event,
    page_of,
    tenants,
)

# The first test also waits for the mesh to start (up to 90 s on a loaded machine).
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

PAGE_INBOX = "263902037430900"
THAI_DAYS = ("จันทร์", "อังคาร", "พุธ", "พฤหัส", "ศุกร์", "เสาร์", "อาทิตย์")


@pytest.fixture(scope="module")
def shared_mesh(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, nats_url: str
) -> Iterator[Mesh]:
    data = tmp_path_factory.mktemp("journeys")
    env = {"PARLEY_DELIVERY_PACING": "false"}
    with running_mesh(data, database_url, nats_url, env=env) as mesh:
        yield mesh


@pytest.fixture
def faces(shared_mesh: Mesh) -> Faces:
    return Faces.of(shared_mesh)


def dollars(minor: int) -> int:
    return minor // 100


def viewing_day(time_zone: str) -> datetime:
    """Two days from now where the seller is: inside their week, never today."""
    return datetime.now(ZoneInfo(time_zone)) + timedelta(days=2)


def real_offer(rules: tpb.ListingRules) -> int:
    """Between the floor and the auto-accept price, in whole hundreds of dollars."""
    middle = (rules.floor_price.amount_minor + rules.auto_accept_price.amount_minor) // 2
    return middle // 10_000 * 100


async def _demo_rules(faces: Faces, page_id: str) -> tuple[tpb.Listing, tpb.ListingRules, str]:
    async with tenants(faces) as stub:
        settings = await open_for_viewings_in_thai(stub, DEMO_SELLER)
        listing, rules = await listing_and_rules(stub, page_id, DEMO_REF)
    return listing, rules, settings.time_zone


def _assert_booked(found: npb.Conversation, day: datetime) -> None:
    """A viewing at 10:00 on the asked weekday, where the seller is."""
    assert found.HasField("viewing_at"), found
    booked = found.viewing_at.ToDatetime(tzinfo=day.tzinfo)
    assert (booked.isoweekday(), booked.hour, booked.minute) == (day.isoweekday(), 10, 0)


def _assert_never_below_floor(found: npb.Conversation, bot: list[Item], floor: int) -> None:
    """Every price the bot said, countered or agreed is at or above the floor."""
    said = stated_prices_minor([str(item.get("text")) for item in bot])
    assert said and min(said) >= floor, (said, floor)
    assert found.counters_minor and min(found.counters_minor) >= floor
    assert found.agreed_price_minor >= floor


async def test_a_buyer_from_an_m_me_link_haggles_agrees_and_books_a_viewing(
    shared_mesh: Mesh, faces: Faces
) -> None:
    page = shared_mesh.page_id
    listing, rules, zone = await _demo_rules(faces, page)
    floor, asking = rules.floor_price.amount_minor, rules.asking_price.amount_minor
    async with httpx.AsyncClient(timeout=30) as http:
        chat = await chat_with(http, faces, page)
        await chat.act(postback={"ref": DEMO_REF, "title": "Get Started"})
        greeting = str((await chat.reply())["text"])
        assert listing.title in greeting and f"${dollars(asking):,}" in greeting
        mileage = await chat.write("how many miles does it have?")
        assert f"{listing.vehicle.mileage:,}" in mileage["text"]
        lowball = await chat.write(f"would you take ${dollars(floor) // 2:,}?")
        assert stated_prices_minor([lowball["text"]]) == [asking], lowball
        declined = await conversation(faces, page, chat.psid)
        assert not declined.counters_minor and declined.concessions_used == 0
        countered = await chat.write(f"how about ${real_offer(rules):,}?")
        found = await conversation(faces, page, chat.psid)
        counter = found.counters_minor[-1]
        assert floor <= counter < asking and found.last_offer_minor == real_offer(rules) * 100
        assert stated_prices_minor([countered["text"]]) == [counter]
        agreed = await chat.tap(countered, "ACCEPT:")
        assert f"${dollars(counter):,}" in agreed["text"]
        day = viewing_day(zone)
        booked = await chat.write(f"can I see it {day:%A} at 10am?")
        assert f"{day:%A}" in booked["text"] and "10:00" in booked["text"]
        await _check_deal(chat, faces, floor, counter, day)


async def _check_deal(chat: Chat, faces: Faces, floor: int, counter: int, day: datetime) -> None:
    await chat.settle_and_check()
    found = await conversation(faces, chat.page_id, chat.psid)
    assert found.state == npb.CONVERSATION_STATE_BOT
    assert found.agreed_price_minor == counter
    _assert_booked(found, day)
    _assert_never_below_floor(found, await chat.bot_messages(), floor)


async def test_a_thai_buyer_haggles_agrees_and_books_a_viewing_in_thai(
    shared_mesh: Mesh, faces: Faces
) -> None:
    page = shared_mesh.page_id
    listing, rules, zone = await _demo_rules(faces, page)
    floor, asking = rules.floor_price.amount_minor, rules.asking_price.amount_minor
    async with httpx.AsyncClient(timeout=30) as http:
        chat = await chat_with(http, faces, page)
        await chat.act(postback={"ref": DEMO_REF, "title": "เริ่มต้นใช้งาน"})
        assert listing.title in str((await chat.reply())["text"])
        mileage = await chat.write("รถวิ่งมากี่ไมล์ครับ")
        assert f"{listing.vehicle.mileage:,}" in mileage["text"]
        lowball = await chat.write(f"{dollars(floor) // 2} ได้ไหมครับ")
        assert stated_prices_minor([lowball["text"]]) == [asking], lowball
        countered = await chat.write(f"{real_offer(rules)} ได้ไหมครับ")
        counter = (await conversation(faces, page, chat.psid)).counters_minor[-1]
        assert floor <= counter < asking
        assert stated_prices_minor([countered["text"]]) == [counter]
        agreed = await chat.write("ตกลงครับ")
        assert f"${dollars(counter):,}" in agreed["text"]
        day = viewing_day(zone)
        booked = await chat.write(f"ขอนัดดูรถวัน{THAI_DAYS[day.weekday()]} สิบโมง ได้ไหมครับ")
        assert "10:00" in booked["text"]
        for reply in (mileage, lowball, countered, agreed, booked):
            assert has_thai(str(reply["text"])), reply
        await _check_deal(chat, faces, floor, counter, day)
    assert (await conversation(faces, page, chat.psid)).language == "th"


async def test_a_buyer_who_asks_for_a_person_gets_the_seller_then_the_bot_again(
    shared_mesh: Mesh, faces: Faces
) -> None:
    page = shared_mesh.page_id
    async with httpx.AsyncClient(timeout=30) as http:
        chat = await chat_with(http, faces, page)
        await chat.write("hi, is the corolla still available?")
        await chat.write("can I talk to a real person please?")
        await chat.owned_by_inbox(True)
        handed = await conversation(faces, page, chat.psid)
        assert handed.state == npb.CONVERSATION_STATE_HUMAN, handed
        await chat.act(text="hello? are you there?")
        await chat.quiet()
        words = "Hi, it's Dana. Yes, it's still here. It has a clean title."
        answered = await http.post(f"{chat.url}/inbox/reply", json={"text": words})
        assert answered.status_code == 200, answered.text
        echo = await chat.next_item(lambda i: str(i.get("app_id")) == PAGE_INBOX, 30)
        assert echo is not None and echo["text"] == words
        done = await http.post(f"{chat.url}/inbox/done", json={})
        assert done.status_code == 200 and done.json()["owner_app_id"] == chat.bot_app
        resumed = await chat.reply()  # the first bot message since the buyer asked for a person
        assert "automated assistant" in resumed["text"]
        answer = await chat.write("does it have a backup camera?")
        assert "camera" in answer["text"]
        await chat.settle_and_check()
    found = await conversation(faces, page, chat.psid)
    assert found.state == npb.CONVERSATION_STATE_BOT
    assert any(line.author == "human" and line.text == words for line in found.transcript)


async def test_a_buyer_back_after_25_hours_gets_nothing_until_they_write(
    shared_mesh: Mesh, faces: Faces
) -> None:
    page = shared_mesh.page_id
    async with httpx.AsyncClient(timeout=30) as http:
        chat = await chat_with(http, faces, page)
        await chat.write("is the corolla still available?")
        stats = f"{faces.emulator}/_emulator/stats"
        before = (await http.get(stats)).json()["errors_by_code"]
        moved = await http.post(f"{faces.emulator}/_emulator/clock", json={"advance_s": 25 * 3600})
        assert moved.status_code == 200, moved.text
        assert (await chat.thread())["window_open"] is False
        await chat.quiet(wanted=lambda item: item["direction"] == "out")
        await chat.write("sorry, I was away. is it still for sale?")
        assert (await chat.thread())["window_open"] is True
        items = await chat.settle_and_check()
        after = (await http.get(stats)).json()["errors_by_code"]
    # Code 10 is the window (2018278) and the thread owner (2018300): neither may come from us.
    assert after.get("10", 0) == before.get("10", 0), (before, after)
    last_in = max(i["seq"] for i in items if i["direction"] == "in")
    assert len([i for i in items if i["seq"] > last_in and chat.is_bot(i)]) == 1


async def test_a_scammer_is_flagged_handed_to_the_seller_and_not_engaged(
    shared_mesh: Mesh, faces: Faces
) -> None:
    page = shared_mesh.page_id
    async with httpx.AsyncClient(timeout=30) as http:
        chat = await chat_with(http, faces, page)
        await chat.write("hi, is the corolla still available?")
        flagged = await chat.write("I will pay you extra, just refund me the difference")
        assert not stated_prices_minor([flagged["text"]]) and not flagged.get("quick_replies")
        await chat.owned_by_inbox(True)
        await chat.act(text="ok so $7,900 works? I can send it today")
        await chat.act(text="hello?? deal or not")
        await chat.quiet()
        items = await chat.settle_and_check()
    found = await conversation(faces, page, chat.psid)
    assert found.scam_flag == "overpayment" and "scam" in found.state_reason
    assert found.state == npb.CONVERSATION_STATE_HUMAN and not found.counters_minor
    flag_seq = flagged["seq"]
    assert not [i for i in items if i["seq"] > flag_seq and chat.is_bot(i)]


async def test_a_paused_page_stays_silent_until_it_is_resumed(faces: Faces, nats_url: str) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        _, page = await connect_new_seller(http, faces)
        chat = await chat_with(http, faces, page)
        await chat.write("hi, is the civic still available?")
        async with tenants(faces) as stub:
            paused = await stub.PausePage(tpb.PausePageRequest(page_id=page, reason="on holiday"))
            assert paused.page.status == tpb.PAGE_STATUS_PAUSED
            # The pause reaches negotiation as this event (it drops its cached Page): a message
            # written before that may still be answered, and one written after a resume but
            # before its event may go unanswered. Buyers write after the event here.
            await page_event(nats_url, "page_paused", page)
            await chat.act(text="hello? can I come and see it?")
            await chat.quiet()
            resumed = await stub.ResumePage(tpb.ResumePageRequest(page_id=page))
            assert resumed.page.status == tpb.PAGE_STATUS_ACTIVE
        await page_event(nats_url, "page_resumed", page)
        await chat.write("is it still for sale?")
        await chat.settle_and_check()


async def test_a_revoked_token_pauses_the_page_and_tells_the_seller(
    faces: Faces, nats_url: str
) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        seller, page = await connect_new_seller(http, faces)
        chat = await chat_with(http, faces, page)
        await chat.write("hi, is the civic still available?")
        stats = f"{faces.emulator}/_emulator/stats"
        refused = (await http.get(stats)).json()["errors_by_code"].get("190", 0)
        revoked = await http.post(
            f"{faces.emulator}/_emulator/pages/{page}/token", json={"action": "revoke"}
        )
        assert revoked.status_code == 200 and revoked.json()["access_token"] is None
        await chat.act(text="great, can I see it tomorrow?")
        found = await _needs_reconnect(faces, page)
        assert "190" in found.status_reason
        assert (await http.get(stats)).json()["errors_by_code"].get("190", 0) > refused
        await chat.quiet()
        await chat.settle_and_check()
    await _held(faces, page, chat.psid)
    event = await page_event(nats_url, "page_needs_reconnect", page)
    assert event.seller_id == seller and event.reconnect_url.startswith(f"{faces.gateway}/connect/")
    overview = await dashboard_overview(faces, seller)
    assert "Needs reconnecting" in overview and "Reconnect your Pages" in overview
    assert f'href="{faces.gateway}/connect/' in overview


async def _needs_reconnect(faces: Faces, page: str) -> tpb.Page:
    """Tenants marks the Page once delivery reports the refused token."""
    deadline = time.monotonic() + 45
    found = await page_of(faces, page)
    while found.status != tpb.PAGE_STATUS_NEEDS_RECONNECT and time.monotonic() < deadline:
        await asyncio.sleep(0.3)
        found = await page_of(faces, page)
    assert found.status == tpb.PAGE_STATUS_NEEDS_RECONNECT, found
    return found


async def _held(faces: Faces, page: str, psid: str) -> None:
    """Delivery sent the reply before the revocation, tried the one after and keeps it."""
    async with open_channel(faces.delivery, caller_token=faces.operator) as channel:
        request = dpb.ListOutboundMessagesRequest(page_id=page, recipient_id=psid)
        listed = await DeliveryServiceStub(channel).ListOutboundMessages(request)
    sent = [r for r in listed.replies if r.outcome == REPLY_OUTCOME_SENT]
    (held,) = [r for r in listed.replies if r.outcome != REPLY_OUTCOME_SENT]
    assert len(sent) == 1 and held.attempts >= 1, listed
