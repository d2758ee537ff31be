"""Calling the other services over gRPC: their answers, or Refused and Unavailable."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TypeVar

import grpc

log = logging.getLogger(__name__)
R = TypeVar("R")
_REFUSALS = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.NOT_FOUND,
    }
)
# The gateway's own configuration is wrong (its token or rights), not the person's request.
_MISCONFIGURED = frozenset({grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED})


class Refused(Exception):
    """The service said no, with a reason fit to show the person."""

    def __init__(self, details: str, code: grpc.StatusCode) -> None:
        super().__init__(details)
        self.details = details
        self.code = code

    @property
    def not_found(self) -> bool:
        """The thing asked for does not exist."""
        return self.code is grpc.StatusCode.NOT_FOUND


class Unavailable(Exception):
    """The service could not be reached or failed; the person may try again."""

    def __init__(self, service: str, detail: str) -> None:
        super().__init__(f"{service} {detail}")
        self.service = service


async def call(service: str, rpc: Awaitable[R]) -> R:
    """Await an RPC of `service`, turning its failure into Refused or Unavailable."""
    try:
        return await rpc
    except grpc.aio.AioRpcError as exc:
        raise translate(service, exc) from None


def translate(service: str, exc: grpc.aio.AioRpcError) -> Exception:
    """Refused for what the person asked wrongly, Unavailable for everything else."""
    code = exc.code()
    if code in _REFUSALS:
        return Refused(exc.details() or "refused", code)
    if code in _MISCONFIGURED:
        log.error("%s refused the gateway itself (%s): check its token and rights", service, code)
    return Unavailable(service, f"answered {code.name}")
