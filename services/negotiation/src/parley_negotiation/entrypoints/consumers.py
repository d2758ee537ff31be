"""JetStream consumers: inbound events (conversations) and tenants' deletion requests."""

from __future__ import annotations

import logging

from google.protobuf.message import DecodeError
from nats.aio.msg import Msg

from parley.events.v1 import tenants_pb2 as tenant_events
from parley.events.v1.inbound_pb2 import InboundEvent
from parley_kit.bus import PoisonMessage
from parley_negotiation.service_layer import conversations
from parley_negotiation.service_layer.handle import handle_event
from parley_negotiation.service_layer.unit import Deps

log = logging.getLogger(__name__)


def conversation_key(msg: Msg) -> str:
    """Events of one buyer on one Page are handled one after another, in stream order."""
    try:
        event = InboundEvent.FromString(msg.data)
    except DecodeError:
        return msg.subject
    buyer = event.echo.buyer_id if event.WhichOneof("kind") == "echo" else event.sender_id
    return f"{event.page_id}:{buyer}"


class InboundHandler:
    """Parses an inbound event and hands it to the service layer."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self.outcomes: dict[str, int] = {}

    async def __call__(self, msg: Msg) -> None:
        try:
            event = InboundEvent.FromString(msg.data)
        except DecodeError as exc:
            raise PoisonMessage(f"not an InboundEvent: {exc}") from None
        if not event.event_id or not event.page_id:
            raise PoisonMessage("an InboundEvent without event_id or page_id")
        outcome = await handle_event(self._deps, event)
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        log.debug("event %s (%s): %s", event.event_id, event.WhichOneof("kind"), outcome)


class DeletionHandler:
    """Forgets a person's conversations when tenants announces a data deletion request."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def __call__(self, msg: Msg) -> None:
        try:
            request = tenant_events.UserDataDeletionRequested.FromString(msg.data)
        except DecodeError as exc:
            raise PoisonMessage(f"not a UserDataDeletionRequested: {exc}") from None
        removed = await conversations.forget(
            self._deps, buyer_id=request.facebook_user_id, page_ids=list(request.page_ids)
        )
        log.info("deletion %s: %d conversation(s) removed", request.confirmation_code, removed)
