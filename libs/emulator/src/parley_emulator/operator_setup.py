"""Operator API, set-up half: apps, users, Pages, buyers, tokens, config, faults, state."""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from parley_emulator.buyers import OperatorError
from parley_emulator.context import Emulator
from parley_emulator.http import async_client
from parley_emulator.model import WEBHOOK_FIELDS
from parley_emulator.persist import dump, load, page_json
from parley_emulator.signing import signed_request
from parley_emulator.world import World

PREFIX = "/_emulator"


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object (empty body: `{}`); 400 otherwise."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise OperatorError(f"invalid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise OperatorError("the body must be a JSON object")
    return data


def page_view(world: World, page_id: str) -> dict[str, Any]:
    """A Page as `GET /_emulator/pages` lists it."""
    return page_json(world.pages[page_id])


def _lookup(registry: dict[str, Any], key: str, what: str) -> Any:
    value = registry.get(key)
    if value is None:
        raise OperatorError(f"unknown {what} {key}", 404)
    return value


async def verify_callback(url: str, verify_token: str, timeout: float) -> tuple[bool, str]:
    """Meta's webhook verification GET; True when the bare challenge comes back."""
    challenge = str(secrets.randbelow(10**9))
    params = {"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": challenge}
    try:
        async with async_client(timeout=timeout) as client:
            response = await client.get(url, params=params)
    except httpx.HTTPError as exc:
        return False, f"{type(exc).__name__}: {exc}"
    ok = response.status_code == 200 and response.text.strip() == challenge
    return ok, f"HTTP {response.status_code}: {response.text[:200]}"


