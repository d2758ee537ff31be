"""Who may call which RPC: one table, enforced by `guarded` and documented in the proto."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from parley_kit.grpc_auth import require_caller

GATEWAY = "gateway"
NEGOTIATION = "negotiation"
TENANTS = "tenants"
OPERATOR = "operator"
READERS = (GATEWAY, NEGOTIATION, OPERATOR)

RIGHTS: dict[str, tuple[str, ...]] = {
    "SendAsHuman": (GATEWAY, OPERATOR),
    "GetWindowStatus": READERS,
    "ListOutboundMessages": READERS,
    "PassThreadControl": (NEGOTIATION, GATEWAY, OPERATOR),
    "TakeThreadControl": (NEGOTIATION, GATEWAY, OPERATOR),
    "GetThreadOwner": (NEGOTIATION, GATEWAY, OPERATOR),
    "SetUpPageProfile": (TENANTS, GATEWAY, OPERATOR),
}

M = TypeVar("M", bound=Callable[..., Awaitable[Any]])


def guarded(method: M) -> M:
    """The RPC method, refusing callers that RIGHTS does not list for it (PERMISSION_DENIED)."""
    allowed = RIGHTS[method.__name__]

    @functools.wraps(method)
    async def check(*args: Any, **kwargs: Any) -> Any:
        require_caller(*allowed)
        return await method(*args, **kwargs)

    return check  # type: ignore[return-value]
