"""A service behind the dashboard that is down gives a clear 503 page, never a 500."""

from __future__ import annotations

import pytest

from .conftest import Mesh

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


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
