"""Who may call which RPC: one table, enforced by `guarded` and documented in the proto."""

from __future__ import annotations

from parley_kit.grpc_auth import rights_guard

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

# Decorates each servicer method: callers RIGHTS does not list get PERMISSION_DENIED.
guarded = rights_guard(RIGHTS)
