"""Who may call which RPC: one table, enforced by `guarded` and documented in the proto."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from parley_kit.grpc_auth import require_caller

GATEWAY = "gateway"
NEGOTIATION = "negotiation"
DELIVERY = "delivery"
OPERATOR = "operator"
READERS = (GATEWAY, NEGOTIATION, DELIVERY, OPERATOR)
RULE_READERS = (NEGOTIATION, OPERATOR)

RIGHTS: dict[str, tuple[str, ...]] = {
    "CreateSeller": (OPERATOR,),
    "GetSeller": READERS,
    "PauseSeller": (OPERATOR,),
    "ResumeSeller": (OPERATOR,),
    "GetOnboardingUrl": (GATEWAY, OPERATOR),
    "CompleteOnboarding": (GATEWAY, OPERATOR),
    "GetConnectLink": (GATEWAY, OPERATOR),
    "GetPage": READERS,
    "ListPages": READERS,
    "PausePage": (OPERATOR,),
    "ResumePage": (OPERATOR,),
    "SetKillSwitch": (OPERATOR,),
    "GetKillSwitch": READERS,
    "GetSellerSettings": RULE_READERS,
    "UpdateSellerSettings": (OPERATOR,),
    "CreateListing": (OPERATOR,),
    "GetListing": RULE_READERS,
    "GetListingByRef": RULE_READERS,
    "GetListingRules": RULE_READERS,
    "ListListings": RULE_READERS,
    "UpdateListing": (OPERATOR,),
    "MarkListingSold": (OPERATOR,),
    "DeleteListing": (OPERATOR,),
    "IssuePageToken": (DELIVERY,),
    "ReportTokenInvalid": (DELIVERY, OPERATOR),
    "DeleteUserData": (GATEWAY, OPERATOR),
    "GetDeletionStatus": (GATEWAY, OPERATOR),
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
