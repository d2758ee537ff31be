"""A terminal chat: type as a buyer, see the Page's replies and typing as they arrive."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from collections.abc import AsyncIterator
from typing import Any, TextIO

import httpx

from parley_emulator.chat_render import HELP, Renderer, parse_command
from parley_emulator.http import async_client

POLL_WAIT_S = 20.0


class EmulatorGone(Exception):
    """The emulator cannot be reached (not started, or stopped mid-chat)."""


class ChatApi:
    """The operator calls the chat makes."""

    def __init__(self, client: httpx.AsyncClient, page_id: str, psid: str) -> None:
        self.client = client
        self.page_id = page_id
        self.psid = psid

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self.client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise EmulatorGone(str(exc) or type(exc).__name__) from exc

    async def page(self) -> dict[str, Any] | None:
        """The Page's row from `GET /_emulator/pages`, or None."""
        pages = (await self._call("GET", "/_emulator/pages")).json()["data"]
        return next((p for p in pages if p["id"] == self.page_id), None)

    async def timeline(self, after: int, wait: float) -> dict[str, Any] | None:
        """New items after `after` (long-poll); None while the buyer does not exist yet."""
        path = f"/_emulator/threads/{self.page_id}/{self.psid}"
        params = {"after": after, "wait": wait}
        response = await self._call("GET", path, params=params, timeout=wait + 10)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    async def act(self, action: dict[str, Any]) -> str | None:
        """Perform a buyer action; the emulator's complaint, if any."""
        body = {"page_id": self.page_id, **action}
        response = await self._call("POST", f"/_emulator/buyers/{self.psid}/messages", json=body)
        if response.status_code >= 400:
            return str(response.json().get("error", response.text))
        return None


class ChatSession:
    """One buyer's chat: a poller prints the Page's side while the loop reads input."""

    def __init__(self, api: ChatApi, out: TextIO, *, interactive: bool = False) -> None:
        self.api = api
        self.out = out
        self.renderer = Renderer("Page")
        self.prompt = "you> " if interactive else ""
        self.last_seq = 0
        self.gone: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def say(self, *lines: str) -> None:
        """Print lines, then the prompt again."""
        text = "".join(f"\r{line}\n" for line in lines)
        self.out.write(text + self.prompt)
        self.out.flush()

    async def start(self) -> bool:
        """Greet, show recent history; False when the Page does not exist."""
        page = await self.api.page()
        if page is None:
            self.say(
                f"No Page with id {self.api.page_id} on this emulator "
                "(GET /_emulator/pages lists them)."
            )
            return False
        self.renderer = Renderer(page["name"])
        self.say(
            f"Chatting with {page['name']} (Page {page['id']}) as buyer {self.api.psid}.",
            "Type a message and press Enter; /help lists commands, /quit leaves.",
        )
        thread = await self.api.timeline(0, 0)
        if thread is None:
            self.say("(a new buyer: your first message starts the conversation)")
        else:
            self.show(thread, history=True)
        return True

    def show(self, thread: dict[str, Any], *, history: bool = False) -> None:
        """Print new items (the buyer's own only when replaying history)."""
        items = thread["items"][-10:] if history else thread["items"]
        lines = [line for item in items for line in self.renderer.render(item, history)]
        self.last_seq = max(self.last_seq, thread["last_seq"])
        if lines:
            self.say(*lines)

    async def poll(self) -> None:
        """Long-poll the thread until cancelled; report a vanished emulator."""
        try:
            while True:
                thread = await self.api.timeline(self.last_seq, POLL_WAIT_S)
                if thread is None:
                    await asyncio.sleep(0.3)
                    continue
                self.show(thread)
        except (EmulatorGone, httpx.HTTPStatusError) as exc:
            if not self.gone.done():
                self.gone.set_result(str(exc))

    async def handle(self, line: str) -> bool:
        """Act on one input line; False to leave."""
        command = parse_command(line.strip())
        if command.quit:
            return False
        if command.message:
            self.say(command.message)
        if command.action is not None:
            error = await self.api.act(command.action)
            if error:
                self.say(f"! {error}")
        return True


async def run_chat(
    url: str,
    page_id: str,
    psid: str,
    lines: AsyncIterator[str],
    out: TextIO,
    *,
    interactive: bool = False,
) -> int:
    """The chat over any line source and output stream; 0 on /quit or end of input."""
    async with async_client(base_url=url, timeout=10) as client:
        session = ChatSession(ChatApi(client, page_id, psid), out, interactive=interactive)
        try:
            if not await session.start():
                return 2
            return await _loop(session, lines)
        except EmulatorGone as exc:
            return _gone(out, url, str(exc))


async def _loop(session: ChatSession, lines: AsyncIterator[str]) -> int:
    poller = asyncio.create_task(session.poll())
    try:
        iterator = aiter(lines)
        while True:
            next_line = asyncio.ensure_future(anext(iterator))
            await asyncio.wait({next_line, session.gone}, return_when=asyncio.FIRST_COMPLETED)
            if session.gone.done():
                next_line.cancel()
                raise EmulatorGone(session.gone.result())
            try:
                line = next_line.result()
            except StopAsyncIteration:
                return 0
            if not await session.handle(line):
                session.say("bye")
                return 0
    finally:
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller


def _gone(out: TextIO, url: str, detail: str) -> int:
    out.write(
        f"\nCannot reach the Messenger emulator at {url} ({detail}).\n"
        "Is it running? Start it with `parley emulator serve` or `make run`.\n"
    )
    out.flush()
    return 1


async def stdin_lines() -> AsyncIterator[str]:
    """Lines typed on stdin, read by a daemon thread so a closed server never waits on input."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, name="chat-stdin", daemon=True).start()
    while (line := await queue.get()) is not None:
        yield line


async def run_terminal_chat(url: str, page_id: str, psid: str) -> int:
    """The chat on this terminal."""
    return await run_chat(
        url, page_id, psid, stdin_lines(), sys.stdout, interactive=sys.stdout.isatty()
    )


__all__ = ["HELP", "run_chat", "run_terminal_chat"]
