"""The NegotiationService gRPC API: rights, translation, one service-layer call per RPC."""

from __future__ import annotations

from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from parley.negotiation.v1 import negotiation_pb2 as pb
from parley.negotiation.v1 import negotiation_pb2_grpc
from parley_kit.errors import InvalidArgument, NotFound
from parley_kit.grpc_auth import rights_guard
from parley_kit.grpc_server import GrpcService
from parley_negotiation.adapters.conversations_repo import Conversation, Line, State
from parley_negotiation.adapters.money import to_minor
from parley_negotiation.domain.model import NegotiationState
from parley_negotiation.service_layer import conversations, preview
from parley_negotiation.service_layer.unit import Deps

Context = Any  # grpc.aio.ServicerContext; the handlers never touch it
GATEWAY, OPERATOR, ANALYTICS = "gateway", "operator", "analytics"
RIGHTS: dict[str, tuple[str, ...]] = {
    "GetConversation": (GATEWAY, OPERATOR, ANALYTICS),
    "ListConversations": (GATEWAY, OPERATOR, ANALYTICS),
    "TakeOverConversation": (GATEWAY, OPERATOR),
    "ResumeConversation": (GATEWAY, OPERATOR),
    "Preview": (GATEWAY, OPERATOR),
}
guarded = rights_guard(RIGHTS)

_STATES = {
    State.BOT: pb.CONVERSATION_STATE_BOT,
    State.HUMAN: pb.CONVERSATION_STATE_HUMAN,
    State.PAUSED: pb.CONVERSATION_STATE_PAUSED,
    State.CLOSED: pb.CONVERSATION_STATE_CLOSED,
}
_STATES_IN = {value: key for key, value in _STATES.items()}


class NegotiationApi(negotiation_pb2_grpc.NegotiationServiceServicer):
    """Each method: check the caller, translate, call the service layer, translate back."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    @guarded
    async def GetConversation(
        self, request: pb.GetConversationRequest, context: Context
    ) -> pb.GetConversationResponse:
        found, lines = await conversations.get_conversation(self._deps, request.conversation_id)
        return pb.GetConversationResponse(conversation=await self._out(found, lines))

    @guarded
    async def ListConversations(
        self, request: pb.ListConversationsRequest, context: Context
    ) -> pb.ListConversationsResponse:
        state = _STATES_IN.get(request.state) if request.state else None
        found, token = await conversations.list_conversations(
            self._deps,
            page_id=request.page_id,
            state=state,
            page_size=request.page_size,
            cursor=request.page_token,
        )
        listed = []
        for item in found:
            lines = []
            if request.with_transcript:
                lines = (await conversations.get_conversation(self._deps, item.conversation_id))[1]
            listed.append(await self._out(item, lines))
        return pb.ListConversationsResponse(conversations=listed, next_page_token=token)

    @guarded
    async def TakeOverConversation(
        self, request: pb.TakeOverConversationRequest, context: Context
    ) -> pb.TakeOverConversationResponse:
        changed = await conversations.take_over(
            self._deps, conversation_id=request.conversation_id, reason=request.reason
        )
        return pb.TakeOverConversationResponse(conversation=await self._out(changed, []))

    @guarded
    async def ResumeConversation(
        self, request: pb.ResumeConversationRequest, context: Context
    ) -> pb.ResumeConversationResponse:
        changed = await conversations.resume(self._deps, conversation_id=request.conversation_id)
        return pb.ResumeConversationResponse(conversation=await self._out(changed, []))

    @guarded
    async def Preview(self, request: pb.PreviewRequest, context: Context) -> pb.PreviewResponse:
        if not request.listing_id:
            raise InvalidArgument("listing_id: is required")
        listing = await self._deps.tenants.listing(request.listing_id)
        if listing is None:
            raise NotFound(f"no listing {request.listing_id!r}")
        return preview.run(listing, request.rules, list(request.messages), self._deps.clock())

    async def _out(self, found: Conversation, lines: list[Line]) -> pb.Conversation:
        listing = await self._deps.tenants.listing(found.listing_id) if found.listing_id else None
        currency = listing.currency if listing else "USD"
        state = NegotiationState.from_json(found.negotiation)
        return conversation_out(found, lines, state, currency, listing.rules if listing else None)


def _money(value: Any, currency: str) -> int:
    return 0 if value is None else to_minor(value, currency)


def _stamp(value: Any) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def conversation_out(
    found: Conversation, lines: list[Line], state: NegotiationState, currency: str, rules: Any
) -> pb.Conversation:
    """The API's view of a conversation and its negotiation."""
    return pb.Conversation(
        conversation_id=found.conversation_id,
        page_id=found.page_id,
        buyer_id=found.buyer_id,
        listing_id=found.listing_id,
        seller_id=found.seller_id,
        state=_STATES[found.state],
        state_reason=found.state_reason,
        language=state.language or "",
        currency=currency,
        asking_minor=_money(rules.asking_price if rules else None, currency),
        max_concessions=rules.max_concessions if rules else 0,
        last_offer_minor=_money(state.last_offer, currency),
        last_counter_minor=_money(state.counters[-1] if state.counters else None, currency),
        counters_minor=[to_minor(c, currency) for c in state.counters],
        concessions_used=state.concessions,
        final_price_minor=_money(state.final_price, currency),
        agreed_price_minor=_money(state.agreed_price, currency),
        viewing_at=_stamp(state.viewing),
        scam_flag=state.scam.value if state.scam else "",
        transcript=[_line(line) for line in lines],
        created_at=_stamp(found.created_at),
        updated_at=_stamp(found.updated_at),
    )


def _line(line: Line) -> pb.TranscriptLine:
    direction = pb.DIRECTION_INBOUND if line.direction == "inbound" else pb.DIRECTION_OUTBOUND
    return pb.TranscriptLine(
        direction=direction,
        text=line.text,
        at=_stamp(line.at),
        decision=line.decision,
        author=line.author,
    )


def negotiation_service(deps: Deps) -> GrpcService[NegotiationApi]:
    """The API as the kit's build_server takes it."""
    descriptor = pb.DESCRIPTOR.services_by_name["NegotiationService"]
    return GrpcService(
        NegotiationApi(deps),
        negotiation_pb2_grpc.add_NegotiationServiceServicer_to_server,
        descriptor,
    )