class SetupApi:
    """Creates and changes what the platform knows; every POST here creates or updates."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.world = emu.world

    async def health(self, request: Request) -> JSONResponse:
        """`GET /_emulator/health`."""
        return JSONResponse({"ok": True})

    async def state(self, request: Request) -> JSONResponse:
        """`GET /_emulator/state`: everything, in the state-file format."""
        return JSONResponse(dump(self.world))

    async def seed(self, request: Request) -> JSONResponse:
        """`POST /_emulator/seed`: merge a seed document."""
        try:
            load(self.world, await json_body(request))
        except (KeyError, TypeError) as exc:
            raise OperatorError(f"bad seed: {exc}") from exc
        return JSONResponse({"pages": [page_json(p) for p in self.world.pages.values()]})

    async def reset(self, request: Request) -> JSONResponse:
        """`POST /_emulator/reset`: forget every app, Page, buyer, thread; clear faults."""
        self.world.clear()
        self.emu.faults.clear()
        self.emu.limiter.reset()
        return JSONResponse({"ok": True})

    async def apps(self, request: Request) -> JSONResponse:
        """`GET|POST /_emulator/apps`."""
        if request.method == "GET":
            return JSONResponse({"data": [a.to_json() for a in self.world.apps.values()]})
        return JSONResponse(self.world.put_app(await json_body(request)).to_json())

    async def webhook(self, request: Request) -> JSONResponse:
        """`PUT /_emulator/apps/{app_id}/webhook {url, verify?}`: set the callback URL."""
        app = _lookup(self.world.apps, request.path_params["app_id"], "app")
        body = await json_body(request)
        url = body.get("url")
        if url and body.get("verify"):
            ok, detail = await verify_callback(
                str(url), app.verify_token, self.world.config.webhook_timeout_s
            )
            if not ok:
                raise OperatorError(f"verification of {url} failed: {detail}")
        app.callback_url = str(url) if url else None
        self.world.dirty = True
        return JSONResponse(app.to_json())

    async def data_deletion(self, request: Request) -> JSONResponse:
        """`POST /_emulator/apps/{app_id}/data_deletion {url, user_id}`: Meta's callback."""
        app = _lookup(self.world.apps, request.path_params["app_id"], "app")
        body = await json_body(request)
        if not body.get("url") or not body.get("user_id"):
            raise OperatorError("give the app's data deletion url and a user_id")
        payload = {
            "algorithm": "HMAC-SHA256",
            "issued_at": self.world.now_s(),
            "user_id": str(body["user_id"]),
        }
        form = {"signed_request": signed_request(payload, app.secret)}
        try:
            async with async_client(timeout=self.world.config.webhook_timeout_s) as client:
                response = await client.post(str(body["url"]), data=form)
        except httpx.HTTPError as exc:
            raise OperatorError(f"the callback failed: {type(exc).__name__}: {exc}", 502) from exc
        try:
            answer: Any = response.json()
        except ValueError:
            answer = response.text
        return JSONResponse({"status": response.status_code, "response": answer, **form})

    async def policy(self, request: Request) -> JSONResponse:
        """`POST /_emulator/pages/{page_id}/policy {action, reason}`: a policy enforcement."""
        page = _lookup(self.world.pages, request.path_params["page_id"], "page")
        body = await json_body(request)
        action = body.get("action", "warning")
        if action not in ("warning", "block", "unblock"):
            raise OperatorError("action must be warning, block or unblock")
        notice = {"action": action, "reason": str(body.get("reason", "Policy violation"))}
        event = {
            "recipient": {"id": page.id},
            "timestamp": self.world.now_ms(),
            "policy_enforcement": notice,
        }
        for app_id in list(page.subscriptions):
            self.emu.router.app_event(app_id, page.id, "messaging_policy_enforcement", event)
        return JSONResponse(notice)

    async def users(self, request: Request) -> JSONResponse:
        """`GET|POST /_emulator/users`."""
        if request.method == "GET":
            return JSONResponse({"data": [u.to_json() for u in self.world.users.values()]})
        return JSONResponse(self.world.put_user(await json_body(request)).to_json())

    async def login(self, request: Request) -> JSONResponse:
        """`PUT /_emulator/login {user_id}`: who logs in at the OAuth dialog."""
        user_id = (await json_body(request)).get("user_id")
        if user_id is not None:
            _lookup(self.world.users, str(user_id), "user")
        self.world.config.login_user_id = None if user_id is None else str(user_id)
        return JSONResponse({"user_id": self.world.config.login_user_id})

    async def pages(self, request: Request) -> JSONResponse:
        """`GET|POST /_emulator/pages`: the Pages with ids, names and current tokens."""
        if request.method == "GET":
            return JSONResponse({"data": [page_json(p) for p in self.world.pages.values()]})
        body = await json_body(request)
        if body.get("app_id") and str(body["app_id"]) not in self.world.apps:
            raise OperatorError(f"unknown app {body['app_id']}", 404)
        return JSONResponse(page_json(self.world.put_page(body)))

    async def token(self, request: Request) -> JSONResponse:
        """`POST /_emulator/pages/{page_id}/token {action: rotate|revoke, app_id?}`."""
        page = _lookup(self.world.pages, request.path_params["page_id"], "page")
        body = await json_body(request)
        action = body.get("action", "rotate")
        app_id = str(body.get("app_id") or page.app_id or "")
        if action not in ("rotate", "revoke") or app_id not in page.tokens:
            raise OperatorError("action must be rotate or revoke, for an app with a token")
        old = page.tokens[app_id]
        new = self.world.rotate_page_token(page, app_id, reissue=action == "rotate")
        return JSONResponse(
            {"page_id": page.id, "app_id": app_id, "old_token": old, "access_token": new}
        )

    async def connect(self, request: Request) -> JSONResponse:
        """`POST /_emulator/pages/{page_id}/apps {app_id, subscribed_fields?}`: add an app."""
        page = _lookup(self.world.pages, request.path_params["page_id"], "page")
        body = await json_body(request)
        app = _lookup(self.world.apps, str(body.get("app_id", "")), "app")
        fields_ = body.get("subscribed_fields", list(WEBHOOK_FIELDS))
        token = self.world.page_token(page, app.id)
        if fields_:
            self.world.subscribe(page, app.id, [str(name) for name in fields_])
        return JSONResponse(
            {
                "page_id": page.id,
                "app_id": app.id,
                "access_token": token,
                "subscribed_fields": page.subscriptions.get(app.id, []),
            }
        )

    async def buyers(self, request: Request) -> JSONResponse:
        """`GET|POST /_emulator/buyers` (GET takes `?page_id=`)."""
        if request.method == "GET":
            page_id = request.query_params.get("page_id")
            rows = [
                b.to_json()
                for b in self.world.buyers.values()
                if page_id is None or b.page_id == page_id
            ]
            return JSONResponse({"data": rows})
        try:
            return JSONResponse(self.world.put_buyer(await json_body(request)).to_json())
        except KeyError as exc:
            raise OperatorError(str(exc.args[0]), 404) from exc

    async def config(self, request: Request) -> JSONResponse:
        """`GET|PUT /_emulator/config`."""
        if request.method == "PUT":
            try:
                self.world.config.update(await json_body(request))
            except ValueError as exc:
                raise OperatorError(str(exc)) from exc
        return JSONResponse(self.world.config.to_json())

    async def clock(self, request: Request) -> JSONResponse:
        """`POST /_emulator/clock {advance_s}`: move the emulated clock forward."""
        advance = float((await json_body(request)).get("advance_s", 0))
        self.world.config.clock_offset_ms += int(advance * 1000)
        return JSONResponse(
            {"now_ms": self.world.now_ms(), "offset_ms": self.world.config.clock_offset_ms}
        )

    async def faults(self, request: Request) -> JSONResponse:
        """`GET|POST|DELETE /_emulator/faults`."""
        if request.method == "POST":
            try:
                rule = self.emu.faults.add(await json_body(request))
            except (TypeError, ValueError) as exc:
                raise OperatorError(f"bad fault: {exc}") from exc
            return JSONResponse(rule.to_json())
        if request.method == "DELETE":
            self.emu.faults.clear()
        return JSONResponse({"data": [rule.to_json() for rule in self.emu.faults.rules]})


