"""Test helpers: a recording webhook receiver, a seeded test world, a Graph client harness."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from parley_emulator.server import EmulatorServer
from parley_emulator.signing import appsecret_proof, verify_signature
from parley_emulator.world import World

APP_ID = "1300000000000099"
APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify"
OTHER_APP_ID = "1300000000000777"
OTHER_SECRET = "other-secret"
PAGE_ID = "111000111000111"
PAGE_TOKEN = "test-page-token-00000000000000001"
PSID = "5000000000000001"
PSID_2 = "5000000000000002"
USER_ID = "1000000000000042"


@dataclass
class Received:
    """One webhook POST as the receiver saw it."""

    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        """The parsed body."""
        data: dict[str, Any] = json.loads(self.body)
        return data

    def events(self, channel: str = "messaging") -> list[dict[str, Any]]:
        """Every event of one channel (messaging, standby, changes) in this POST."""
        return [event for entry in self.json["entry"] for event in entry.get(channel, [])]

    def signed_by(self, secret: str) -> bool:
        """Whether the `X-Hub-Signature-256` header verifies with this app secret."""
        return verify_signature(self.body, self.headers.get("x-hub-signature-256"), secret)


@dataclass
class Receiver:
    """A webhook endpoint that records raw POSTs and answers as told."""

    received: list[Received] = field(default_factory=list)
    statuses: deque[int] = field(default_factory=deque)
    delay_s: float = 0.0
    deletions: list[str] = field(default_factory=list)
    url: str = ""
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: Request) -> Response:
        """Answer Meta's verification GET; record a POST and answer the next status."""
        if request.method == "GET":
            ok = request.query_params.get("hub.verify_token") == VERIFY_TOKEN
            challenge = request.query_params.get("hub.challenge", "")
            return PlainTextResponse(challenge if ok else "no", status_code=200 if ok else 403)
        body = await request.body()
        self.received.append(Received(dict(request.headers), body))
        self._arrived.set()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return Response(status_code=self.statuses.popleft() if self.statuses else 200)

    async def deletion(self, request: Request) -> Response:
        """A data deletion callback that records the signed request and confirms."""
        form = parse_qs((await request.body()).decode())
        self.deletions.append(form["signed_request"][0])
        body = {"url": "https://parley.test/deletion/ABC", "confirmation_code": "ABC"}
        return JSONResponse(body)

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Wait until at least `count` POSTs arrived."""
        async with asyncio.timeout(timeout):
            while len(self.received) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.received

    def events(self, channel: str = "messaging", secret: str | None = None) -> list[dict[str, Any]]:
        """Every event of one channel received so far (only those signed with `secret`)."""
        posts = [p for p in self.received if secret is None or p.signed_by(secret)]
        return [event for post in posts for event in post.events(channel)]


def seed(callback_url: str) -> dict[str, Any]:
    """An app (proof required), a second app, a seller, a Page and two buyers."""
    return {
        "apps": [
            {
                "id": APP_ID,
                "secret": APP_SECRET,
                "name": "Parley Test",
                "verify_token": VERIFY_TOKEN,
                "callback_url": callback_url,
                "require_proof": True,
            },
            {"id": OTHER_APP_ID, "secret": OTHER_SECRET, "name": "Other App"},
        ],
        "pages": [
            {"id": PAGE_ID, "name": "Test Shop", "app_id": APP_ID, "access_token": PAGE_TOKEN}
        ],
        "users": [{"id": USER_ID, "name": "Sam Seller", "pages": [PAGE_ID]}],
        "buyers": [
            {
                "psid": PSID,
                "page_id": PAGE_ID,
                "first_name": "Alex",
                "last_name": "Buyer",
                "locale": "fr_FR",
                "timezone": 2,
            },
            {"psid": PSID_2, "page_id": PAGE_ID, "first_name": "Zoë", "last_name": "Ünal"},
        ],
        "config": {
            "delivery_delay_s": None,
            "read_delay_s": None,
            "retry_initial_s": 0.05,
            "retry_max_s": 0.2,
        },
    }


@dataclass
class Harness:
    """The emulator, an HTTP client to it, and the receiver its app posts to."""

    server: EmulatorServer
    client: httpx.AsyncClient
    receiver: Receiver

    @property
    def world(self) -> World:
        """The emulator's state (for assertions only; change it through the API)."""
        return self.server.world

    async def graph(
        self,
        method: str,
        path: str,
        *,
        token: str | None = PAGE_TOKEN,
        proof: bool = True,
        secret: str = APP_SECRET,
        **kwargs: Any,
    ) -> httpx.Response:
        """A Graph API call with the Page token and its appsecret_proof (unless told not)."""
        params: dict[str, str] = dict(kwargs.pop("params", {}))
        if token is not None:
            params["access_token"] = token
            if proof:
                params["appsecret_proof"] = appsecret_proof(token, secret)
        return await self.client.request(method, path, params=params, **kwargs)

    async def send(self, body: dict[str, Any], **kwargs: Any) -> httpx.Response:
        """`POST /v21.0/me/messages` with this body."""
        return await self.graph("POST", "/v21.0/me/messages", json=body, **kwargs)

    async def text(self, text: str, psid: str = PSID, **extra: Any) -> httpx.Response:
        """Send a RESPONSE text message to a buyer."""
        body = {
            "recipient": {"id": psid},
            "messaging_type": "RESPONSE",
            "message": {"text": text},
            **extra,
        }
        return await self.send(body)

    async def op(self, method: str, path: str, **kwargs: Any) -> Any:
        """An operator call under `/_emulator` that must succeed; its JSON."""
        response = await self.client.request(method, f"/_emulator{path}", **kwargs)
        assert response.status_code < 300, response.text
        return response.json()

    async def buyer(self, psid: str = PSID, **action: Any) -> dict[str, Any]:
        """The buyer does one thing (`text=...`, `postback={...}`, ...)."""
        result: dict[str, Any] = await self.op("POST", f"/buyers/{psid}/messages", json=action)
        return result

    async def thread(self, psid: str = PSID) -> dict[str, Any]:
        """The buyer's thread with the test Page."""
        result: dict[str, Any] = await self.op("GET", f"/threads/{PAGE_ID}/{psid}")
        return result

    async def settle(self) -> None:
        """Wait until no webhook delivery is pending."""
        idle = await self.op("GET", "/webhooks/wait", params={"timeout": 5})
        assert idle["idle"], idle


def error_of(response: httpx.Response) -> tuple[int, int | None]:
    """(code, subcode) of a Graph error answer."""
    error = response.json()["error"]
    assert error["type"] == "OAuthException" and error["fbtrace_id"]
    return error["code"], error.get("error_subcode")
