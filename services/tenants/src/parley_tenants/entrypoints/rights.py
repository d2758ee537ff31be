"""Who may call which RPC: one table, enforced by `guarded` and documented in the proto."""

from __future__ import annotations

from parley_kit.grpc_auth import rights_guard

GATEWAY = "gateway"
NEGOTIATION = "negotiation"
DELIVERY = "delivery"
OPERATOR = "operator"
READERS = (GATEWAY, NEGOTIATION, DELIVERY, OPERATOR)
RULE_READERS = (NEGOTIATION, OPERATOR)
# The gateway serves the seller dashboard: it reads and edits settings and listings for every
# seller, so it is trusted to act only for the signed-in seller. It asks only for that seller's
# objects and checks the seller of each object it reads back before showing or changing it
# (parley_gateway.dashboard.scope); the handlers refuse moving a listing to another seller or
# onto a Page of another seller.
DASHBOARD_READERS = (GATEWAY, NEGOTIATION, OPERATOR)
DASHBOARD_WRITERS = (GATEWAY, OPERATOR)

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
    "GetSellerSettings": DASHBOARD_READERS,
    "UpdateSellerSettings": DASHBOARD_WRITERS,
    "CreateListing": DASHBOARD_WRITERS,
    "GetListing": DASHBOARD_READERS,
    "GetListingByRef": RULE_READERS,
    "GetListingRules": RULE_READERS,
    "ListListings": DASHBOARD_READERS,
    "UpdateListing": DASHBOARD_WRITERS,
    "MarkListingSold": (OPERATOR,),
    "DeleteListing": (OPERATOR,),
    "IssuePageToken": (DELIVERY,),
    "ReportTokenInvalid": (DELIVERY, OPERATOR),
    "DeleteUserData": (GATEWAY, OPERATOR),
    "GetDeletionStatus": (GATEWAY, OPERATOR),
}

# Decorates each servicer method: callers RIGHTS does not list get PERMISSION_DENIED.
guarded = rights_guard(RIGHTS)