def routes(emu: Emulator) -> list[Any]:
    """The set-up half of the operator API."""
    api = SetupApi(emu)
    rw, crud = ["GET", "POST"], ["GET", "POST", "DELETE"]
    return [
        Route(f"{PREFIX}/health", api.health, methods=["GET"]),
        Route(f"{PREFIX}/state", api.state, methods=["GET"]),
        Route(f"{PREFIX}/seed", api.seed, methods=["POST"]),
        Route(f"{PREFIX}/reset", api.reset, methods=["POST"]),
        Route(f"{PREFIX}/apps", api.apps, methods=rw),
        Route(f"{PREFIX}/apps/{{app_id}}/webhook", api.webhook, methods=["PUT", "POST"]),
        Route(f"{PREFIX}/apps/{{app_id}}/data_deletion", api.data_deletion, methods=["POST"]),
        Route(f"{PREFIX}/pages/{{page_id}}/policy", api.policy, methods=["POST"]),
        Route(f"{PREFIX}/users", api.users, methods=rw),
        Route(f"{PREFIX}/login", api.login, methods=["PUT", "POST"]),
        Route(f"{PREFIX}/pages", api.pages, methods=rw),
        Route(f"{PREFIX}/pages/{{page_id}}/token", api.token, methods=["POST"]),
        Route(f"{PREFIX}/pages/{{page_id}}/apps", api.connect, methods=["POST"]),
        Route(f"{PREFIX}/buyers", api.buyers, methods=rw),
        Route(f"{PREFIX}/config", api.config, methods=["GET", "PUT"]),
        Route(f"{PREFIX}/clock", api.clock, methods=["POST"]),
        Route(f"{PREFIX}/faults", api.faults, methods=crud),
    ]
