"""A buyer's Messenger thread driven through the emulator, and what the journeys check on it."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from parley.negotiation.v1 import negotiation_pb2 as npb
from parley.negotiation.v1.negotiation_pb2_grpc import NegotiationServiceStub
from parley_kit.grpc_client import open_channel

from .conftest import Mesh

Item = dict[str, Any]
# Long enough for a reply on a loaded two-core machine; a quiet check waits far less.
REPLY_WAIT_S = 45.0
# How long the bot gets to say something it should not: replies come in well under a second
# when unpaced, and a late one still fails the end-of-scenario check of the whole thread.
QUIET_S = 4.0
_PRICE = re.compile(r"\$(\d[\d,]*)(?:\.(\d\d))?")


@dataclass(frozen=True)
class Faces:
    """Where the mesh's public faces listen, and the operator's caller token."""

    emulator: str
    gateway: str
    tenants: str
    negotiation: str
    delivery: str
    operator: str
    data: Path

    @classmethod
    def of(cls, mesh: Mesh) -> Faces:
        """Read the gRPC addresses `parley devstack run` printed."""

        def grpc(name: str) -> str:
            (line,) = [line for line in mesh.lines if f"{name} (gRPC)" in line]
            return line.split()[-1]

        return cls(
            mesh.emulator,
            mesh.gateway,
            grpc("tenants"),
            mesh.negotiation,
            grpc("delivery"),
            mesh.token("operator"),
            mesh.data,
        )


async def chat_with(http: httpx.AsyncClient, faces: Faces, page_id: str) -> Chat:
    """A new buyer's thread with the Page; the bot is the Page's primary app."""
    pages = (await http.get(f"{faces.emulator}/_emulator/pages")).json()["data"]
    (page,) = [p for p in pages if p["id"] == page_id]
    return Chat(http, faces, page_id, str(page["app_id"]))


def new_psid() -> str:
    """A buyer nobody has seen, even on a database kept from earlier runs."""
    return "79" + "".join(secrets.choice("0123456789") for _ in range(14))


class Chat:
    """One buyer's thread with a Page: what they do, and what comes back."""

    def __init__(
        self, http: httpx.AsyncClient, faces: Faces, page_id: str, bot_app: str, psid: str = ""
    ) -> None:
        self.http = http
        self.emulator = faces.emulator
        self.page_id = page_id
        self.bot_app = bot_app
        self.psid = psid or new_psid()
        # The last thread item looked at: waits are for what comes after it.
        self.seq = 0

    @property
    def url(self) -> str:
        return f"{self.emulator}/_emulator/threads/{self.page_id}/{self.psid}"

    def is_bot(self, item: Item) -> bool:
        """A message our app sent (not a typing indicator, not the seller in the inbox)."""
        return (
            item.get("direction") == "out"
            and str(item.get("app_id")) == self.bot_app
            and item.get("kind") != "sender_action"
        )

    async def act(self, **action: Any) -> str:
        """One buyer action (text, quick_reply, postback, ...); its mid."""
        sent = await self.http.post(
            f"{self.emulator}/_emulator/buyers/{self.psid}/messages",
            json={"page_id": self.page_id, **action},
        )
        assert sent.status_code == 200, sent.text
        self.seq = max(self.seq, int(sent.json()["seq"]))
        return str(sent.json()["mid"])

    async def write(self, text: str) -> Item:
        """The buyer writes; the bot's reply."""
        await self.act(text=text)
        return await self.reply()

    async def tap(self, item: Item, payload_prefix: str) -> Item:
        """The buyer taps the quick reply of `item` whose payload starts so; the bot's reply."""
        (button,) = [
            q for q in item.get("quick_replies") or [] if q["payload"].startswith(payload_prefix)
        ]
        await self.act(quick_reply={"payload": button["payload"], "title": button["title"]})
        return await self.reply()

    async def reply(self, timeout: float = REPLY_WAIT_S) -> Item:
        """The next bot message."""
        item = await self.next_item(self.is_bot, timeout)
        assert item is not None, f"no reply within {timeout:.0f} s: {await self.texts()}"
        return item

    async def quiet(
        self, seconds: float = QUIET_S, wanted: Callable[[Item], bool] | None = None
    ) -> None:
        """Nothing the bot says (or anything `wanted`) for `seconds`."""
        item = await self.next_item(wanted or self.is_bot, seconds)
        assert item is None, f"expected silence, got {item}"

    async def next_item(self, wanted: Callable[[Item], bool], timeout: float) -> Item | None:
        """The next thread item after `seq` that is `wanted`, long-polling until `timeout`."""
        deadline = time.monotonic() + timeout
        after = self.seq
        while (left := deadline - time.monotonic()) > 0:
            params = {"after": after, "wait": round(min(10.0, left), 2)}
            answer = (await self.http.get(self.url, params=params)).json()
            items: list[Item] = answer["items"]
            for item in items:
                if wanted(item):
                    self.seq = int(item["seq"])
                    return item
            after = int(answer["last_seq"])
        return None

    async def thread(self) -> dict[str, Any]:
        """The whole thread as the emulator shows it."""
        answer = await self.http.get(self.url)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    async def texts(self) -> list[str]:
        """Every line of the thread, for failure messages."""
        items = (await self.thread())["items"]
        return [f"{i['direction']}:{i['kind']}:{i.get('text') or ''}" for i in items]

    async def owned_by_inbox(self, expected: bool, timeout: float = REPLY_WAIT_S) -> None:
        """Wait until the Page Inbox owns the thread (or no longer does)."""
        deadline = time.monotonic() + timeout
        while (await self.thread())["owner_is_page_inbox"] is not expected:
            assert time.monotonic() < deadline, f"thread owner never became inbox={expected}"
            await asyncio.sleep(0.2)

    async def bot_messages(self) -> list[Item]:
        """Every message the bot sent in the thread, oldest first."""
        return [item for item in (await self.thread())["items"] if self.is_bot(item)]

    async def settle_and_check(self, settle_s: float = 1.5) -> list[Item]:
        """After a pause for stragglers: no buyer message got two bot replies and no reply
        went out twice. The thread's items, for further checks."""
        await asyncio.sleep(settle_s)
        items: list[Item] = (await self.thread())["items"]
        assert_one_reply_each(items, self.is_bot)
        return items


