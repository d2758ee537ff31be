"""Signing in with a login link, and the page for those who are not signed in."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from parley.tenants.v1 import tenants_pb2 as pb
from parley_gateway.adapters.calls import Refused, Unavailable
from parley_gateway.adapters.tenants import TenantsClient
from parley_gateway.dashboard.auth import InvalidToken, Signer, UsedLinks
from parley_gateway.dashboard.html import Html, fmt
from parley_gateway.dashboard.layout import public_page, see_other, unavailable
from parley_gateway.dashboard.visit import Visit

log = logging.getLogger(__name__)
SESSION_COOKIE = "parley_session"
COOKIE_PATH = "/dashboard"
_WHY = {
    "forged": "This sign-in link is not one Parley made. Check that you copied all of it.",
    "expired": "This sign-in link has expired.",
    "used": "This sign-in link was used already.",
    "seller": "This sign-in link is for a seller Parley no longer knows.",
}


@dataclass(frozen=True)
class CookiePolicy:
    """How the session cookie is set."""

    session_ttl_s: int
    secure: bool
    public_url: str


def _refused(reason: str) -> Response:
    body = fmt(
        "<p>{}</p><p>Ask Parley for a new sign-in link: links work once and for a short time.</p>",
        _WHY[reason],
    )
    return public_page("Cannot sign in", body, 400)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class SignIn:
    """Login links in, session cookies out."""

    def __init__(
        self, tenants: TenantsClient, signer: Signer, used: UsedLinks, cookies: CookiePolicy
    ) -> None:
        self._tenants = tenants
        self._signer = signer
        self._used = used
        self._cookies = cookies

    async def explain(self, request: Request) -> Response:
        """Where visitors without a session land."""
        body = Html(
            "<p>You are not signed in, or your session has ended.</p>"
            "<p>Sellers sign in with a personal link from Parley. Ask your Parley contact for a "
            "new sign-in link and open it in this browser.</p>"
        )
        return public_page("Sign in to Parley", body)

    async def confirm(self, request: Request) -> Response:
        """A login link opened: a button signs in (mail scanners that open links do not)."""
        token = str(request.path_params["token"])
        try:
            claim = self._signer.read_login_token(token)
        except InvalidToken as exc:
            return _refused(exc.reason)
        if self._used.used(claim.nonce):
            return _refused("used")
        body = fmt(
            "<p>Sign in to the Parley dashboard of seller <strong>{}</strong>.</p>"
            '<form method="post" action="/dashboard/login/{}"><button type="submit">Sign in'
            "</button></form>",
            claim.seller_id,
            token,
        )
        return public_page("Sign in to Parley", body)

    async def login(self, request: Request) -> Response:
        """Check the link once more, mark it used and start the session."""
        if not self._same_origin(request):
            return public_page("Not allowed", Html("<p>Sign in from the link itself.</p>"), 403)
        try:
            claim = self._signer.read_login_token(str(request.path_params["token"]))
            seller = await self._tenants.seller(claim.seller_id)
        except InvalidToken as exc:
            return _refused(exc.reason)
        except Refused:
            return _refused("seller")
        except Unavailable as exc:
            log.warning("sign-in: %s", exc)
            return unavailable(exc.service)
        if seller.status == pb.SELLER_STATUS_DELETED:
            return _refused("seller")
        if not self._used.claim(claim):
            return _refused("used")
        ttl = self._cookies.session_ttl_s
        response = see_other("/dashboard")
        response.set_cookie(
            SESSION_COOKIE,
            self._signer.session_token(seller.seller_id, seller.name or seller.seller_id, ttl),
            max_age=ttl,
            path=COOKIE_PATH,
            secure=self._cookies.secure,
            httponly=True,
            samesite="lax",
        )
        log.info("seller %s signed in to the dashboard", seller.seller_id)
        return response

    async def logout(self, visit: Visit) -> Response:
        """End the session in this browser."""
        response = see_other("/dashboard/signin")
        response.delete_cookie(
            SESSION_COOKIE,
            path=COOKIE_PATH,
            secure=self._cookies.secure,
            httponly=True,
            samesite="lax",
        )
        return response

    def _same_origin(self, request: Request) -> bool:
        """No form of another site may sign a browser in (it carries no CSRF token yet)."""
        origin = request.headers.get("origin")
        if origin is None:
            return True
        own = f"{request.url.scheme}://{request.headers.get('host', '')}"
        return origin in (own, _origin(self._cookies.public_url))
