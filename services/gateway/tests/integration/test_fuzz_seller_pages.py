"""The pages people and Meta reach, over a real socket, in front of the real tenants service
(PostgreSQL, NATS JetStream, the emulator playing Facebook), fed hostile input: the OAuth
callback, Meta's data-deletion callback, connect links, deletion status pages and the signed-out
dashboard. Never a 5xx; forged or garbled input is a 4xx and leaves tenants' tables as they were."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import asyncpg
import httpx
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from parley.tenants.v1 import tenants_pb2 as tpb
from parley.tenants.v1.tenants_pb2_grpc import TenantServiceStub
from parley_emulator.server import EmulatorServer
from parley_emulator.testing import APP_SECRET, VERIFY_TOKEN
from parley_gateway.bootstrap import build_app
from parley_gateway.domain.signed_request import make_signed_request
from parley_gateway.settings import GatewaySettings
from parley_kit.grpc_client import open_channel
from parley_testkit.asgi import serve_app
from parley_testkit.http_fuzz import Tally, json_values, text

from .conftest import (
    DASHBOARD_SECRET,
    TENANTS_TOKENS,
    _delete_streams,
    _facebook,
    _streams,
    _tenants,
    _world,
)

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
TALLY = Tally("gateway seller pages fuzz")
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SELLER = "fuzz-seller"
NOWHERE = "127.0.0.1:9"  # the dashboard's other services: never reached while signed out
MARK = "<script>alert(1)</script>"


@dataclass
class Site:
    """The gateway in front of tenants, and a look into tenants' tables."""

    url: str
    http: httpx.AsyncClient
    db: asyncpg.Connection[asyncpg.Record]
    schema: str
    tenants: Any

    async def rows(self) -> dict[str, int]:
        tables = await self.db.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1",
            self.schema,
        )
        return {
            t["table_name"]: await self.db.fetchval(
                f'SELECT count(*) FROM "{self.schema}"."{t["table_name"]}"'
            )
            for t in tables
        }

    async def fresh_state(self) -> str:
        answer = await self.tenants.GetOnboardingUrl(tpb.GetOnboardingUrlRequest(seller_id=SELLER))
        return str(parse_qs(urlsplit(answer.url).query)["state"][0])

    async def connect_link(self) -> str:
        answer = await self.tenants.GetConnectLink(tpb.GetConnectLinkRequest(seller_id=SELLER))
        return str(answer.url).rsplit("/", 1)[1]

    async def seller_untouched(self) -> bool:
        pages = await self.tenants.ListPages(tpb.ListPagesRequest(seller_id=SELLER))
        seller = await self.tenants.GetSeller(tpb.GetSellerRequest(seller_id=SELLER))
        return not pages.pages and not seller.seller.facebook_user_id


@pytest.fixture(scope="module", autouse=True)
def _report_inputs() -> Iterator[None]:
    yield
    TALLY.write()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(database_url: str, nats_url: str) -> AsyncIterator[Site]:
    unique = uuid.uuid4().hex[:10]
    schema = f"t_{unique}_tenants"
    db = await asyncpg.connect(database_url)
    await db.execute(f'CREATE SCHEMA "{schema}"')
    emulator = EmulatorServer(_world())
    await emulator.start()
    common = {
        **_facebook(emulator.url),
        **_streams(unique),
        "PARLEY_DATABASE_URL": database_url,
        "PARLEY_NATS_URL": nats_url,
    }
    tenants = await _tenants(common, database_url, schema)
    address = f"127.0.0.1:{tenants.server.port}"
    try:
        async with (
            serve_app(build_app(_gateway_settings(common, address))) as url,
            httpx.AsyncClient(base_url=url, timeout=20) as http,
            open_channel(address, caller_token=TENANTS_TOKENS["gateway"]) as channel,
        ):
            await _create_seller(address)
            yield Site(url, http, db, schema, TenantServiceStub(channel))
    finally:
        await tenants.stop(grace=0)
        await emulator.stop()
        await _delete_streams(nats_url, unique)
        await db.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await db.close()


