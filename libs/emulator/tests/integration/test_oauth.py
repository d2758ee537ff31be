"""Facebook Login and Page onboarding: dialog, code exchange, Page tokens, debug_token."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from parley_emulator.testing import (
    APP_ID,
    APP_SECRET,
    PAGE_ID,
    PAGE_TOKEN,
    PSID,
    USER_ID,
    Harness,
    error_of,
)

pytestmark = pytest.mark.integration
REDIRECT = "https://parley.test/oauth/callback"
SCOPES = "pages_messaging,pages_manage_metadata,pages_show_list,pages_read_engagement"


async def login(
    harness: Harness, path: str = "/v21.0/dialog/oauth", **extra: str
) -> dict[str, list[str]]:
    params = {
        "client_id": APP_ID,
        "redirect_uri": REDIRECT,
        "state": "s1gned.st4te",
        "scope": SCOPES,
        **extra,
    }
    response = await harness.client.get(path, params=params)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return parse_qs(location.query)


async def exchange(harness: Harness, code: str) -> dict[str, object]:
    response = await harness.client.get(
        "/v21.0/oauth/access_token",
        params={
            "client_id": APP_ID,
            "client_secret": APP_SECRET,
            "redirect_uri": REDIRECT,
            "code": code,
        },
    )
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


async def test_onboarding_flow_from_dialog_to_a_page_token_that_sends(harness: Harness) -> None:
    query = await login(harness, user_id=USER_ID)
    assert query["state"] == ["s1gned.st4te"]
    short = await exchange(harness, query["code"][0])
    assert short["token_type"] == "bearer" and short["expires_in"] == 3600
    long_lived = (
        await harness.client.get(
            "/v21.0/oauth/access_token",
            params={
                "grant_type": "fb_exchange_token",
                "client_id": APP_ID,
                "client_secret": APP_SECRET,
                "fb_exchange_token": short["access_token"],
            },
        )
    ).json()
    assert long_lived["expires_in"] == 5183944
    accounts = await harness.graph(
        "GET",
        "/v21.0/me/accounts",
        token=long_lived["access_token"],
        params={"fields": "id,name,access_token"},
    )
    [page] = accounts.json()["data"]
    assert (page["id"], page["name"]) == (PAGE_ID, "Test Shop") and set(page) == {
        "id",
        "name",
        "access_token",
    }
    subscribe = await harness.graph(
        "POST",
        f"/v21.0/{PAGE_ID}/subscribed_apps",
        token=page["access_token"],
        params={"subscribed_fields": "messages,message_echoes"},
    )
    assert subscribe.json() == {"success": True}
    subscribed = await harness.graph(
        "GET", f"/v21.0/{PAGE_ID}/subscribed_apps", token=page["access_token"]
    )
    assert subscribed.json()["data"][0]["subscribed_fields"] == ["messages", "message_echoes"]
    await harness.buyer(text="hi")
    body = {"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"text": "hey"}}
    sent = await harness.graph("POST", "/v21.0/me/messages", token=page["access_token"], json=body)
    assert sent.status_code == 200


async def test_dialog_without_version_and_with_the_configured_user(harness: Harness) -> None:
    other = await harness.op("POST", "/users", json={"name": "No Pages"})
    await harness.op("PUT", "/login", json={"user_id": other["id"]})
    query = await login(harness, path="/dialog/oauth")
    token = (await exchange(harness, query["code"][0]))["access_token"]
    accounts = await harness.graph("GET", "/v21.0/me/accounts", token=str(token))
    assert accounts.json()["data"] == []
    me = await harness.graph("GET", "/v21.0/me", token=str(token))
    assert me.json() == {"id": other["id"], "name": "No Pages"}


async def test_seller_declining_comes_back_with_an_error_and_the_state(harness: Harness) -> None:
    query = await login(harness, deny="1")
    assert query["error"] == ["access_denied"] and query["state"] == ["s1gned.st4te"]
    assert "code" not in query


async def test_a_code_is_used_once_and_only_with_its_redirect_uri(harness: Harness) -> None:
    code = (await login(harness))["code"][0]
    wrong_redirect = await harness.client.get(
        "/v21.0/oauth/access_token",
        params={
            "client_id": APP_ID,
            "client_secret": APP_SECRET,
            "redirect_uri": REDIRECT + "x",
            "code": code,
        },
    )
    assert error_of(wrong_redirect) == (100, 36008)
    code = (await login(harness))["code"][0]
    await exchange(harness, code)
    again = await harness.client.get(
        "/v21.0/oauth/access_token",
        params={
            "client_id": APP_ID,
            "client_secret": APP_SECRET,
            "redirect_uri": REDIRECT,
            "code": code,
        },
    )
    assert error_of(again) == (100, 36009)


async def test_wrong_client_secret_is_refused(harness: Harness) -> None:
    code = (await login(harness))["code"][0]
    response = await harness.client.get(
        "/v21.0/oauth/access_token",
        params={
            "client_id": APP_ID,
            "client_secret": "guess",
            "redirect_uri": REDIRECT,
            "code": code,
        },
    )
    assert error_of(response)[0] == 1


async def test_short_lived_user_token_expires_after_an_hour(harness: Harness) -> None:
    token = (await exchange(harness, (await login(harness))["code"][0]))["access_token"]
    await harness.op("POST", "/clock", json={"advance_s": 3601})
    response = await harness.graph("GET", "/v21.0/me/accounts", token=str(token))
    assert error_of(response) == (190, 463)


async def test_debug_token_describes_page_and_user_tokens(harness: Harness) -> None:
    app_token = f"{APP_ID}|{APP_SECRET}"
    page = await harness.client.get(
        "/v21.0/debug_token", params={"input_token": PAGE_TOKEN, "access_token": app_token}
    )
    data = page.json()["data"]
    assert data["app_id"] == APP_ID and data["type"] == "PAGE" and data["is_valid"] is True
    assert data["expires_at"] == 0 and "pages_messaging" in data["scopes"]
    assert {"scope": "pages_messaging", "target_ids": [PAGE_ID]} in data["granular_scopes"]
    await harness.op("POST", f"/pages/{PAGE_ID}/token", json={"action": "revoke"})
    revoked = await harness.client.get(
        "/v21.0/debug_token", params={"input_token": PAGE_TOKEN, "access_token": app_token}
    )
    assert revoked.json()["data"]["is_valid"] is False
    user = (await exchange(harness, (await login(harness))["code"][0]))["access_token"]
    described = (
        await harness.client.get(
            "/v21.0/debug_token", params={"input_token": user, "access_token": app_token}
        )
    ).json()["data"]
    assert described["type"] == "USER" and described["user_id"] == USER_ID
    assert described["expires_at"] > 0 and described["scopes"] == SCOPES.split(",")


async def test_debug_token_needs_the_app_token(harness: Harness) -> None:
    response = await harness.client.get(
        "/v21.0/debug_token", params={"input_token": PAGE_TOKEN, "access_token": f"{APP_ID}|wrong"}
    )
    assert error_of(response)[0] == 190


async def test_buyer_profile_is_read_with_the_page_token(harness: Harness) -> None:
    response = await harness.graph(
        "GET",
        f"/v21.0/{PSID}",
        params={"fields": "first_name,last_name,profile_pic,locale,timezone"},
    )
    profile = response.json()
    assert profile["first_name"] == "Alex" and profile["last_name"] == "Buyer"
    assert profile["locale"] == "fr_FR" and profile["timezone"] == 2
    assert profile["profile_pic"].startswith("https://") and profile["id"] == PSID


async def test_profile_of_an_unknown_psid_or_without_profile_is_an_error(
    harness: Harness,
) -> None:
    assert error_of(await harness.graph("GET", "/v21.0/4242424242"))[0] == 100
    await harness.op("POST", "/buyers", json={"psid": PSID, "has_profile": False})
    assert error_of(await harness.graph("GET", f"/v21.0/{PSID}")) == (100, 2018218)