def assert_one_reply_each(items: list[Item], is_bot: Callable[[Item], bool]) -> None:
    """Between two things the bot answers (a buyer action or a change of thread owner) at
    most one bot message, and no send (idempotency key and part in its metadata) twice."""
    since_last: list[str] = []
    for item in items:
        if item.get("direction") in ("in", "control"):
            since_last = []
        elif is_bot(item):
            since_last.append(str(item.get("text")))
            assert len(since_last) == 1, f"two bot replies to one buyer action: {since_last}"
    sends = Counter(str(i.get("metadata", "")).split("|")[0] for i in items if is_bot(i))
    twice = [key for key, count in sends.items() if count > 1]
    assert not twice, f"replies sent twice: {twice}"


def stated_prices_minor(texts: list[str]) -> list[int]:
    """Every dollar amount in the texts, in cents."""
    return [
        int(whole.replace(",", "")) * 100 + int(cents or 0)
        for text in texts
        for whole, cents in _PRICE.findall(text)
    ]


def has_thai(text: str) -> bool:
    """Whether the text has Thai script in it."""
    return re.search(r"[\u0e01-\u0e5b]", text) is not None


async def conversation(faces: Faces, page_id: str, psid: str) -> npb.Conversation:
    """The buyer's conversation with the Page, with its transcript, over negotiation's gRPC."""
    async with open_channel(faces.negotiation, caller_token=faces.operator) as channel:
        stub = NegotiationServiceStub(channel)
        token = ""
        while True:
            listed = await stub.ListConversations(
                npb.ListConversationsRequest(page_id=page_id, page_size=500, page_token=token)
            )
            found = [c for c in listed.conversations if c.buyer_id == psid]
            if found:
                request = npb.GetConversationRequest(conversation_id=found[0].conversation_id)
                return (await stub.GetConversation(request)).conversation
            token = listed.next_page_token
            assert token, f"negotiation has no conversation of {psid} on {page_id}"
