"""The Page profile built from the seller's settings, within the Messenger Profile limits."""

from __future__ import annotations

import pytest

from parley_delivery.domain import profile as p
from parley_delivery.domain.profile import (
    IceBreaker,
    InvalidProfile,
    MenuItem,
    ProfileRequest,
    ProfileSettings,
    build_profile,
    digest,
)
from parley_kit import payloads


def test_the_domain_payloads_are_the_kits() -> None:
    assert (p.GET_STARTED, p.VIEW_DETAILS, p.BOOK_VIEWING, p.MAKE_OFFER, p.TALK_TO_PERSON) == (
        payloads.GET_STARTED,
        payloads.VIEW_DETAILS,
        payloads.BOOK_VIEWING,
        payloads.MAKE_OFFER,
        payloads.TALK_TO_PERSON,
    )


def test_a_profile_per_language_with_the_first_as_default() -> None:
    settings = ProfileSettings(languages=("th", "en"), page_name="Dana's Bikes")
    profile = build_profile(ProfileRequest(settings=settings))
    assert profile["get_started"] == {"payload": payloads.GET_STARTED}
    assert [g["locale"] for g in profile["greeting"]] == ["default", "en_US"]
    assert "Dana's Bikes" in profile["greeting"][0]["text"]
    assert all(len(g["text"]) <= 160 for g in profile["greeting"])
    menu = profile["persistent_menu"][0]["call_to_actions"]
    assert [item["payload"] for item in menu] == list(payloads.MENU[:1]) + [
        payloads.MAKE_OFFER,
        payloads.BOOK_VIEWING,
        payloads.TALK_TO_PERSON,
    ]
    assert all(
        len(item["title"]) <= 30
        for block in profile["persistent_menu"]
        for item in block["call_to_actions"]
    )
    assert all(len(block["call_to_actions"]) <= 4 for block in profile["ice_breakers"])


def test_actions_the_seller_does_not_offer_are_left_out() -> None:
    settings = ProfileSettings(viewings_enabled=False, human_takeover_enabled=False)
    profile = build_profile(ProfileRequest(settings=settings))
    payload_list = [a["payload"] for a in profile["ice_breakers"][0]["call_to_actions"]]
    assert payload_list == [payloads.VIEW_DETAILS, payloads.MAKE_OFFER]


def test_a_long_page_name_is_shortened_to_fit_the_greeting() -> None:
    profile = build_profile(ProfileRequest(settings=ProfileSettings(page_name="N" * 300)))
    assert len(profile["greeting"][0]["text"]) <= 160


def test_explicit_parts_win_over_the_built_ones() -> None:
    request = ProfileRequest(
        get_started_payload="START",
        greetings=(("en_US", "Hello"), ("default", "Hi")),
        ice_breakers=(IceBreaker("Price?", "MAKE_OFFER"),),
        menu=(MenuItem("Website", url="https://example.com"),),
    )
    profile = build_profile(request)
    assert profile["greeting"] == [
        {"locale": "default", "text": "Hi"},
        {"locale": "en_US", "text": "Hello"},
    ]
    assert profile["ice_breakers"][0]["call_to_actions"] == [
        {"question": "Price?", "payload": "MAKE_OFFER"}
    ]
    assert profile["persistent_menu"][0]["call_to_actions"] == [
        {"type": "web_url", "title": "Website", "url": "https://example.com"}
    ]
    assert digest(profile) == digest(build_profile(request))


@pytest.mark.parametrize(
    "request_",
    [
        ProfileRequest(greetings=(("en_US", "no default"),)),
        ProfileRequest(greetings=(("default", "x" * 161),)),
        ProfileRequest(ice_breakers=tuple(IceBreaker(f"q{i}", "P") for i in range(5))),
        ProfileRequest(menu=tuple(MenuItem(f"m{i}", "P") for i in range(21))),
        ProfileRequest(menu=(MenuItem("t" * 31, "P"),)),
        ProfileRequest(menu=(MenuItem("Site", url="http://insecure"),)),
    ],
)
def test_profiles_over_metas_limits_are_refused(request_: ProfileRequest) -> None:
    with pytest.raises(InvalidProfile):
        build_profile(request_)
