"""The delivery service as the dashboard uses it: human replies, the window, the thread owner
and the outbound log."""

from __future__ import annotations

from dataclasses import dataclass

from parley.delivery.v1 import delivery_pb2 as pb
from parley.delivery.v1.delivery_pb2_grpc import DeliveryServiceStub
from parley_gateway.adapters.calls import call
from parley_kit.grpc_client import open_channel

_SERVICE = "delivery"
# Delivery spends up to 8 seconds on one human send (its RPC budget); wait a little longer.
SEND_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class HumanReply:
    """A reply a person wrote, to send to a buyer."""

    page_id: str
    recipient_id: str
    text: str
    idempotency_key: str
    conversation_id: str
    seller_id: str
    agent_id: str


class DeliveryClient:
    """Calls delivery as the `gateway` caller, with a deadline on every call."""

    def __init__(self, address: str, caller_token: str | None, timeout_s: float = 5.0) -> None:
        self._channel = open_channel(address, caller_token=caller_token)
        self._stub = DeliveryServiceStub(self._channel)
        self._timeout = timeout_s

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close(None)

    async def send_as_human(self, reply: HumanReply) -> pb.SendAsHumanResponse:
        """Send now (once per idempotency key), or Refused saying why not."""
        request = pb.SendAsHumanRequest(
            page_id=reply.page_id,
            recipient_id=reply.recipient_id,
            text=reply.text,
            idempotency_key=reply.idempotency_key,
            conversation_id=reply.conversation_id,
            agent_id=reply.agent_id,
            seller_id=reply.seller_id,
        )
        timeout = max(self._timeout, SEND_TIMEOUT_S)
        return await call(_SERVICE, self._stub.SendAsHuman(request, timeout=timeout))

    async def window(self, page_id: str, recipient_id: str) -> pb.GetWindowStatusResponse:
        """Whether and how the buyer may be messaged now."""
        request = pb.GetWindowStatusRequest(page_id=page_id, recipient_id=recipient_id)
        return await call(_SERVICE, self._stub.GetWindowStatus(request, timeout=self._timeout))

    async def thread_owner(self, page_id: str, recipient_id: str) -> pb.GetThreadOwnerResponse:
        """Which app owns the thread."""
        request = pb.GetThreadOwnerRequest(page_id=page_id, recipient_id=recipient_id)
        return await call(_SERVICE, self._stub.GetThreadOwner(request, timeout=self._timeout))

    async def take_thread(self, page_id: str, recipient_id: str, reason: str) -> str:
        """Take the thread for Parley; the owner afterwards."""
        request = pb.TakeThreadControlRequest(
            page_id=page_id, recipient_id=recipient_id, reason=reason
        )
        rpc = self._stub.TakeThreadControl(request, timeout=self._timeout)
        return (await call(_SERVICE, rpc)).owner_app_id

    async def outbound(
        self, page_id: str, recipient_id: str, page_size: int = 50
    ) -> list[pb.OutboundReply]:
        """The buyer's most recent replies, newest first."""
        request = pb.ListOutboundMessagesRequest(
            page_id=page_id, recipient_id=recipient_id, page_size=page_size
        )
        rpc = self._stub.ListOutboundMessages(request, timeout=self._timeout)
        return list((await call(_SERVICE, rpc)).replies)
