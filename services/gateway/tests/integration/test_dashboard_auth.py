"""Signing in to the seller dashboard: login links, sessions, CSRF, the CLI that makes links."""

from __future__ import annotations

import asyncio
import os
import sys
import time

import pytest

from parley.negotiation.v1 import negotiation_pb2 as npb
from parley_gateway.dashboard.auth import Signer

from .conftest import DASHBOARD_SECRET, TENANTS_TOKENS, Mesh, form_token

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


async def test_a_valid_login_link_signs_the_seller_in(mesh: Mesh) -> None:
    link = mesh.login_link("seller-a")
    async with mesh.browser() as browser:
        confirm = await browser.get(link)
        assert confirm.status_code == 200
        assert f'action="{link}"' in confirm.text and "seller-a" in confirm.text
        assert "set-cookie" not in confirm.headers  # opening the link alone signs nobody in
        signed = await browser.post(link)
        assert signed.status_code == 303 and signed.headers["location"] == "/dashboard"
        cookie = signed.headers["set-cookie"]
        assert cookie.startswith("parley_session=v1.")
        for attribute in ("HttpOnly", "Path=/dashboard", "SameSite=lax", "Max-Age=43200"):
            assert attribute.lower() in cookie.lower()
        assert "secure" not in cookie.lower()  # PARLEY_PUBLIC_URL is http here
        overview = await browser.get("/dashboard")
    assert overview.status_code == 200
    assert "Dana&#x27;s &lt;Cars&gt;" in overview.text and "<Cars>" not in overview.text
    assert overview.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in overview.headers["content-security-policy"]


async def test_an_expired_login_link_is_refused(mesh: Mesh) -> None:
    link = mesh.login_link("seller-a", ttl_s=60, now=time.time() - 61)
    async with mesh.browser() as browser:
        opened = await browser.get(link)
        followed = await browser.post(link)
        after = await browser.get("/dashboard")
    assert opened.status_code == 400 and "has expired" in opened.text
    assert followed.status_code == 400 and "has expired" in followed.text
    assert "set-cookie" not in followed.headers
    assert after.status_code == 303 and after.headers["location"] == "/dashboard/signin"


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"),
        lambda token: Signer(b"another-secret-of-someone-else-0123456").login_token(
            "seller-a", 300
        ),
        lambda token: token.replace("v1.", "v2.", 1),
        lambda token: "seller-a",
    ],
    ids=["tampered", "other-key", "other-version", "bare-id"],
)
async def test_a_forged_login_link_is_refused(mesh: Mesh, forge: object) -> None:
    genuine = mesh.signer.login_token("seller-a", 300)
    forged = forge(genuine)  # type: ignore[operator]
    async with mesh.browser() as browser:
        opened = await browser.get(f"/dashboard/login/{forged}")
        followed = await browser.post(f"/dashboard/login/{forged}")
    assert opened.status_code == 400 and "not one Parley made" in opened.text
    assert followed.status_code == 400 and "set-cookie" not in followed.headers


async def test_a_session_cookie_cannot_be_used_as_a_login_link(mesh: Mesh) -> None:
    session = mesh.signer.session_token("seller-a", "Dana", 300)
    async with mesh.browser() as browser:
        followed = await browser.post(f"/dashboard/login/{session}")
    assert followed.status_code == 400 and "set-cookie" not in followed.headers


async def test_a_login_link_works_once(mesh: Mesh) -> None:
    link = mesh.login_link("seller-b")
    async with mesh.browser() as first, mesh.browser() as second:
        assert (await first.post(link)).status_code == 303
        again = await second.post(link)
        reopened = await second.get(link)
    assert again.status_code == 400 and "used already" in again.text
    assert reopened.status_code == 400 and "set-cookie" not in again.headers


async def test_a_link_for_an_unknown_seller_signs_nobody_in(mesh: Mesh) -> None:
    async with mesh.browser() as browser:
        followed = await browser.post(mesh.login_link("seller-nobody"))
    assert followed.status_code == 400 and "no longer knows" in followed.text


async def test_a_sign_in_from_another_site_is_refused(mesh: Mesh) -> None:
    async with mesh.browser() as browser:
        followed = await browser.post(
            mesh.login_link("seller-a"), headers={"Origin": "https://evil.example"}
        )
    assert followed.status_code == 403 and "set-cookie" not in followed.headers