def _gateway_settings(common: dict[str, str], tenants_address: str) -> GatewaySettings:
    return GatewaySettings.from_env(
        {
            **common,
            "FACEBOOK_VERIFY_TOKEN": VERIFY_TOKEN,
            "PARLEY_GATEWAY_PORT": "0",
            "PARLEY_TENANTS_ADDR": tenants_address,
            "PARLEY_TENANTS_TOKEN": TENANTS_TOKENS["gateway"],
            "PARLEY_NEGOTIATION_ADDR": NOWHERE,
            "PARLEY_DELIVERY_ADDR": NOWHERE,
            "PARLEY_ANALYTICS_ADDR": NOWHERE,
            "PARLEY_DASHBOARD_SECRET": DASHBOARD_SECRET,
            "PARLEY_PUBLIC_URL": "http://127.0.0.1",
        }
    )


async def _create_seller(address: str) -> None:
    async with open_channel(address, caller_token=TENANTS_TOKENS["operator"]) as channel:
        request = tpb.CreateSellerRequest(seller_id=SELLER, name="Fuzz", email="f@x.io")
        await TenantServiceStub(channel).CreateSeller(request)


@contextlib.asynccontextmanager
async def unchanged(site: Site) -> AsyncIterator[None]:
    """Asserts that tenants' tables hold as many rows afterwards as before."""
    before = await site.rows()
    yield
    assert await site.rows() == before


def _refused(answer: httpx.Response, status: int = 400) -> None:
    assert answer.status_code == status, answer.text
    assert MARK not in answer.text


OAUTH_NAMES = st.sampled_from(["code", "state", "error", "error_reason", "error_description"])
OAUTH_VALUES = st.one_of(st.text(max_size=40), st.sampled_from(["", MARK, "v1.a.b.c.d"]))


@FUZZ
@given(pairs=st.lists(st.tuples(st.one_of(OAUTH_NAMES, st.text()), OAUTH_VALUES), max_size=5))
async def test_the_oauth_callback_refuses_forged_states_and_stores_nothing(
    site: Site, pairs: list[tuple[str, str]]
) -> None:
    async with unchanged(site):
        answer = await site.http.get(f"/oauth/callback?{urlencode(pairs)}")
    TALLY.add("GET /oauth/callback", answer.status_code)
    _refused(answer)
    assert "Pages not connected" in answer.text


@FUZZ
@given(code=st.text(min_size=1, max_size=60), cut=st.integers(0, 3))
async def test_a_genuine_state_with_a_garbage_code_connects_nothing(
    site: Site, code: str, cut: int
) -> None:
    state = await site.fresh_state()
    answer = await site.http.get("/oauth/callback", params={"code": code, "state": state})
    TALLY.add("GET /oauth/callback, genuine state", answer.status_code)
    _refused(answer)
    assert await site.seller_untouched()
    if cut:
        async with unchanged(site):
            altered = state[:-cut] if cut < 3 else state + "x"
            again = await site.http.get("/oauth/callback", params={"code": code, "state": altered})
        _refused(again)


@FUZZ
@given(link=st.one_of(st.text(max_size=80), st.sampled_from(["", ".", "..", MARK, "v1.x.y.z"])))
async def test_a_connect_link_that_is_not_ours_is_refused(site: Site, link: str) -> None:
    async with unchanged(site):
        answer = await site.http.get(f"/connect/{quote(link, safe='')}")
    TALLY.add("GET /connect/{link}", answer.status_code)
    _refused(answer, 404 if link in ("", ".", "..") or "/" in link else 400)


async def test_a_genuine_connect_link_leads_to_facebook_and_an_altered_one_does_not(
    site: Site,
) -> None:
    link = await site.connect_link()
    answer = await site.http.get(f"/connect/{link}")
    assert answer.status_code == 302 and "/dialog/oauth" in answer.headers["location"]
    for altered in (link[:-1], link + "A", link.replace(".", "-", 1)):
        async with unchanged(site):
            _refused(await site.http.get(f"/connect/{quote(altered, safe='')}"))


@FUZZ
@given(code=st.one_of(st.text(min_size=1, max_size=60), st.just(MARK)))
async def test_an_unknown_deletion_code_is_404(site: Site, code: str) -> None:
    assume("/" not in code and code not in (".", ".."))
    async with unchanged(site):
        answer = await site.http.get(f"/deletion/{quote(code, safe='')}")
    TALLY.add("GET /deletion/{code}", answer.status_code)
    _refused(answer, 404)


_GOOD: dict[str, object] = {"algorithm": "HMAC-SHA256", "user_id": "10000042", "issued_at": 1}


def _spoilt(key: str) -> st.SearchStrategy[dict[str, object]]:
    """The good payload without `key`, or with a value there that Meta never sends."""
    without = {name: value for name, value in _GOOD.items() if name != key}
    wrong = json_values(3).filter(lambda value: _spoils(key, value))
    return st.one_of(st.just(without), wrong.map(lambda value: {**_GOOD, key: value}))


