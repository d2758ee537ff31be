"""Settings and listings through the API, and deleting a Facebook user's data."""

from __future__ import annotations

import grpc
import pytest

from parley.events.v1 import tenants_pb2 as events
from parley.tenants.v1 import tenants_pb2 as pb
from parley_emulator.testing import PAGE_ID, USER_ID
from parley_tenants.entrypoints.operator_cli import demo_listing

from .conftest import Service

pytestmark = pytest.mark.integration


def usd(amount: int) -> pb.Money:
    return pb.Money(currency="USD", amount_minor=amount * 100)


def listing(seller_id: str, **changes: object) -> pb.Listing:
    base = demo_listing()
    base.seller_id = seller_id
    for name, value in changes.items():
        if isinstance(value, pb.Money | pb.RuleOverrides):
            getattr(base, name).CopyFrom(value)
        else:
            setattr(base, name, value)
    return base


async def invalid(call: object) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call  # type: ignore[misc]
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT, raised.value.details()
    return raised.value.details() or ""


async def test_settings_round_trip_and_reject_bad_fields_by_name(service: Service) -> None:
    seller_id = await service.create_seller()
    stub = service.stub()
    current = (
        await stub.GetSellerSettings(pb.GetSellerSettingsRequest(seller_id=seller_id))
    ).settings
    assert list(current.languages) == ["en"] and current.reply_pace == pb.REPLY_PACE_HUMAN
    current.ClearField("languages")
    current.languages.extend(["th", "en"])
    current.tone = "firm"
    current.reply_pace = pb.REPLY_PACE_INSTANT
    current.takeover_keywords.append("manager")
    current.viewing_availability.append(pb.ViewingSlot(weekday=6, start="10:00", end="14:00"))
    saved = (
        await stub.UpdateSellerSettings(pb.UpdateSellerSettingsRequest(settings=current))
    ).settings
    assert (saved.language, saved.tone, saved.pacing_enabled) == ("th", "firm", False)
    assert saved.version == current.version + 1
    read = await service.stub("negotiation").GetSellerSettings(
        pb.GetSellerSettingsRequest(seller_id=seller_id)
    )
    assert read.settings == saved
    unknown = pb.SellerSettings()
    unknown.CopyFrom(saved)
    unknown.languages.append("xx")
    assert "languages" in await invalid(
        stub.UpdateSellerSettings(pb.UpdateSellerSettingsRequest(settings=unknown))
    )
    slot = pb.SellerSettings()
    slot.CopyFrom(saved)
    slot.viewing_availability.append(pb.ViewingSlot(weekday=8, start="10:00", end="11:00"))
    assert "viewing_availability[1].weekday" in await invalid(
        stub.UpdateSellerSettings(pb.UpdateSellerSettingsRequest(settings=slot))
    )


async def test_a_stale_settings_version_is_refused(service: Service) -> None:
    seller_id = await service.create_seller()
    stub = service.stub()
    current = (
        await stub.GetSellerSettings(pb.GetSellerSettingsRequest(seller_id=seller_id))
    ).settings
    await stub.UpdateSellerSettings(pb.UpdateSellerSettingsRequest(settings=current))
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.UpdateSellerSettings(pb.UpdateSellerSettingsRequest(settings=current))
    assert raised.value.code() is grpc.StatusCode.FAILED_PRECONDITION


async def test_listing_prices_are_validated_naming_the_field(service: Service) -> None:
    seller_id = await service.create_seller()
    stub = service.stub()
    cases = {
        "floor_price": listing(seller_id, floor_price=usd(9_000)),
        "asking_price": listing(seller_id, asking_price=pb.Money(currency="USD", amount_minor=-5)),
        "auto_accept_price": listing(seller_id, auto_accept_price=usd(7_000)),
        "ref": listing(seller_id, ref="no spaces please"),
        "overrides.languages": listing(seller_id, overrides=pb.RuleOverrides(languages=["xx"])),
    }
    for field, bad in cases.items():
        details = await invalid(stub.CreateListing(pb.CreateListingRequest(listing=bad)))
        assert details.startswith(f"{field}:"), details


async def test_a_listing_is_found_by_ref_and_its_rules_merge_settings_and_overrides(
    service: Service,
) -> None:
    seller_id = await service.create_seller()
    await service.onboard(seller_id)
    stub = service.stub()
    item = listing(
        seller_id, overrides=pb.RuleOverrides(tone="flexible", extra_takeover_keywords=["lawyer"])
    )
    created = (await stub.CreateListing(pb.CreateListingRequest(listing=item))).listing
    assert (
        created.listing_id and created.available and created.status == pb.LISTING_STATUS_AVAILABLE
    )
    found = await service.stub("negotiation").GetListingByRef(
        pb.GetListingByRefRequest(page_id=PAGE_ID, ref="corolla-2015")
    )
    assert found.listing.listing_id == created.listing_id
    assert found.listing.vehicle.make == "Toyota" and found.listing.asking_price == usd(8_500)
    rules = (
        await service.stub("negotiation").GetListingRules(
            pb.GetListingRulesRequest(listing_id=created.listing_id)
        )
    ).rules
    assert (rules.tone, rules.max_concessions, list(rules.languages)) == ("flexible", 3, ["en"])
    assert rules.floor_price == usd(7_600) and rules.auto_accept_price == usd(8_200)
    assert list(rules.takeover_keywords) == ["lawyer"]
    again = await refused_code(stub.CreateListing(pb.CreateListingRequest(listing=item)))
    assert again is grpc.StatusCode.ALREADY_EXISTS
    sold = (
        await stub.MarkListingSold(pb.MarkListingSoldRequest(listing_id=created.listing_id))
    ).listing
    assert sold.status == pb.LISTING_STATUS_SOLD and not sold.available
    available = await stub.ListListings(
        pb.ListListingsRequest(seller_id=seller_id, available_only=True)
    )
    assert list(available.listings) == []


