"""The negotiation service as the dashboard uses it: conversations, takeover, resume, preview."""

from __future__ import annotations

from parley.negotiation.v1 import negotiation_pb2 as pb
from parley.negotiation.v1.negotiation_pb2_grpc import NegotiationServiceStub
from parley_gateway.adapters.calls import call
from parley_kit.grpc_client import open_channel

_SERVICE = "negotiation"


class NegotiationClient:
    """Calls negotiation as the `gateway` caller, with a deadline on every call."""

    def __init__(self, address: str, caller_token: str | None, timeout_s: float = 5.0) -> None:
        self._channel = open_channel(address, caller_token=caller_token)
        self._stub = NegotiationServiceStub(self._channel)
        self._timeout = timeout_s

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close(None)

    async def conversation(self, conversation_id: str) -> pb.Conversation:
        """One conversation with its transcript."""
        request = pb.GetConversationRequest(conversation_id=conversation_id)
        rpc = self._stub.GetConversation(request, timeout=self._timeout)
        return (await call(_SERVICE, rpc)).conversation

    async def conversations(
        self,
        page_id: str,
        *,
        state: pb.ConversationState.ValueType = pb.CONVERSATION_STATE_UNSPECIFIED,
        page_size: int = 50,
        page_token: str = "",
    ) -> tuple[list[pb.Conversation], str]:
        """A Page's conversations (newest first, without transcripts) and the next page's token."""
        request = pb.ListConversationsRequest(
            page_id=page_id, state=state, page_size=page_size, page_token=page_token
        )
        rpc = self._stub.ListConversations(request, timeout=self._timeout)
        response = await call(_SERVICE, rpc)
        return list(response.conversations), response.next_page_token

    async def take_over(self, conversation_id: str, reason: str) -> pb.Conversation:
        """A person answers from now on."""
        request = pb.TakeOverConversationRequest(conversation_id=conversation_id, reason=reason)
        rpc = self._stub.TakeOverConversation(request, timeout=self._timeout)
        return (await call(_SERVICE, rpc)).conversation

    async def resume(self, conversation_id: str) -> pb.Conversation:
        """The bot answers again."""
        request = pb.ResumeConversationRequest(conversation_id=conversation_id)
        rpc = self._stub.ResumeConversation(request, timeout=self._timeout)
        return (await call(_SERVICE, rpc)).conversation

    async def preview(self, listing_id: str, messages: list[str]) -> pb.PreviewResponse:
        """What the bot would answer to these buyer messages under the listing's rules."""
        request = pb.PreviewRequest(listing_id=listing_id, messages=messages)
        return await call(_SERVICE, self._stub.Preview(request, timeout=self._timeout))
