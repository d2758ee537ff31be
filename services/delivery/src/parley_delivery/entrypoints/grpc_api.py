"""The DeliveryService gRPC API: rights, translation, and one handler call per RPC."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from parley.delivery.v1 import delivery_pb2 as pb
from parley.delivery.v1 import delivery_pb2_grpc
from parley_delivery.domain.model import PAGE_INBOX_APP_ID, Author, Content, Reply
from parley_delivery.domain.profile import (
    IceBreaker,
    InvalidProfile,
    MenuItem,
    ProfileRequest,
    ProfileSettings,
)
from parley_delivery.entrypoints import translate as tr
from parley_delivery.entrypoints.rights import guarded
from parley_delivery.service_layer import human, pages, threads
from parley_delivery.service_layer.unit import Deps
from parley_kit.errors import InvalidArgument
from parley_kit.grpc_server import GrpcService

Context = Any  # grpc.aio.ServicerContext; the handlers never touch it
PAGE_SIZE = 50
PAGE_SIZE_MAX = 200


class DeliveryApi(delivery_pb2_grpc.DeliveryServiceServicer):
    """Each method: check the caller, translate, call the handler, translate back."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    @guarded
    async def SendAsHuman(self, request: pb.SendAsHumanRequest, context: Context) -> Any:
        key = tr.required("idempotency_key", request.idempotency_key)
        if len(key) > tr.KEY_MAX:
            raise InvalidArgument(f"idempotency_key: at most {tr.KEY_MAX} characters")
        reply = Reply(
            idempotency_key=key,
            page_id=tr.required("page_id", request.page_id),
            recipient_id=tr.required("recipient_id", request.recipient_id),
            author=Author.HUMAN,
            content=Content(text=tr.required("text", request.text)),
            decided_at=self._deps.clock(),
            conversation_id=request.conversation_id,
            seller_id=request.seller_id,
            agent_id=request.agent_id,
        )
        sent = await human.send_as_human(self._deps, reply)
        return pb.SendAsHumanResponse(
            message_id=sent.message_ids[0] if sent.message_ids else "",
            tag=sent.tag,
            message_ids=list(sent.message_ids),
            messaging_type=sent.messaging_type,
        )

    @guarded
    async def GetWindowStatus(self, request: pb.GetWindowStatusRequest, context: Context) -> Any:
        status, blocked = await pages.get_window(
            self._deps,
            page_id=tr.required("page_id", request.page_id),
            psid=tr.required("recipient_id", request.recipient_id),
        )
        return pb.GetWindowStatusResponse(
            state=tr.WINDOW_STATES[status.state],
            last_buyer_action_at=tr.timestamp(status.last_action_at),
            bot_window_closes_at=tr.timestamp(status.bot_closes_at),
            human_window_closes_at=tr.timestamp(status.human_closes_at),
            page_blocked=blocked,
        )

    @guarded
    async def ListOutboundMessages(
        self, request: pb.ListOutboundMessagesRequest, context: Context
    ) -> Any:
        size = request.page_size or PAGE_SIZE
        if not 0 < size <= PAGE_SIZE_MAX:
            raise InvalidArgument(f"page_size: 1 to {PAGE_SIZE_MAX}")
        found = await pages.outbound_log(
            self._deps,
            page_id=tr.required("page_id", request.page_id),
            psid=tr.required("recipient_id", request.recipient_id),
            limit=size + 1,
            before=_cursor_in(request.page_token),
        )
        more = len(found) > size
        found = found[:size]
        token = _cursor_out(found[-1].created_at, found[-1].idempotency_key) if more else ""
        return pb.ListOutboundMessagesResponse(
            replies=[tr.logged_reply_out(reply) for reply in found], next_page_token=token
        )

    @guarded
    async def PassThreadControl(
        self, request: pb.PassThreadControlRequest, context: Context
    ) -> Any:
        owner = await threads.pass_thread(
            self._deps,
            page_id=tr.required("page_id", request.page_id),
            psid=tr.required("recipient_id", request.recipient_id),
            reason=request.reason,
            target_app_id=request.target_app_id.strip(),
        )
        return pb.PassThreadControlResponse(owner_app_id=owner)

    @guarded
    async def TakeThreadControl(
        self, request: pb.TakeThreadControlRequest, context: Context
    ) -> Any:
        owner = await threads.take_thread(
            self._deps,
            page_id=tr.required("page_id", request.page_id),
            psid=tr.required("recipient_id", request.recipient_id),
            reason=request.reason,
        )
        return pb.TakeThreadControlResponse(owner_app_id=owner)

    @guarded
    async def GetThreadOwner(self, request: pb.GetThreadOwnerRequest, context: Context) -> Any:
        owner = await threads.thread_owner(
            self._deps,
            page_id=tr.required("page_id", request.page_id),
            psid=tr.required("recipient_id", request.recipient_id),
        )
        return pb.GetThreadOwnerResponse(
            owner_app_id=owner,
            with_parley=owner == self._deps.messenger.app_id,
            with_page_inbox=owner == PAGE_INBOX_APP_ID,
        )

    @guarded
    async def SetUpPageProfile(self, request: pb.SetUpPageProfileRequest, context: Context) -> Any:
        page_id = tr.required("page_id", request.page_id)
        try:
            unchanged, fields = await pages.set_up_profile(
                self._deps, page_id=page_id, request=_profile_in(request), force=request.force
            )
        except InvalidProfile as exc:
            raise InvalidArgument(str(exc)) from None
        return pb.SetUpPageProfileResponse(applied=True, unchanged=unchanged, fields=fields)


def _profile_in(request: pb.SetUpPageProfileRequest) -> ProfileRequest:
    greetings = [(g.locale.strip(), g.text) for g in request.greetings]
    if request.greeting.strip() and not any(loc == "default" for loc, _ in greetings):
        greetings.insert(0, ("default", request.greeting))
    return ProfileRequest(
        get_started_payload=request.get_started_payload.strip(),
        greetings=tuple(greetings),
        ice_breakers=tuple(IceBreaker(i.question, i.payload) for i in request.ice_breakers),
        menu=tuple(MenuItem(m.title, m.payload, m.url) for m in request.persistent_menu),
        settings=_settings_in(request),
    )


def _settings_in(request: pb.SetUpPageProfileRequest) -> ProfileSettings:
    if not request.HasField("settings"):
        return ProfileSettings()  # every action offered, in English
    settings = request.settings
    return ProfileSettings(
        languages=tuple(settings.languages) or ("en",),
        page_name=settings.page_name,
        viewings_enabled=settings.viewings_enabled,
        human_takeover_enabled=settings.human_takeover_enabled,
        offers_enabled=settings.offers_enabled,
    )


def _cursor_out(created_at: datetime, key: str) -> str:
    raw = json.dumps([created_at.isoformat(), key]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _cursor_in(token: str) -> tuple[datetime, str] | None:
    if not token:
        return None
    try:
        created, key = json.loads(base64.urlsafe_b64decode(token.encode()))
        return datetime.fromisoformat(created), str(key)
    except (ValueError, TypeError, binascii.Error):
        raise InvalidArgument("page_token: not a token this API gave") from None


def delivery_service(deps: Deps) -> GrpcService[DeliveryApi]:
    """The API as the kit's build_server takes it."""
    descriptor = pb.DESCRIPTOR.services_by_name["DeliveryService"]
    return GrpcService(
        DeliveryApi(deps), delivery_pb2_grpc.add_DeliveryServiceServicer_to_server, descriptor
    )
