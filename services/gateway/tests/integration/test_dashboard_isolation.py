"""A seller sees and changes only their own data: never another seller's conversations, Pages,
listings or settings, whatever ids they guess or forms they forge."""

from __future__ import annotations

import httpx
import pytest

from parley.negotiation.v1 import negotiation_pb2 as npb
from parley.tenants.v1 import tenants_pb2 as tpb

from .conftest import Mesh, form_token, new_psid

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


async def _csrf(browser: httpx.AsyncClient) -> str:
    return form_token(await browser.get("/dashboard"))


async def test_another_seller_s_conversation_cannot_be_seen_or_acted_on(mesh: Mesh) -> None:
    psid = new_psid()
    theirs = await mesh.buyer_says("seller-b", "Secret offer: 7000", psid=psid)
    base = f"/dashboard/conversations/{theirs}"
    async with mesh.browser("seller-a") as intruder:
        csrf = await _csrf(intruder)
        seen = await intruder.get(base)
        taken = await intruder.post(f"{base}/takeover", data={"csrf": csrf})
        resumed = await intruder.post(f"{base}/resume", data={"csrf": csrf})
        replied = await intruder.post(
            f"{base}/reply", data={"csrf": csrf, "key": "k" * 32, "text": "Give me your money"}
        )
        listed = await intruder.get(f"/dashboard/pages/{mesh.seller('seller-b').page_id}")
        overview = await intruder.get("/dashboard")
    for answer in (seen, taken, resumed, replied, listed):
        assert answer.status_code == 404, answer.text
        assert "Secret offer" not in answer.text and psid not in answer.text
    assert "Bike Barn" not in overview.text and psid not in overview.text
    conversation = await mesh.conversation(theirs)
    assert conversation.state == npb.CONVERSATION_STATE_BOT
    assert not [i for i in await mesh.sent(psid) if i.get("text") == "Give me your money"]


@pytest.mark.parametrize(
    "guess",
    ["111000111000111-1", "222000222000222-0000000000000000", "nothing", "a%2F..%2Fb", "x" * 200],
)
async def test_guessed_conversation_ids_find_nothing(mesh: Mesh, guess: str) -> None:
    async with mesh.browser("seller-a") as browser:
        answer = await browser.get(f"/dashboard/conversations/{guess}")
    assert answer.status_code == 404


async def test_another_seller_s_listing_cannot_be_seen_changed_or_previewed(mesh: Mesh) -> None:
    theirs = mesh.seller("seller-b").listing_id
    before = (await mesh.tenants.GetListing(tpb.GetListingRequest(listing_id=theirs))).listing
    async with mesh.browser("seller-a") as intruder:
        csrf = await _csrf(intruder)
        seen = await intruder.get(f"/dashboard/listings/{theirs}")
        changed = await intruder.post(
            f"/dashboard/listings/{theirs}",
            data={
                "csrf": csrf,
                "title": "Mine now",
                "currency": "USD",
                "asking_price": "1",
                "floor_price": "1",
                "ref": "stolen",
                "version": str(before.version),
            },
        )
        previewed = await intruder.post(
            "/dashboard/preview", data={"csrf": csrf, "listing_id": theirs, "messages": "hi"}
        )
        listed = await intruder.get("/dashboard/listings")
    assert seen.status_code == 404 and before.title not in seen.text
    assert changed.status_code == 404 and previewed.status_code == 404
    assert before.title not in listed.text
    after = (await mesh.tenants.GetListing(tpb.GetListingRequest(listing_id=theirs))).listing
    assert after == before


async def test_a_listing_cannot_be_put_on_another_seller_s_page(mesh: Mesh) -> None:
    theirs = mesh.seller("seller-b").page_id
    async with mesh.browser("seller-a") as intruder:
        refused = await intruder.post(
            "/dashboard/listings/new",
            data={
                "csrf": await _csrf(intruder),
                "title": "On their Page",
                "page_id": theirs,
                "currency": "USD",
                "asking_price": "100",
                "floor_price": "90",
                "version": "0",
            },
        )
    assert refused.status_code == 400 and "choose one of your Pages" in refused.text
    listings = (await mesh.tenants.ListListings(tpb.ListListingsRequest(page_id=theirs))).listings
    assert "On their Page" not in [item.title for item in listings]


async def test_settings_are_only_ever_the_signed_in_seller_s(mesh: Mesh) -> None:
    async def settings(seller_id: str) -> tpb.SellerSettings:
        request = tpb.GetSellerSettingsRequest(seller_id=seller_id)
        return (await mesh.tenants.GetSellerSettings(request)).settings

    theirs = await settings("seller-b")
    async with mesh.browser("seller-a") as intruder:
        page = await intruder.get("/dashboard/settings?seller_id=seller-b")
        saved = await intruder.post(
            "/dashboard/settings",
            data={
                "csrf": form_token(page),
                "seller_id": "seller-b",
                "languages": "th",
                "tone": "flexible",
                "currency": "THB",
                "time_zone": "Asia/Bangkok",
                "max_concessions": "9",
            },
        )
    assert saved.status_code == 303
    assert await settings("seller-b") == theirs
    mine = await settings("seller-a")
    assert mine.tone == "flexible" and mine.currency == "THB"


async def test_a_session_of_one_seller_is_not_another_s(mesh: Mesh) -> None:
    theirs = await mesh.buyer_says("seller-a", "hello A")
    async with mesh.browser("seller-b") as other:
        answer = await other.get(f"/dashboard/conversations/{theirs}")
    assert answer.status_code == 404
