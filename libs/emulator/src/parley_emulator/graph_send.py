"""The Send API: `POST /<version>/me/messages` (and `/<page-id>/messages`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from parley_emulator.context import Emulator
from parley_emulator.errors import no_matching_user, no_such_object, thread_owned_elsewhere
from parley_emulator.events import echo_event
from parley_emulator.graph_common import Caller, read_params
from parley_emulator.limits import SendRequest, validate_send
from parley_emulator.model import Item, Page
from parley_emulator.window import check_private_reply, check_sender_action, check_window
from parley_emulator.world import new_mid


class SendApi:
    """Checks a send like Meta does (token, rate, limits, user, owner, window), then records it."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.world = emu.world

    async def messages(self, request: Request) -> JSONResponse:
        """`POST /<version>/<me|page-id>/messages`."""
        params = await read_params(request)
        node = request.path_params["node"]
        caller, page = self.emu.auth.page_caller(params, request, node, "post")
        rate = page.send_rate or self.world.config.send_rate_per_page
        self.emu.limiter.check_send(page.id, rate)
        send = validate_send(params)
        if send.comment_id is not None:
            return self._private_reply(caller, page, send)
        return self._to_buyer(caller, page, send)

    def _to_buyer(self, caller: Caller, page: Page, send: SendRequest) -> JSONResponse:
        psid = send.psid or ""
        buyer = self.world.buyers.get(psid)
        if buyer is None or buyer.page_id != page.id:
            raise no_matching_user()
        thread = self.world.thread(page.id, psid)
        if self.world.owner(thread) != caller.app.id:
            raise thread_owned_elsewhere()
        now = self.world.now_ms()
        if send.sender_action is not None:
            check_sender_action(last_action_ms=thread.last_action_ms, now_ms=now)
            thread.append(
                Item(
                    0,
                    "out",
                    "sender_action",
                    now,
                    sender_action=send.sender_action,
                    app_id=caller.app.id,
                )
            )
            return JSONResponse({"recipient_id": psid})
        check_window(
            messaging_type=send.messaging_type,
            tag=send.tag,
            last_action_ms=thread.last_action_ms,
            now_ms=now,
        )
        item = self._item(caller, send, now)
        self._accept(page.id, psid, item)
        return JSONResponse({"recipient_id": psid, "message_id": item.mid})

    def _private_reply(self, caller: Caller, page: Page, send: SendRequest) -> JSONResponse:
        comment_id = send.comment_id or ""
        comment = self.world.comments.get(comment_id)
        if comment is None or comment.page_id != page.id:
            raise no_such_object(comment_id, "post")
        now = self.world.now_ms()
        check_private_reply(created_ms=comment.created_ms, replied=comment.replied, now_ms=now)
        comment.replied = True
        item = self._item(caller, send, now)
        item.comment_id = comment_id
        self._accept(page.id, comment.psid, item)
        return JSONResponse({"recipient_id": comment.psid, "message_id": item.mid})

    @staticmethod
    def _item(caller: Caller, send: SendRequest, now: int) -> Item:
        return Item(
            0,
            "out",
            send.kind,
            now,
            mid=new_mid(),
            text=send.text,
            payload=send.attachment,
            quick_replies=send.quick_replies,
            messaging_type=send.messaging_type,
            tag=send.tag,
            app_id=caller.app.id,
            metadata=send.metadata,
        )

    def _accept(self, page_id: str, psid: str, item: Item) -> None:
        thread = self.world.thread(page_id, psid)
        thread.append(item)
        self.world.record_send(thread, item)
        self.emu.router.thread_event(thread, "message_echoes", echo_event(thread, item))
        self.emu.receipts.after_send(thread, item.mid or "")


def routes(emu: Emulator) -> list[Any]:
    """The Send API route."""
    api = SendApi(emu)
    return [Route("/{version:gv}/{node}/messages", api.messages, methods=["POST"])]
