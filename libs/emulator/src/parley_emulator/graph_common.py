"""What every Graph API route shares: parameters, tokens, appsecret_proof, nodes."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from parley_emulator.errors import (
    CODE_PARAM,
    GraphError,
    expired_token,
    invalid_token,
    no_such_object,
    param_error,
    revoked_token,
)
from parley_emulator.model import App, Page, Token, User
from parley_emulator.signing import appsecret_proof
from parley_emulator.world import World


@dataclass(slots=True)
class Caller:
    """Who is calling: the token, its app, and the Page or user it speaks for."""

    token: Token
    app: App
    page: Page | None
    user: User | None


async def read_params(request: Request) -> dict[str, Any]:
    """Query, JSON body or form body merged, as the Graph API accepts all three."""
    params = dict(_query(request.scope["query_string"]))
    body = await request.body()
    if body:
        params.update(_body_params(body, request.headers.get("content-type", "")))
    for key, value in params.items():
        # Form and query parameters carry objects JSON-encoded (recipient={"id":..}).
        if isinstance(value, str) and value[:1] in ("{", "["):
            try:
                params[key] = json.loads(value)
            except ValueError:
                pass
    return params


_QUERY_CACHE: dict[bytes, dict[str, str]] = {}
_QUERY_CACHE_MAX = 4096


def _query(raw: bytes) -> dict[str, str]:
    # Clients repeat the same query (token and proof) on every call: parse each once.
    parsed = _QUERY_CACHE.get(raw)
    if parsed is None:
        parsed = dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True))
        if len(_QUERY_CACHE) >= _QUERY_CACHE_MAX:
            _QUERY_CACHE.clear()
        _QUERY_CACHE[raw] = parsed
    return parsed


def _body_params(body: bytes, content_type: str) -> dict[str, Any]:
    if "json" in content_type or body[:1] == b"{":
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise param_error("Invalid JSON in the request body") from exc
        if not isinstance(data, dict):
            raise param_error("The request body must be a JSON object")
        return data
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def token_value(params: dict[str, Any], request: Request) -> str:
    """The access token from the parameters or an `Authorization: Bearer|OAuth` header."""
    value = params.get("access_token")
    if not value:
        scheme, _, rest = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() in {"bearer", "oauth"}:
            value = rest.strip()
    if not value:
        raise GraphError(104, "An access token is required to request this resource.")
    return str(value)


class Authenticator:
    """Resolves tokens to callers and checks appsecret_proof."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._proofs: dict[tuple[str, str], str] = {}

    def token(self, value: str) -> Token:
        """A live token, or code 190 (unknown, invalidated, expired)."""
        token = self.world.tokens.get(value)
        if token is None:
            raise invalid_token()
        if not token.valid:
            raise revoked_token()
        if token.expires_at and self.world.now_s() >= token.expires_at:
            raise expired_token()
        return token

    def caller(self, params: dict[str, Any], request: Request) -> Caller:
        """Authenticate the call: token, then appsecret_proof when given or required."""
        token = self.token(token_value(params, request))
        app = self.world.apps.get(token.app_id)
        if app is None:
            raise invalid_token("Error validating application. Application has been deleted.")
        self._check_proof(params.get("appsecret_proof"), token.value, app)
        page = self.world.pages.get(token.page_id) if token.page_id else None
        user = self.world.users.get(token.user_id) if token.user_id else None
        return Caller(token=token, app=app, page=page, user=user)

    def _check_proof(self, proof: object, token: str, app: App) -> None:
        if proof is None or proof == "":
            if app.require_proof:
                raise GraphError(
                    CODE_PARAM, "API calls from the server require an appsecret_proof argument"
                )
            return
        key = (token, app.secret)
        expected = self._proofs.get(key)
        if expected is None:
            expected = self._proofs[key] = appsecret_proof(token, app.secret)
        if not hmac.compare_digest(str(proof), expected):
            raise GraphError(CODE_PARAM, "Invalid appsecret_proof provided in the API argument")

    def page_caller(
        self, params: dict[str, Any], request: Request, node: str, method: str
    ) -> tuple[Caller, Page]:
        """A caller holding a Page token for `node` (`me` or the Page's id)."""
        caller = self.caller(params, request)
        page = caller.page
        if caller.token.kind != "page" or page is None:
            if node == "me":
                raise GraphError(200, "(#200) This method must be called with a Page Access Token")
            raise no_such_object(node, method)
        if node not in ("me", page.id):
            raise no_such_object(node, method)
        return caller, page
