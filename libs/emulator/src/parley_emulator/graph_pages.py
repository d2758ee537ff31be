"""Page set-up routes: Messenger Profile, subscribed apps, and node reads (Page, me, PSID)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from parley_emulator.context import Emulator
from parley_emulator.errors import (
    SUB_NO_PROFILE,
    GraphError,
    no_such_object,
    param_error,
)
from parley_emulator.graph_common import Caller, read_params
from parley_emulator.model import WEBHOOK_FIELDS, Buyer, Page
from parley_emulator.profile_limits import (
    PROFILE_FIELDS,
    validate_profile_delete,
    validate_profile_update,
)

PROFILE_READ_FIELDS = ("id", "name", "first_name", "last_name", "profile_pic", "locale", "timezone")
DEFAULT_PROFILE_FIELDS = "first_name,last_name,profile_pic"
SUCCESS = {"result": "success"}


def _split(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


class PageSetupApi:
    """Messenger Profile (with its 10 calls per 10 minutes) and webhook subscriptions."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.world = emu.world

    async def _page(self, request: Request, method: str) -> tuple[dict[str, Any], Caller, Page]:
        params = await read_params(request)
        node = request.path_params["node"]
        caller, page = self.emu.auth.page_caller(params, request, node, method)
        return params, caller, page

    async def profile(self, request: Request) -> JSONResponse:
        """`GET|POST|DELETE /<version>/me/messenger_profile`."""
        params, _, page = await self._page(request, request.method.lower())
        config = self.world.config
        self.emu.limiter.check_profile(page.id, config.profile_calls, config.profile_window_s)
        if request.method == "GET":
            names = _split(params.get("fields"))
            if not names:
                raise param_error("The parameter fields is required")
            found = {name: page.profile[name] for name in names if name in page.profile}
            return JSONResponse({"data": [found] if found else []})
        if request.method == "POST":
            page.profile.update(validate_profile_update(params, page.profile))
        else:
            for name in validate_profile_delete(params.get("fields"), page.profile):
                page.profile.pop(name, None)
        self.world.dirty = True
        return JSONResponse(SUCCESS)

    async def subscribed_apps(self, request: Request) -> JSONResponse:
        """`GET|POST|DELETE /<version>/<page-id>/subscribed_apps`."""
        params, caller, page = await self._page(request, request.method.lower())
        if request.method == "GET":
            return JSONResponse({"data": self._subscriptions(page)})
        if request.method == "DELETE":
            self.world.unsubscribe(page, caller.app.id)
            return JSONResponse({"success": True})
        names = _split(params.get("subscribed_fields"))
        if not names:
            raise param_error("The parameter subscribed_fields is required")
        unknown = [name for name in names if name not in WEBHOOK_FIELDS]
        if unknown:
            raise param_error(f"Param subscribed_fields has invalid values: {', '.join(unknown)}")
        self.world.subscribe(page, caller.app.id, names)
        return JSONResponse({"success": True})

    def _subscriptions(self, page: Page) -> list[dict[str, Any]]:
        out = []
        for app_id, names in page.subscriptions.items():
            app = self.world.apps.get(app_id)
            name = app.name if app else app_id
            out.append({"id": app_id, "name": name, "subscribed_fields": list(names)})
        return out

    async def node(self, request: Request) -> JSONResponse:
        """`GET /<version>/<me|page-id|psid>`: the Page, the user, or a buyer's profile."""
        params = await read_params(request)
        node = request.path_params["node"]
        caller = self.emu.auth.caller(params, request)
        if node == "me":
            subject = caller.page or caller.user
            if subject is None:
                raise no_such_object(node)
            return JSONResponse({"id": subject.id, "name": subject.name})
        if caller.page is not None and node == caller.page.id:
            return JSONResponse({"id": caller.page.id, "name": caller.page.name})
        buyer = self.world.buyers.get(node)
        if buyer is None or caller.page is None or buyer.page_id != caller.page.id:
            raise no_such_object(node)
        return JSONResponse(_profile(buyer, _split(params.get("fields") or DEFAULT_PROFILE_FIELDS)))


def _profile(buyer: Buyer, names: list[str]) -> dict[str, Any]:
    unknown = [name for name in names if name not in PROFILE_READ_FIELDS]
    if unknown:
        raise param_error(f"Tried accessing nonexisting field ({unknown[0]}) on node type (User)")
    if not buyer.has_profile:
        raise GraphError(100, "(#100) No profile available for this person", SUB_NO_PROFILE)
    values: dict[str, Any] = {"name": buyer.name, **buyer.to_json(), "id": buyer.psid}
    out = {name: values[name] for name in names}
    out["id"] = buyer.psid
    return out


def routes(emu: Emulator) -> list[Any]:
    """Messenger Profile, subscribed_apps and node routes (the node route goes last)."""
    api = PageSetupApi(emu)
    methods = ["GET", "POST", "DELETE"]
    return [
        Route("/{version:gv}/{node}/messenger_profile", api.profile, methods=methods),
        Route("/{version:gv}/{node}/subscribed_apps", api.subscribed_apps, methods=methods),
        Route("/{version:gv}/{node}", api.node, methods=["GET"]),
    ]


__all__ = ["PROFILE_FIELDS", "routes"]