async def test_every_change_of_rules_is_announced_for_caches(service: Service) -> None:
    seller_id = await service.create_seller()
    stub = service.stub()
    current = (
        await stub.GetSellerSettings(pb.GetSellerSettingsRequest(seller_id=seller_id))
    ).settings
    current.tone = "flexible"
    await stub.UpdateSellerSettings(pb.UpdateSellerSettingsRequest(settings=current))
    created = (
        await stub.CreateListing(pb.CreateListingRequest(listing=listing(seller_id)))
    ).listing
    created.title = "Toyota Corolla 2015, new tyres"
    await stub.UpdateListing(pb.UpdateListingRequest(listing=created))
    await stub.MarkListingSold(pb.MarkListingSoldRequest(listing_id=created.listing_id))
    await stub.DeleteListing(pb.DeleteListingRequest(listing_id=created.listing_id))
    changes = [
        events.RulesChanged.FromString(payload)
        for _, payload, _ in await service.events("rules_changed")
    ]
    mine = [(c.seller_id, c.listing_id, c.change) for c in changes if c.seller_id == seller_id]
    lid = created.listing_id
    assert mine == [
        (seller_id, "", "settings"),
        (seller_id, lid, "created"),
        (seller_id, lid, "updated"),
        (seller_id, lid, "sold"),
        (seller_id, lid, "deleted"),
    ]


async def test_a_listing_update_needs_the_current_version(service: Service) -> None:
    seller_id = await service.create_seller()
    stub = service.stub()
    created = (
        await stub.CreateListing(pb.CreateListingRequest(listing=listing(seller_id)))
    ).listing
    created.title = "2015 Toyota Corolla S"
    updated = (await stub.UpdateListing(pb.UpdateListingRequest(listing=created))).listing
    assert updated.title.endswith(" S") and updated.version == created.version + 1
    code = await refused_code(stub.UpdateListing(pb.UpdateListingRequest(listing=created)))
    assert code is grpc.StatusCode.FAILED_PRECONDITION
    await stub.DeleteListing(pb.DeleteListingRequest(listing_id=created.listing_id))
    code = await refused_code(stub.GetListing(pb.GetListingRequest(listing_id=created.listing_id)))
    assert code is grpc.StatusCode.NOT_FOUND


async def test_deleting_a_seller_s_facebook_data_removes_pages_tokens_and_listings(
    service: Service,
) -> None:
    seller_id = await service.create_seller()
    await service.onboard(seller_id)
    await service.stub().CreateListing(pb.CreateListingRequest(listing=listing(seller_id)))
    started = await service.stub("gateway").DeleteUserData(
        pb.DeleteUserDataRequest(user_id=USER_ID)
    )
    assert started.status_url == f"https://parley.test/deletion/{started.confirmation_code}"
    status = await service.stub("gateway").GetDeletionStatus(
        pb.GetDeletionStatusRequest(confirmation_code=started.confirmation_code)
    )
    assert status.deletion.status == pb.DELETION_STATUS_IN_PROGRESS
    assert "1 Page(s)" in status.deletion.progress[0]
    assert (await refused_code(service.stub().GetPage(pb.GetPageRequest(page_id=PAGE_ID)))) is (
        grpc.StatusCode.NOT_FOUND
    )
    seller = (await service.stub().GetSeller(pb.GetSellerRequest(seller_id=seller_id))).seller
    assert seller.status == pb.SELLER_STATUS_DELETED and seller.name == "deleted seller"
    assert seller.email == "" and seller.facebook_user_id == ""
    [(_, payload, _)] = await service.events("user_data_deletion_requested")
    event = events.UserDataDeletionRequested.FromString(payload)
    assert (event.facebook_user_id, list(event.page_ids)) == (USER_ID, [PAGE_ID])
    assert event.confirmation_code == started.confirmation_code
    listed = await service.emulator_op("GET", "/pages")
    [emulated] = [p for p in listed["data"] if p["id"] == PAGE_ID]  # type: ignore[union-attr]
    assert not emulated["subscriptions"]  # type: ignore[index]


async def test_deleting_an_unknown_user_still_tells_the_other_services(service: Service) -> None:
    started = await service.stub("operator").DeleteUserData(
        pb.DeleteUserDataRequest(user_id="5000000000000009")
    )
    [(_, payload, _)] = await service.events("user_data_deletion_requested")
    assert events.UserDataDeletionRequested.FromString(payload).seller_ids == []
    assert started.confirmation_code
    code = await refused_code(
        service.stub("negotiation").DeleteUserData(pb.DeleteUserDataRequest(user_id="1"))
    )
    assert code is grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize("user_id", ["", "-5", "12a", "\u00b2", "\u0661\u0662", "1\x00"])
async def test_a_user_id_that_is_not_ascii_digits_is_refused_and_nothing_recorded(
    service: Service, user_id: str
) -> None:
    request = pb.DeleteUserDataRequest(user_id=user_id)
    code = await refused_code(service.stub("gateway").DeleteUserData(request))
    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert await service.events("user_data_deletion_requested") == []


async def refused_code(call: object) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call  # type: ignore[misc]
    return raised.value.code()
