"""Conversation Routing (Handover Protocol): pass, take and request thread control."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from parley_emulator.context import Emulator
from parley_emulator.errors import no_matching_user, param_error, thread_owned_elsewhere
from parley_emulator.events import buyer_event
from parley_emulator.graph_common import read_params
from parley_emulator.model import PAGE_INBOX_APP_ID, Item, Page, Thread


class RoutingApi:
    """Thread control between the Page's primary app, other apps and the Page Inbox."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.world = emu.world

    async def _thread(
        self, request: Request, recipient_key: str
    ) -> tuple[dict[str, Any], str, Page, Thread]:
        params = await read_params(request)
        node = request.path_params["node"]
        caller, page = self.emu.auth.page_caller(params, request, node, request.method.lower())
        recipient = params.get(recipient_key)
        psid = recipient.get("id") if isinstance(recipient, dict) else recipient
        if not psid:
            raise param_error(f"The parameter {recipient_key} is required")
        buyer = self.world.buyers.get(str(psid))
        if buyer is None or buyer.page_id != page.id:
            raise no_matching_user()
        return params, caller.app.id, page, self.world.thread(page.id, buyer.psid)

    async def pass_control(self, request: Request) -> JSONResponse:
        """`POST /me/pass_thread_control {recipient:{id}, target_app_id, metadata}`."""
        params, app_id, page, thread = await self._thread(request, "recipient")
        if self.world.owner(thread) != app_id:
            raise thread_owned_elsewhere()
        target = str(params.get("target_app_id") or "")
        if target != PAGE_INBOX_APP_ID and target not in page.subscriptions:
            raise param_error("param target_app_id must be an app connected to this Page")
        metadata = params.get("metadata")
        self.transfer(thread, "pass_thread_control", app_id, target, metadata)
        return JSONResponse({"success": True})

    async def take_control(self, request: Request) -> JSONResponse:
        """`POST /me/take_thread_control {recipient:{id}, metadata}` (primary app only)."""
        params, app_id, page, thread = await self._thread(request, "recipient")
        previous = self.world.owner(thread) or ""
        if app_id != page.app_id and previous != app_id:
            raise thread_owned_elsewhere()
        self.transfer(thread, "take_thread_control", previous, app_id, params.get("metadata"))
        return JSONResponse({"success": True})

    async def request_control(self, request: Request) -> JSONResponse:
        """`POST /me/request_thread_control {recipient:{id}, metadata}`: asks the owner."""
        params, app_id, _, thread = await self._thread(request, "recipient")
        owner = self.world.owner(thread) or ""
        metadata = params.get("metadata")
        now = self.world.now_ms()
        thread.append(
            Item(
                0,
                "control",
                "request_thread_control",
                now,
                app_id=app_id,
                target_app_id=owner,
                metadata=_text(metadata),
            )
        )
        body = {"requested_owner_app_id": app_id, "metadata": metadata}
        event = buyer_event(thread, now, request_thread_control=body)
        self.emu.router.app_event(owner, thread.page_id, "messaging_handovers", event)
        return JSONResponse({"success": True})

    async def thread_owner(self, request: Request) -> JSONResponse:
        """`GET /me/thread_owner?recipient=PSID`."""
        _, _, _, thread = await self._thread(request, "recipient")
        owner = self.world.owner(thread) or ""
        return JSONResponse({"data": [{"thread_owner": {"app_id": owner}}]})

    def transfer(
        self, thread: Thread, kind: str, previous: str, new: str, metadata: object
    ) -> None:
        """Move control, record it, and tell the app that gained (pass) or lost (take) it."""
        thread.owner_app_id = new
        self.world.dirty = True
        now = self.world.now_ms()
        thread.append(
            Item(
                0,
                "control",
                kind,
                now,
                app_id=previous,
                target_app_id=new,
                metadata=_text(metadata),
            )
        )
        body: dict[str, Any] = {"previous_owner_app_id": previous, "new_owner_app_id": new}
        if metadata is not None:
            body["metadata"] = metadata
        event = buyer_event(thread, now, **{kind: body})
        told = new if kind == "pass_thread_control" else previous
        self.emu.router.app_event(told, thread.page_id, "messaging_handovers", event)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def routes(emu: Emulator) -> tuple[RoutingApi, list[Any]]:
    """The routing API object (the inbox play reuses `transfer`) and its routes."""
    api = RoutingApi(emu)
    return api, [
        Route("/{version:gv}/{node}/pass_thread_control", api.pass_control, methods=["POST"]),
        Route("/{version:gv}/{node}/take_thread_control", api.take_control, methods=["POST"]),
        Route("/{version:gv}/{node}/request_thread_control", api.request_control, methods=["POST"]),
        Route("/{version:gv}/{node}/thread_owner", api.thread_owner, methods=["GET"]),
    ]
