"""The Messenger Platform calls delivery makes (Send API, Conversation Routing, Messenger
Profile) over the kit's Graph client: appsecret_proof on every call, tokens never in URLs."""

from __future__ import annotations

from typing import Any

from parley_kit.graph import GraphClient
from parley_kit.secrets import Secret


class MessengerPlatform:
    """Facebook as delivery sees it."""

    def __init__(self, graph: GraphClient) -> None:
        self._graph = graph

    async def send(self, token: Secret, body: dict[str, Any]) -> str:
        """`POST /me/messages`: the message id Meta gave the message."""
        answer = await self._graph.post("/me/messages", token=token, json=body)
        return str(answer.get("message_id", ""))

    async def sender_action(self, token: Secret, body: dict[str, Any]) -> None:
        """`POST /me/messages` with a sender action (typing_on, mark_seen)."""
        await self._graph.post("/me/messages", token=token, json=body)

    async def pass_thread(
        self, token: Secret, psid: str, target_app_id: str, metadata: str
    ) -> None:
        """`POST /me/pass_thread_control`."""
        body: dict[str, Any] = {"recipient": {"id": psid}, "target_app_id": target_app_id}
        if metadata:
            body["metadata"] = metadata[:1000]
        await self._graph.post("/me/pass_thread_control", token=token, json=body)

    async def take_thread(self, token: Secret, psid: str, metadata: str) -> None:
        """`POST /me/take_thread_control`."""
        body: dict[str, Any] = {"recipient": {"id": psid}}
        if metadata:
            body["metadata"] = metadata[:1000]
        await self._graph.post("/me/take_thread_control", token=token, json=body)

    async def thread_owner(self, token: Secret, psid: str) -> str:
        """`GET /me/thread_owner`: the owning app's id ("" when none)."""
        answer = await self._graph.get("/me/thread_owner", token=token, params={"recipient": psid})
        rows = answer.get("data") or [{}]
        owner = rows[0].get("thread_owner") or {}
        return str(owner.get("app_id", ""))

    async def set_profile(self, token: Secret, profile: dict[str, Any]) -> None:
        """`POST /me/messenger_profile`."""
        await self._graph.post("/me/messenger_profile", token=token, json=profile)

    @property
    def app_id(self) -> str:
        """Parley's own app id."""
        return self._graph.config.app_id
