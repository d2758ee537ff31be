"""One request of a signed-in seller, as views see it."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import HTMLResponse

from parley_gateway.dashboard.auth import Session, Signer
from parley_gateway.dashboard.forms import Form
from parley_gateway.dashboard.html import Html
from parley_gateway.dashboard.layout import seller_page
from parley_gateway.dashboard.scope import SellerScope, Services


@dataclass(frozen=True)
class Visit:
    """The request, the seller's session and scope, the form sent (empty for GET) and the CSRF
    token the page's forms carry."""

    request: Request
    session: Session
    scope: SellerScope
    form: Form
    csrf: str
    signer: Signer

    @property
    def services(self) -> Services:
        """The services behind the dashboard (reach data through `scope`)."""
        return self.scope.services

    @property
    def seller_id(self) -> str:
        """The signed-in seller."""
        return self.session.seller_id

    def param(self, name: str) -> str:
        """A path parameter."""
        return str(self.request.path_params[name])

    def query(self, name: str, limit: int = 200) -> str:
        """A query parameter ("" when absent), cut to `limit` characters."""
        return self.request.query_params.get(name, "")[:limit]

    def page(self, title: str, body: Html, status: int = 200) -> HTMLResponse:
        """A dashboard page for this seller."""
        return seller_page(
            title, body, seller_name=self.session.seller_name, csrf=self.csrf, status=status
        )
