"""The seller dashboard's routes: sessions checked, CSRF checked on every form, failures of the
services behind it shown as pages (404 for what is not the seller's, 503 when a service is down)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from parley_gateway.adapters.calls import Refused, Unavailable
from parley_gateway.dashboard import (
    views_catalog,
    views_conversations,
    views_home,
    views_preview,
)
from parley_gateway.dashboard.auth import InvalidToken, Session, Signer, UsedLinks
from parley_gateway.dashboard.forms import MAX_FORM_BYTES, Form, FormTooLarge
from parley_gateway.dashboard.html import fmt, notice
from parley_gateway.dashboard.layout import (
    forbidden,
    missing,
    public_page,
    sign_in_needed,
    unavailable,
)
from parley_gateway.dashboard.scope import NotYours, SellerScope, Services
from parley_gateway.dashboard.views_auth import SESSION_COOKIE, CookiePolicy, SignIn
from parley_gateway.dashboard.visit import Visit

log = logging.getLogger(__name__)
View = Callable[[Visit], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class DashboardConfig:
    """Lifetimes and where the dashboard is reached."""

    public_url: str
    session_ttl_s: int
    secure_cookies: bool


async def _read_form(request: Request) -> Form:
    """The POSTed form, read up to MAX_FORM_BYTES (FormTooLarge beyond)."""
    if request.method != "POST":
        return Form({})
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise FormTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormTooLarge
    return Form.parse(bytes(body))


async def _guarded(view: View, visit: Visit) -> Response:
    try:
        return await view(visit)
    except NotYours:
        return missing(visit.session.seller_name, visit.csrf)
    except Unavailable as exc:
        log.warning("dashboard %s %s: %s", visit.request.method, visit.request.url.path, exc)
        return unavailable(exc.service)
    except Refused as exc:
        body = fmt("{}", notice(f"Not done: {exc.details}", "error"))
        return visit.page("Not done", body, 409)


class Dashboard:
    """The dashboard's endpoints over the services it calls."""

    def __init__(self, services: Services, signer: Signer, config: DashboardConfig) -> None:
        self._services = services
        self._signer = signer
        cookies = CookiePolicy(config.session_ttl_s, config.secure_cookies, config.public_url)
        self.sign_in = SignIn(services.tenants, signer, UsedLinks(), cookies)

    def session(self, request: Request) -> Session | None:
        """The signed-in seller, from a genuine and unexpired cookie."""
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        try:
            return self._signer.read_session(token)
        except InvalidToken:
            return None

    def seller(self, view: View) -> Endpoint:
        """`view` for signed-in sellers only; forms must carry the session's CSRF token."""

        async def endpoint(request: Request) -> Response:
            session = self.session(request)
            if session is None:
                return forbidden() if request.method == "POST" else sign_in_needed()
            try:
                form = await _read_form(request)
            except FormTooLarge:
                return public_page("Too large", fmt("<p>{}</p>", "That form is too large."), 413)
            if request.method == "POST" and not self._signer.csrf_valid(session, form.get("csrf")):
                log.warning("dashboard form without a valid CSRF token: %s", request.url.path)
                return forbidden()
            scope = SellerScope(self._services, session.seller_id)
            csrf = self._signer.csrf_token(session)
            return await _guarded(view, Visit(request, session, scope, form, csrf, self._signer))

        return endpoint

    def routes(self) -> list[BaseRoute]:
        """Every dashboard route, under /dashboard."""
        s, c = self.seller, views_catalog
        conversation = "/dashboard/conversations/{conversation_id}"
        listing = "/dashboard/listings/{listing_id}"
        return [
            Route("/dashboard/signin", self.sign_in.explain, methods=["GET"]),
            Route("/dashboard/login/{token}", self.sign_in.confirm, methods=["GET"]),
            Route("/dashboard/login/{token}", self.sign_in.login, methods=["POST"]),
            Route("/dashboard/logout", s(self.sign_in.logout), methods=["POST"]),
            Route("/dashboard", s(views_home.overview), methods=["GET"]),
            Route("/dashboard/pages/{page_id}", s(views_conversations.page_conversations)),
            Route(conversation, s(views_conversations.show), methods=["GET"]),
            Route(f"{conversation}/takeover", s(views_conversations.take_over), methods=["POST"]),
            Route(f"{conversation}/resume", s(views_conversations.resume), methods=["POST"]),
            Route(f"{conversation}/reply", s(views_conversations.reply), methods=["POST"]),
            Route("/dashboard/settings", s(c.settings_page), methods=["GET"]),
            Route("/dashboard/settings", s(c.save_settings), methods=["POST"]),
            Route("/dashboard/listings", s(c.listings), methods=["GET"]),
            Route("/dashboard/listings/new", s(c.new_listing), methods=["GET"]),
            Route("/dashboard/listings/new", s(c.create_listing), methods=["POST"]),
            Route(listing, s(c.edit_listing), methods=["GET"]),
            Route(listing, s(c.update_listing), methods=["POST"]),
            Route("/dashboard/preview", s(views_preview.preview_page), methods=["GET"]),
            Route("/dashboard/preview", s(views_preview.run_preview), methods=["POST"]),
        ]


def login_url(signer: Signer, public_url: str, seller_id: str, ttl_s: int) -> str:
    """A seller's sign-in link."""
    return f"{public_url.rstrip('/')}/dashboard/login/{signer.login_token(seller_id, ttl_s)}"
