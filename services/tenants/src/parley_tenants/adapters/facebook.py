"""Facebook Login and Page calls (MESSENGER.md, onboarding) over the kit's Graph client."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from parley_kit.graph import WEBHOOK_FIELDS, GraphClient, GraphError
from parley_kit.secrets import Secret
from parley_tenants.domain.model import ConnectedPage

SCOPES = ("pages_messaging", "pages_manage_metadata", "pages_show_list", "pages_read_engagement")


@dataclass(frozen=True)
class TokenCheck:
    """What debug_token said of a token: valid or not (and why); None when it could not tell."""

    valid: bool | None
    reason: str


def dialog_base(graph_url: str, explicit: str) -> str:
    """Where the login dialog lives: www.facebook.com for Meta's Graph, else the Graph host."""
    if explicit:
        return explicit.rstrip("/")
    if urlsplit(graph_url).hostname == "graph.facebook.com":
        return "https://www.facebook.com"
    return graph_url.rstrip("/")


class FacebookPlatform:
    """The calls onboarding and the token health check make."""

    def __init__(self, graph: GraphClient, *, dialog_url: str) -> None:
        self._graph = graph
        self._config = graph.config
        self._dialog = dialog_url.rstrip("/")

    def login_url(self, redirect_uri: str, state: str) -> str:
        """The login dialog URL asking for the Messenger scopes."""
        query = urlencode(
            {
                "client_id": self._config.app_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "scope": ",".join(SCOPES),
                "response_type": "code",
            }
        )
        return f"{self._dialog}/{self._config.version}/dialog/oauth?{query}"

    async def exchange_code(self, code: str, redirect_uri: str) -> Secret:
        """The short-lived user token for an OAuth code."""
        answer = await self._graph.get(
            "/oauth/access_token",
            params={
                "client_id": self._config.app_id,
                "client_secret": self._config.app_secret.reveal(),
                "redirect_uri": redirect_uri,
                "code": code,
            },
        )
        return Secret(str(answer["access_token"]))

    async def long_lived(self, user_token: Secret) -> Secret:
        """The long-lived (about 60 days) user token."""
        answer = await self._graph.get(
            "/oauth/access_token",
            params={
                "grant_type": "fb_exchange_token",
                "client_id": self._config.app_id,
                "client_secret": self._config.app_secret.reveal(),
                "fb_exchange_token": user_token.reveal(),
            },
        )
        return Secret(str(answer["access_token"]))

    async def user_id(self, user_token: Secret) -> str:
        """The app-scoped id of the user the token belongs to."""
        answer = await self._graph.get("/me", token=user_token, params={"fields": "id,name"})
        return str(answer["id"])

    async def pages(self, user_token: Secret) -> list[ConnectedPage]:
        """The user's Pages with their Page tokens."""
        answer = await self._graph.get(
            "/me/accounts", token=user_token, params={"fields": "id,name,access_token"}
        )
        return [
            ConnectedPage(str(row["id"]), str(row.get("name", "")), str(row["access_token"]))
            for row in answer.get("data", [])
            if row.get("access_token")
        ]

    async def subscribe(self, page_id: str, page_token: str) -> None:
        """Subscribe the app to the Page's webhooks with the fields Parley needs."""
        await self._graph.post(
            f"/{page_id}/subscribed_apps",
            token=page_token,
            params={"subscribed_fields": ",".join(WEBHOOK_FIELDS)},
        )

    async def unsubscribe(self, page_id: str, page_token: str) -> None:
        """Stop the Page's webhooks to the app (the Page left Parley)."""
        await self._graph.delete(f"/{page_id}/subscribed_apps", token=page_token)

    async def check_token(self, page_token: str) -> TokenCheck:
        """debug_token with the app token: valid, invalid (with the reason), or unknown."""
        try:
            answer = await self._graph.get(
                "/debug_token", token=self._config.app_token, params={"input_token": page_token}
            )
        except GraphError as error:
            # An error here is about the call or the app token, not the Page token.
            return TokenCheck(None, f"debug_token failed: {error.kind} (code {error.code})")
        data = answer.get("data") or {}
        if data.get("is_valid") is True:
            return TokenCheck(True, "")
        problem = data.get("error") or {}
        return TokenCheck(False, f"token invalid ({problem.get('message', 'is_valid false')})")
