"""The tenants service as the gateway uses it: OAuth completion and data deletion, over gRPC."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

import grpc

from parley.tenants.v1 import tenants_pb2 as pb
from parley.tenants.v1.tenants_pb2_grpc import TenantServiceStub
from parley_kit.grpc_client import open_channel

R = TypeVar("R")
_REFUSALS = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.NOT_FOUND,
}


class Refused(Exception):
    """Tenants said no, with a reason fit to show the person."""


class Unavailable(Exception):
    """Tenants could not be reached or failed; the person may try again."""


@dataclass(frozen=True)
class ConnectedPage:
    """A Page the seller just connected."""

    page_id: str
    name: str


@dataclass(frozen=True)
class DeletionReceipt:
    """What Meta's data-deletion callback answers."""

    confirmation_code: str
    status_url: str


@dataclass(frozen=True)
class DeletionView:
    """A deletion request as its status page shows it."""

    confirmation_code: str
    completed: bool
    progress: tuple[str, ...]


class TenantsClient:
    """Calls tenants as the `gateway` caller, with a deadline on every call."""

    def __init__(self, address: str, caller_token: str | None, timeout_s: float = 10.0) -> None:
        self._channel = open_channel(address, caller_token=caller_token)
        self._stub = TenantServiceStub(self._channel)
        self._timeout = timeout_s

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close(None)

    async def complete_onboarding(self, code: str, state: str) -> list[ConnectedPage]:
        """Exchange the OAuth code and connect the seller's Pages."""
        request = pb.CompleteOnboardingRequest(code=code, state=state)
        response = await _call(self._stub.CompleteOnboarding(request, timeout=self._timeout))
        return [ConnectedPage(page.page_id, page.name) for page in response.pages]

    async def login_url(self, connect_link: str) -> str:
        """The Facebook login dialog URL for the seller a signed connect link names."""
        request = pb.GetOnboardingUrlRequest(connect_link=connect_link)
        response = await _call(self._stub.GetOnboardingUrl(request, timeout=self._timeout))
        return response.url

    async def delete_user_data(self, user_id: str) -> DeletionReceipt:
        """Start deleting everything of this Facebook user."""
        request = pb.DeleteUserDataRequest(user_id=user_id)
        response = await _call(self._stub.DeleteUserData(request, timeout=self._timeout))
        return DeletionReceipt(response.confirmation_code, response.status_url)

    async def deletion_status(self, confirmation_code: str) -> DeletionView:
        """Where a deletion request stands."""
        request = pb.GetDeletionStatusRequest(confirmation_code=confirmation_code)
        response = await _call(self._stub.GetDeletionStatus(request, timeout=self._timeout))
        deletion = response.deletion
        completed = deletion.status == pb.DELETION_STATUS_COMPLETED
        return DeletionView(deletion.confirmation_code, completed, tuple(deletion.progress))


async def _call(call: Awaitable[R]) -> R:
    """Await an RPC, turning its failure into Refused or Unavailable."""
    try:
        return await call
    except grpc.aio.AioRpcError as exc:
        raise _translate(exc) from None


def _translate(exc: grpc.aio.AioRpcError) -> Exception:
    if exc.code() in _REFUSALS:
        return Refused(exc.details() or "refused")
    return Unavailable(f"tenants answered {exc.code().name}")
