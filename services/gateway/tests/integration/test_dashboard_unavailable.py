"""A service behind the dashboard that is down gives a clear 503 page, never a 500."""

from __future__ import annotations

import asyncio

import pytest

from .conftest import Mesh

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


async def test_the_overview_shows_analytics_and_survives_it_being_down(mesh: Mesh) -> None:
    await mesh.buyer_says("seller-a", "would you take 7000 for it?")
    async with mesh.browser("seller-a") as browser:
        deadline = asyncio.get_running_loop().time() + 15
        page = await browser.get("/dashboard")
        while "Performance, last 7 days" not in page.text or "<td>Offers received</td><td>0<" in (
            page.text
        ):
            assert asyncio.get_running_loop().time() < deadline, page.text
            await asyncio.sleep(0.3)
            page = await browser.get("/dashboard")
        assert page.status_code == 200
        assert "<td>Conversations started</td><td>1</td>" in page.text
        assert "<td>Offers received</td><td>1</td>" in page.text
        await mesh.stop["analytics"]()
        without = await browser.get("/dashboard")
    assert without.status_code == 200
    assert "Performance figures are not available now" in without.text


async def test_each_service_down_gives_a_503_page_naming_it(mesh: Mesh) -> None:
    conversation_id = await mesh.buyer_says("seller-a", "Is it available?")
    path = f"/dashboard/conversations/{conversation_id}"
    async with mesh.browser("seller-a") as browser:
        assert (await browser.get(path)).status_code == 200
        await mesh.stop["delivery"]()
        without_delivery = await browser.get(path)
        await mesh.stop["negotiation"]()
        without_negotiation = await browser.get(path)
        listings = await browser.get("/dashboard/listings")
        await mesh.stop["tenants"]()
        without_tenants = await browser.get("/dashboard/listings")
        sign_in = await browser.post(mesh.login_link("seller-a"))
    assert listings.status_code == 200  # only tenants is needed there
    for answer, service in (
        (without_delivery, "delivery"),
        (without_negotiation, "negotiation"),
        (without_tenants, "tenants"),
        (sign_in, "tenants"),
    ):
        assert answer.status_code == 503, answer.text
        assert f"Part of Parley ({service}) is not answering just now" in answer.text
        assert answer.headers["cache-control"] == "no-store"