@pytest.mark.parametrize(
    "path",
    ["/dashboard", "/dashboard/settings", "/dashboard/listings", "/dashboard/pages/1"],
)
async def test_pages_without_a_session_send_to_the_sign_in_explanation(
    mesh: Mesh, path: str
) -> None:
    async with mesh.browser() as browser:
        answer = await browser.get(path)
        explained = await browser.get("/dashboard/signin")
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/signin"
    assert explained.status_code == 200 and "sign-in link" in explained.text


@pytest.mark.parametrize(
    "cookie",
    [
        Signer(DASHBOARD_SECRET.encode()).session_token("seller-a", "A", 60, now=time.time() - 61),
        Signer(b"another-secret-of-someone-else-0123456").session_token("seller-a", "A", 600),
        Signer(DASHBOARD_SECRET.encode()).login_token("seller-a", 600),
        "v1.e30.AAAA",
    ],
    ids=["expired", "other-key", "a-login-link", "garbage"],
)
async def test_a_bad_session_cookie_is_no_session(mesh: Mesh, cookie: str) -> None:
    async with mesh.browser() as browser:
        browser.cookies.set("parley_session", cookie, domain="127.0.0.1", path="/dashboard")
        answer = await browser.get("/dashboard")
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/signin"


async def test_forms_without_this_session_s_csrf_token_are_refused(mesh: Mesh) -> None:
    conversation_id = await mesh.buyer_says("seller-a", "Hi, is the car still for sale?")
    takeover = f"/dashboard/conversations/{conversation_id}/takeover"
    async with mesh.browser("seller-a") as seller, mesh.browser("seller-a") as other_session:
        other_token = form_token(await other_session.get("/dashboard"))
        missing = await seller.post(takeover)
        wrong = await seller.post(takeover, data={"csrf": other_token})
        empty = await seller.post(takeover, data={"csrf": ""})
    async with mesh.browser() as anonymous:
        no_session = await anonymous.post(takeover, data={"csrf": other_token})
    for answer in (missing, wrong, empty, no_session):
        assert answer.status_code == 403, answer.text
        assert "did not come from your open dashboard" in answer.text
    conversation = await mesh.conversation(conversation_id)
    assert conversation.state == npb.CONVERSATION_STATE_BOT


async def test_signing_out_ends_the_session(mesh: Mesh) -> None:
    async with mesh.browser("seller-a") as browser:
        token = form_token(await browser.get("/dashboard"))
        out = await browser.post("/dashboard/logout", data={"csrf": token})
        assert out.status_code == 303 and out.headers["location"] == "/dashboard/signin"
        assert 'parley_session=""' in out.headers["set-cookie"]
        after = await browser.get("/dashboard")
    assert after.status_code == 303


async def _cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sys; from parley_cli.main import main; sys.exit(main(sys.argv[1:]))",
        "gateway",
        "login-link",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


async def test_the_cli_prints_a_link_that_signs_the_seller_in(mesh: Mesh) -> None:
    tenants = mesh.tenants_address
    env = {
        **os.environ,
        "PARLEY_DASHBOARD_SECRET": DASHBOARD_SECRET,
        "PARLEY_PUBLIC_URL": mesh.gateway,
        "PARLEY_TENANTS_ADDR": tenants,
        "PARLEY_TENANTS_TOKEN": TENANTS_TOKENS["gateway"],
    }
    code, out, err = await _cli("--seller", "seller-c", env=env)
    assert code == 0, err
    assert out.startswith(f"{mesh.gateway}/dashboard/login/v1.")
    async with mesh.browser() as browser:
        signed = await browser.post(out.strip().removeprefix(mesh.gateway))
    assert signed.status_code == 303
    unknown = await _cli("--seller", "seller-nobody", env=env)
    assert unknown[0] == 1 and "no seller 'seller-nobody'" in unknown[2]
    unsigned = await _cli("--seller", "seller-c", env={**env, "PARLEY_DASHBOARD_SECRET": ""})
    assert unsigned[0] == 2 and "PARLEY_DASHBOARD_SECRET" in unsigned[2]
