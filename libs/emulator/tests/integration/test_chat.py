"""The terminal chat, driven through its loop with streams and as a real subprocess."""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import AsyncIterator

import pytest

from parley_emulator.bench import free_port
from parley_emulator.chat import run_chat
from parley_emulator.testing import PAGE_ID, PSID, Harness

pytestmark = pytest.mark.integration


class Screen(io.StringIO):
    """An output stream that can be awaited for some text."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Event()

    def write(self, text: str) -> int:
        self.changed.set()
        return super().write(text)

    async def shows(self, text: str, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while text not in self.getvalue():
                self.changed.clear()
                await self.changed.wait()


class Keyboard:
    """Lines typed one at a time."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()

    def type(self, line: str) -> None:
        self.queue.put_nowait(line)

    async def lines(self) -> AsyncIterator[str]:
        while (line := await self.queue.get()) is not None:
            yield line


async def test_chat_shows_replies_typing_and_quick_replies_and_sends_taps(
    harness: Harness,
) -> None:
    screen, keys = Screen(), Keyboard()
    chat = asyncio.create_task(run_chat(harness.server.url, PAGE_ID, PSID, keys.lines(), screen))
    await screen.shows("Chatting with Test Shop")
    keys.type("Is the blue bike still available?")
    for _ in range(100):
        if (await harness.thread())["items"]:
            break
        await asyncio.sleep(0.02)
    await harness.send({"recipient": {"id": PSID}, "sender_action": "typing_on"})
    await screen.shows("… Test Shop is typing")
    await harness.send(
        {
            "recipient": {"id": PSID},
            "messaging_type": "RESPONSE",
            "message": {
                "text": "Yes! Which size?",
                "quick_replies": [
                    {"content_type": "text", "title": "M", "payload": "SIZE_M"},
                    {"content_type": "text", "title": "L", "payload": "SIZE_L"},
                ],
            },
        }
    )
    await screen.shows("Test Shop: Yes! Which size?")
    await screen.shows("[1] M  [2] L")
    keys.type("/qr 2")
    keys.type("/help")
    await screen.shows("commands:")
    keys.type("/quit")
    assert await chat == 0
    items = (await harness.thread())["items"]
    assert items[0]["text"] == "Is the blue bike still available?"
    assert (items[-1]["kind"], items[-1]["payload"]) == ("quick_reply", "SIZE_L")
    assert "bye" in screen.getvalue()


async def test_chat_shows_templates_and_taps_buttons(harness: Harness) -> None:
    screen, keys = Screen(), Keyboard()
    await harness.buyer(text="hi")
    chat = asyncio.create_task(run_chat(harness.server.url, PAGE_ID, PSID, keys.lines(), screen))
    await screen.shows("you: hi")
    template = {
        "template_type": "button",
        "text": "Deal?",
        "buttons": [
            {"type": "web_url", "title": "See photos", "url": "https://shop.example/bike"},
            {"type": "postback", "title": "Accept 110", "payload": "ACCEPT_110"},
        ],
    }
    await harness.send(
        {
            "recipient": {"id": PSID},
            "messaging_type": "RESPONSE",
            "message": {"attachment": {"type": "template", "payload": template}},
        }
    )
    await screen.shows("[1] Accept 110")
    keys.type("/b 1")
    keys.type("/b 9")
    await screen.shows("! no button number 9")
    keys.type("/react 👍")
    keys.type("/nope")
    await screen.shows("unknown command /nope")
    keys.type("/quit")
    assert await chat == 0
    kinds = [(i["kind"], i.get("payload")) for i in (await harness.thread())["items"]]
    assert ("postback", "ACCEPT_110") in kinds
    assert kinds[-1][0] == "reaction"


async def test_chat_shows_a_human_taking_over(harness: Harness) -> None:
    screen, keys = Screen(), Keyboard()
    await harness.buyer(text="a person please")
    chat = asyncio.create_task(run_chat(harness.server.url, PAGE_ID, PSID, keys.lines(), screen))
    await screen.shows("Chatting with")
    await harness.graph(
        "POST",
        "/v21.0/me/pass_thread_control",
        json={"recipient": {"id": PSID}, "target_app_id": "263902037430900"},
    )
    await harness.op("POST", f"/threads/{PAGE_ID}/{PSID}/inbox/reply", json={"text": "Sam here"})
    await screen.shows("takes over the conversation")
    await screen.shows("(a person, from the Page Inbox): Sam here")
    keys.type("/quit")
    assert await chat == 0


async def test_chat_says_so_when_no_emulator_is_running() -> None:
    screen, keys = Screen(), Keyboard()
    code = await run_chat(f"http://127.0.0.1:{free_port()}", PAGE_ID, PSID, keys.lines(), screen)
    assert code == 1
    assert "Cannot reach the Messenger emulator" in screen.getvalue()
    assert "Traceback" not in screen.getvalue()


async def test_chat_says_so_when_the_emulator_stops_mid_chat(harness: Harness) -> None:
    screen, keys = Screen(), Keyboard()
    chat = asyncio.create_task(run_chat(harness.server.url, PAGE_ID, PSID, keys.lines(), screen))
    await screen.shows("Chatting with")
    await harness.server.stop()
    assert await asyncio.wait_for(chat, 10) == 1
    assert "Cannot reach the Messenger emulator" in screen.getvalue()


async def test_chat_names_an_unknown_page(harness: Harness) -> None:
    screen, keys = Screen(), Keyboard()
    assert await run_chat(harness.server.url, "404", PSID, keys.lines(), screen) == 2
    assert "No Page with id 404" in screen.getvalue()


async def test_chat_as_a_subprocess_with_a_new_buyer(harness: Harness) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "parley_emulator.cli",
        "chat",
        "--page",
        PAGE_ID,
        "--psid",
        "5000000000000999",
        "--url",
        harness.server.url,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(b"hello from a new buyer\n/quit\n"), 20)
    assert process.returncode == 0, err.decode()
    assert "Chatting with Test Shop" in out.decode() and "new buyer" in out.decode()
    thread = await harness.op("GET", f"/threads/{PAGE_ID}/5000000000000999")
    assert thread["items"][0]["text"] == "hello from a new buyer"
