"""Facebook Login and tokens: the OAuth dialog, code exchange, Page tokens, debug_token."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from parley_emulator.context import Emulator
from parley_emulator.errors import GraphError, invalid_token, param_error
from parley_emulator.graph_common import read_params, token_value
from parley_emulator.model import App, AuthCode, Token, User

SHORT_LIVED_S = 3600
LONG_LIVED_S = 5183944
CODE_TTL_MS = 600_000


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    # Facebook appends `#_=_` to the redirect after login.
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, "_=_"))


class OAuthApi:
    """The login dialog plays the configured Facebook user logging in and accepting."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.world = emu.world

    async def dialog(self, request: Request) -> Response:
        """`GET [/<version>]/dialog/oauth`: redirect to redirect_uri with a code and the state."""
        query = request.query_params
        app = self.world.apps.get(query.get("client_id", ""))
        redirect_uri = query.get("redirect_uri", "")
        if app is None or not redirect_uri.startswith(("http://", "https://")):
            return PlainTextResponse("Invalid App ID or redirect_uri.", status_code=400)
        state = query.get("state", "")
        if query.get("deny"):
            denied = {
                "error": "access_denied",
                "error_code": "200",
                "error_description": "Permissions error",
                "error_reason": "user_denied",
                "state": state,
            }
            return RedirectResponse(_with_query(redirect_uri, denied), status_code=302)
        user = self._login_user(query.get("user_id"))
        if user is None:
            return PlainTextResponse("No Facebook user to log in (create one).", status_code=400)
        code = self._issue_code(app, user, redirect_uri, query.get("scope", ""))
        target = _with_query(redirect_uri, {"code": code, "state": state})
        return RedirectResponse(target, status_code=302)

    def _login_user(self, requested: str | None) -> User | None:
        user_id = requested or self.world.config.login_user_id
        if user_id:
            return self.world.users.get(user_id)
        return next(iter(self.world.users.values()), None)

    def _issue_code(self, app: App, user: User, redirect_uri: str, scope: str) -> str:
        code = "AQ" + secrets.token_urlsafe(48)
        scopes = [s.strip() for s in scope.split(",") if s.strip()]
        expires = self.world.now_ms() + CODE_TTL_MS
        self.world.codes[code] = AuthCode(code, app.id, user.id, redirect_uri, scopes, expires)
        return code

    async def access_token(self, request: Request) -> JSONResponse:
        """`GET /<version>/oauth/access_token`: code exchange or fb_exchange_token."""
        params = await read_params(request)
        app = self.world.apps.get(str(params.get("client_id", "")))
        if app is None:
            raise param_error("Error validating application. Invalid application ID.")
        if params.get("client_secret") != app.secret:
            raise GraphError(1, "Error validating client secret.")
        if params.get("grant_type") == "fb_exchange_token":
            return self._long_lived(app, str(params.get("fb_exchange_token", "")))
        return self._exchange_code(app, params)

    def _exchange_code(self, app: App, params: dict[str, Any]) -> JSONResponse:
        code = self.world.codes.pop(str(params.get("code", "")), None)
        if code is None or code.app_id != app.id:
            raise param_error("This authorization code has been used.", 36009)
        if self.world.now_ms() > code.expires_ms:
            raise param_error("This authorization code has expired.", 36007)
        if params.get("redirect_uri") != code.redirect_uri:
            raise param_error(
                "Error validating verification code. Please make sure your redirect_uri is "
                "identical to the one you used in the OAuth dialog request",
                36008,
            )
        user = self.world.users[code.user_id]
        token = self.world.user_token(user, app.id, code.scopes, SHORT_LIVED_S)
        return _token_answer(token, SHORT_LIVED_S)

    def _long_lived(self, app: App, value: str) -> JSONResponse:
        token = self.emu.auth.token(value)
        if token.kind != "user" or token.app_id != app.id or token.user_id is None:
            raise invalid_token("fb_exchange_token must be a user token of this app")
        user = self.world.users[token.user_id]
        long_lived = self.world.user_token(user, app.id, list(token.scopes), LONG_LIVED_S)
        return _token_answer(long_lived, LONG_LIVED_S)

    async def accounts(self, request: Request) -> JSONResponse:
        """`GET /<version>/me/accounts`: the user's Pages with Page tokens for the app."""
        params = await read_params(request)
        caller = self.emu.auth.caller(params, request)
        if caller.user is None:
            raise GraphError(100, "(#100) Tried accessing nonexisting field (accounts)")
        names = str(params.get("fields") or "id,name,access_token").split(",")
        data = []
        for page_id in caller.user.page_ids:
            page = self.world.pages.get(page_id)
            if page is None:
                continue
            row = {
                "id": page.id,
                "name": page.name,
                "access_token": self.world.page_token(page, caller.app.id),
                "category": "Shopping & retail",
                "tasks": ["MESSAGING", "MODERATE", "MANAGE"],
            }
            data.append({name.strip(): row[name.strip()] for name in names if name.strip() in row})
        return JSONResponse({"data": data, "paging": {"cursors": {"before": "MA", "after": "MA"}}})

    async def debug_token(self, request: Request) -> JSONResponse:
        """`GET /<version>/debug_token?input_token=..&access_token=APPID|SECRET`."""
        params = await read_params(request)
        app_id, _, secret = token_value(params, request).partition("|")
        app = self.world.apps.get(app_id)
        if app is None or not secrets.compare_digest(secret, app.secret):
            raise invalid_token("Invalid OAuth access token signature.")
        token = self.world.tokens.get(str(params.get("input_token", "")))
        if token is None or token.app_id != app.id:
            return JSONResponse({"data": _invalid_data(app)})
        return JSONResponse({"data": self._token_data(app, token)})

    def _token_data(self, app: App, token: Token) -> dict[str, Any]:
        expired = bool(token.expires_at) and self.world.now_s() >= token.expires_at
        targets = [token.page_id] if token.page_id else self._user_pages(token)
        data: dict[str, Any] = {
            "app_id": app.id,
            "type": token.kind.upper(),
            "application": app.name,
            "data_access_expires_at": token.issued_at + 90 * 86400,
            "expires_at": token.expires_at,
            "is_valid": token.valid and not expired,
            "issued_at": token.issued_at,
            "scopes": list(token.scopes),
            "granular_scopes": [
                {"scope": scope, "target_ids": targets}
                if scope.startswith("pages_")
                else {"scope": scope}
                for scope in token.scopes
            ],
        }
        if token.user_id:
            data["user_id"] = token.user_id
        if token.page_id:
            data["profile_id"] = token.page_id
        return data

    def _user_pages(self, token: Token) -> list[str]:
        user = self.world.users.get(token.user_id or "")
        return list(user.page_ids) if user else []


def _invalid_data(app: App) -> dict[str, Any]:
    return {
        "app_id": app.id,
        "is_valid": False,
        "error": {"code": 190, "message": "Invalid OAuth access token."},
        "scopes": [],
        "granular_scopes": [],
        "expires_at": 0,
    }


def _token_answer(token: Token, ttl: int) -> JSONResponse:
    return JSONResponse({"access_token": token.value, "token_type": "bearer", "expires_in": ttl})


def routes(emu: Emulator) -> list[Any]:
    """OAuth and token routes; the dialog also answers without a version."""
    api = OAuthApi(emu)
    return [
        Route("/dialog/oauth", api.dialog, methods=["GET"]),
        Route("/{version:gv}/dialog/oauth", api.dialog, methods=["GET"]),
        Route("/{version:gv}/oauth/access_token", api.access_token, methods=["GET", "POST"]),
        Route("/{version:gv}/debug_token", api.debug_token, methods=["GET"]),
        Route("/{version:gv}/me/accounts", api.accounts, methods=["GET"]),
    ]
