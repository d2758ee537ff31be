"""Operator API, conversation half: buyers acting, timelines, the Page Inbox, counters."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from parley_emulator.buyers import BuyerActions, OperatorError
from parley_emulator.context import Emulator
from parley_emulator.events import echo_event
from parley_emulator.faults import until_disconnect
from parley_emulator.graph_routing import RoutingApi
from parley_emulator.model import PAGE_INBOX_APP_ID, Item, Thread
from parley_emulator.operator_setup import PREFIX, json_body
from parley_emulator.window import window_open
from parley_emulator.world import new_mid

MAX_WAIT_S = 60.0


def _number(request: Request, name: str, default: float) -> float:
    try:
        return float(request.query_params.get(name, default))
    except ValueError as exc:
        raise OperatorError(f"{name} must be a number") from exc


async def _wait_for_change(request: Request, thread: Thread, wait: float) -> None:
    # A long-poll ends on a new item, on timeout, or when its client goes away (so a
    # closed chat never holds the server's shutdown).
    if thread.changed is None:
        thread.changed = asyncio.Event()
    changed = asyncio.ensure_future(thread.changed.wait())
    gone = asyncio.ensure_future(until_disconnect(request.receive))
    _, pending = await asyncio.wait(
        {changed, gone}, timeout=wait, return_when=asyncio.FIRST_COMPLETED
    )
    for task in pending:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class ThreadsApi:
    """What tests and the chat call to play buyers and the seller, and to watch."""

    def __init__(self, emu: Emulator, routing: RoutingApi) -> None:
        self.emu = emu
        self.world = emu.world
        self.routing = routing
        self.actions = BuyerActions(emu)

    async def buyer_message(self, request: Request) -> JSONResponse:
        """`POST /_emulator/buyers/{psid}/messages`: the buyer does one thing."""
        body = await json_body(request)
        return JSONResponse(self.actions.act(request.path_params["psid"], body))

    def _thread(self, request: Request) -> Thread:
        page_id, psid = request.path_params["page_id"], request.path_params["psid"]
        if page_id not in self.world.pages:
            raise OperatorError(f"unknown page {page_id}", 404)
        buyer = self.world.buyers.get(psid)
        if buyer is None or buyer.page_id != page_id:
            raise OperatorError(f"page {page_id} has no buyer {psid}", 404)
        return self.world.thread(page_id, psid)

    async def thread(self, request: Request) -> JSONResponse:
        """`GET /_emulator/threads/{page_id}/{psid}?after=SEQ&wait=S`: timeline (long-poll)."""
        thread = self._thread(request)
        after = int(_number(request, "after", 0))
        wait = min(_number(request, "wait", 0), MAX_WAIT_S)
        if wait > 0 and len(thread.items) <= after:
            await _wait_for_change(request, thread, wait)
        return JSONResponse(self._thread_json(thread, after))

    def _thread_json(self, thread: Thread, after: int) -> dict[str, Any]:
        owner = self.world.owner(thread)
        buyer = self.world.buyers[thread.psid]
        return {
            "page_id": thread.page_id,
            "page_name": self.world.pages[thread.page_id].name,
            "psid": thread.psid,
            "buyer_name": buyer.name,
            "owner_app_id": owner,
            "owner_is_page_inbox": owner == PAGE_INBOX_APP_ID,
            "last_action_ms": thread.last_action_ms,
            "window_open": window_open(thread.last_action_ms, self.world.now_ms()),
            "delivered_watermark": thread.delivered_watermark,
            "read_watermark": thread.read_watermark,
            "last_seq": len(thread.items),
            "items": [item.to_json() for item in thread.items[max(after, 0) :]],
        }

    async def threads(self, request: Request) -> JSONResponse:
        """`GET /_emulator/threads?page_id=`: every thread, without items."""
        page_id = request.query_params.get("page_id")
        rows = []
        for thread in self.world.threads.values():
            if page_id is None or thread.page_id == page_id:
                summary = self._thread_json(thread, len(thread.items))
                del summary["items"]
                rows.append(summary)
        return JSONResponse({"data": rows})

    async def inbox_reply(self, request: Request) -> JSONResponse:
        """`POST .../inbox/reply {text}`: the seller answers from the Page Inbox."""
        thread = self._thread(request)
        text = (await json_body(request)).get("text")
        if not isinstance(text, str) or not text:
            raise OperatorError("text must be a non-empty string")
        item = Item(
            0,
            "out",
            "text",
            self.world.now_ms(),
            mid=new_mid(),
            text=text,
            app_id=PAGE_INBOX_APP_ID,
        )
        thread.append(item)
        self.world.dirty = True
        self.emu.router.thread_event(thread, "message_echoes", echo_event(thread, item))
        self.emu.receipts.after_send(thread, item.mid or "")
        return JSONResponse({"mid": item.mid, "seq": item.seq})

    async def inbox_done(self, request: Request) -> JSONResponse:
        """`POST .../inbox/done`: the seller marks the thread Done; control goes back."""
        thread = self._thread(request)
        if self.world.owner(thread) != PAGE_INBOX_APP_ID:
            raise OperatorError("the thread is not in the Page Inbox", 409)
        primary = self.world.pages[thread.page_id].app_id or ""
        metadata = "Pass thread control from Page Inbox"
        self.routing.transfer(thread, "pass_thread_control", PAGE_INBOX_APP_ID, primary, metadata)
        return JSONResponse({"owner_app_id": primary})

    async def inbox_take(self, request: Request) -> JSONResponse:
        """`POST .../inbox/take`: the seller takes the thread into the Page Inbox."""
        thread = self._thread(request)
        previous = self.world.owner(thread) or ""
        self.routing.transfer(thread, "take_thread_control", previous, PAGE_INBOX_APP_ID, None)
        return JSONResponse({"owner_app_id": PAGE_INBOX_APP_ID})

    async def sent(self, request: Request) -> JSONResponse:
        """`GET|DELETE /_emulator/sent?page_id=&psid=&after=&limit=`: accepted sends."""
        if request.method == "DELETE":
            self.world.reset_sent()
            return JSONResponse({"count": 0})
        page_id = request.query_params.get("page_id")
        psid = request.query_params.get("psid")
        after = int(_number(request, "after", 0))
        limit = int(_number(request, "limit", 100))
        rows = [
            {"index": r.index, "page_id": r.page_id, "psid": r.psid, **r.item.to_json()}
            for r in self.world.sent
            if r.index > after
            and (page_id is None or r.page_id == page_id)
            and (psid is None or r.psid == psid)
        ]
        return JSONResponse(
            {
                "count": len(rows),
                "total": self.world.sent_total,
                "by_page": dict(self.world.sent_by_page),
                "items": rows[-limit:] if limit > 0 else [],
            }
        )

    async def stats(self, request: Request) -> JSONResponse:
        """`GET /_emulator/stats`: Graph calls, errors by code, sends, pending webhooks."""
        return JSONResponse(
            {
                **self.emu.stats.to_json(),
                "sent": self.world.sent_total,
                "webhooks_pending": self.emu.dispatcher.pending,
            }
        )

    async def webhooks(self, request: Request) -> JSONResponse:
        """`GET /_emulator/webhooks`: delivery counters, failures and recent POSTs."""
        return JSONResponse(self.emu.dispatcher.snapshot())

    async def webhooks_wait(self, request: Request) -> JSONResponse:
        """`GET /_emulator/webhooks/wait?timeout=S`: wait until nothing is pending."""
        idle = await self.emu.dispatcher.wait_idle(min(_number(request, "timeout", 10), MAX_WAIT_S))
        return JSONResponse({"idle": idle, "pending": self.emu.dispatcher.pending})

    async def misbehave(self, request: Request) -> JSONResponse:
        """`POST /_emulator/webhooks/misbehave {duplicate: n, reorder: n}`."""
        body = await json_body(request)
        state = self.emu.dispatcher.state
        state.duplicate_next += int(body.get("duplicate", 0))
        state.reorder_next += int(body.get("reorder", 0))
        return JSONResponse(
            {"duplicate_next": state.duplicate_next, "reorder_next": state.reorder_next}
        )


def routes(emu: Emulator, routing: RoutingApi) -> list[Any]:
    """The conversation half of the operator API."""
    api = ThreadsApi(emu, routing)
    thread = f"{PREFIX}/threads/{{page_id}}/{{psid}}"
    return [
        Route(f"{PREFIX}/buyers/{{psid}}/messages", api.buyer_message, methods=["POST"]),
        Route(f"{PREFIX}/threads", api.threads, methods=["GET"]),
        Route(thread, api.thread, methods=["GET"]),
        Route(f"{thread}/inbox/reply", api.inbox_reply, methods=["POST"]),
        Route(f"{thread}/inbox/done", api.inbox_done, methods=["POST"]),
        Route(f"{thread}/inbox/take", api.inbox_take, methods=["POST"]),
        Route(f"{PREFIX}/sent", api.sent, methods=["GET", "DELETE"]),
        Route(f"{PREFIX}/stats", api.stats, methods=["GET"]),
        Route(f"{PREFIX}/webhooks", api.webhooks, methods=["GET"]),
        Route(f"{PREFIX}/webhooks/wait", api.webhooks_wait, methods=["GET"]),
        Route(f"{PREFIX}/webhooks/misbehave", api.misbehave, methods=["POST"]),
    ]