def _garbled_payloads() -> st.SearchStrategy[Any]:
    """Payloads Meta never signs: not an object, or without a valid algorithm, user or time."""
    not_objects = json_values(6).filter(lambda value: not isinstance(value, dict))
    return st.one_of(not_objects, *(_spoilt(key) for key in sorted(_GOOD)))


def _spoils(key: str, value: object) -> bool:
    if key == "algorithm":
        return str(value).upper() != "HMAC-SHA256"
    if key == "issued_at":
        return isinstance(value, bool) or not isinstance(value, int)
    return isinstance(value, bool) or not isinstance(value, str | int) or str(value) == ""


@st.composite
def forged_requests(draw: st.DrawFn) -> str:
    """A signed_request that Meta did not send: any text, another key, or a garbled payload."""
    valid = {"algorithm": "HMAC-SHA256", "user_id": draw(st.text()), "issued_at": 1}
    return draw(
        st.one_of(
            text,
            st.sampled_from(["", ".", "a.b.c", MARK]),
            st.just(make_signed_request(valid, b"another-secret")),
            _garbled_payloads().map(lambda p: make_signed_request(p, APP_SECRET.encode())),
        )
    )


@FUZZ
@given(signed=forged_requests(), extra=st.lists(st.tuples(text, text), max_size=2))
async def test_a_forged_or_garbled_deletion_request_is_403_and_stores_nothing(
    site: Site, signed: str, extra: list[tuple[str, str]]
) -> None:
    form = urlencode([*extra, ("signed_request", signed)], errors="surrogatepass")
    async with unchanged(site):
        answer = await site.http.post("/facebook/data-deletion", content=form.encode())
    TALLY.add("POST /facebook/data-deletion, forged", answer.status_code)
    _refused(answer, 403)


@FUZZ
@given(user_id=st.one_of(text, st.integers(max_value=-1)))
async def test_a_genuine_deletion_request_naming_no_facebook_user_is_403_and_stores_nothing(
    site: Site, user_id: str | int
) -> None:
    assume(user_id != "" and not (str(user_id).isascii() and str(user_id).isdigit()))
    payload: dict[str, object] = {"algorithm": "HMAC-SHA256", "user_id": user_id, "issued_at": 1}
    signed = make_signed_request(payload, APP_SECRET.encode())
    async with unchanged(site):
        answer = await site.http.post("/facebook/data-deletion", data={"signed_request": signed})
    TALLY.add("POST /facebook/data-deletion, genuine, not a user id", answer.status_code)
    _refused(answer, 403)


@settings(FUZZ, max_examples=20)
@given(user_id=st.one_of(st.text("0123456789", min_size=1, max_size=20), st.integers(0, 10**20)))
async def test_a_genuine_deletion_request_is_answered_with_its_status_page(
    site: Site, user_id: str | int
) -> None:
    payload: dict[str, object] = {"algorithm": "hmac-sha256", "user_id": user_id, "issued_at": 1}
    signed = make_signed_request(payload, APP_SECRET.encode())
    answer = await site.http.post("/facebook/data-deletion", data={"signed_request": signed})
    TALLY.add("POST /facebook/data-deletion, genuine", answer.status_code)
    assert answer.status_code == 200, answer.text
    receipt = answer.json()
    status = await site.http.get(urlsplit(receipt["url"]).path)
    assert status.status_code == 200 and receipt["confirmation_code"] in status.text


@FUZZ
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    path=st.one_of(
        st.lists(st.one_of(text, st.sampled_from(["login", "signin", "pages", "listings"]))),
        st.tuples(st.sampled_from(["login", "pages", "conversations", "listings"]), text).map(list),
        st.just([]),
    ),
)
async def test_the_signed_out_dashboard_never_fails_and_shows_nothing(
    site: Site, method: str, path: list[str]
) -> None:
    url = "/".join(["/dashboard", *(quote(p, safe="", errors="replace") for p in path)])
    async with unchanged(site):
        answer = await site.http.request(method, url, data={"csrf": "x", "text": MARK})
    TALLY.add("/dashboard/* signed out", answer.status_code)
    assert answer.status_code < 500 and MARK not in answer.text
    assert answer.status_code != 200 or path[:1] in (["login"], ["signin"]), answer.text
