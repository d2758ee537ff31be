"""Pages people see: the OAuth callback after connecting Pages, Meta's data-deletion callback
and its status page."""

from __future__ import annotations

import html
import logging
from typing import Protocol
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from parley_gateway.adapters.calls import Refused, Unavailable
from parley_gateway.adapters.tenants import ConnectedPage, DeletionReceipt, DeletionView
from parley_gateway.domain.signed_request import InvalidSignedRequest, parse_signed_request

log = logging.getLogger(__name__)
_MAX_FORM_BYTES = 16 * 1024


class Tenants(Protocol):
    """What the gateway needs from the tenants service."""

    async def complete_onboarding(self, code: str, state: str) -> list[ConnectedPage]: ...

    async def login_url(self, connect_link: str) -> str: ...

    async def delete_user_data(self, user_id: str) -> DeletionReceipt: ...

    async def deletion_status(self, confirmation_code: str) -> DeletionView: ...


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    """A plain, readable page; every dynamic part of `body` is escaped by the caller."""
    document = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)} - Parley</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;"
        "padding:0 1rem;line-height:1.5}li{margin:.3rem 0}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(document, status_code=status)


class SellerPages:
    """Handlers that talk to tenants on a seller's or Meta's behalf."""

    def __init__(self, tenants: Tenants, app_secret: bytes) -> None:
        self._tenants = tenants
        self._app_secret = app_secret

    async def connect(self, request: Request) -> Response:
        """A seller's signed connect (or reconnect) link: on to Facebook's login dialog."""
        try:
            url = await self._tenants.login_url(request.path_params["link"])
        except Refused as exc:
            text = f"<p>{html.escape(str(exc))}</p><p>Ask Parley for a new connect link.</p>"
            return page("Link not valid", text, 400)
        except Unavailable as exc:
            log.error("connect link failed: %s", exc)
            return page("Please try again", "<p>Parley could not start just now.</p>", 503)
        return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})

    async def oauth_callback(self, request: Request) -> Response:
        """Facebook redirects here after the login dialog with `code` and `state`."""
        params = request.query_params
        if "error" in params:
            reason = params.get("error_description") or params.get("error_reason") or "cancelled"
            text = f"<p>Facebook did not connect your Pages: {html.escape(reason)}.</p>"
            return page("Pages not connected", text, 400)
        code, state = params.get("code", ""), params.get("state", "")
        if not code or not state:
            return page("Pages not connected", "<p>The link is missing its code or state.</p>", 400)
        try:
            pages = await self._tenants.complete_onboarding(code, state)
        except Refused as exc:
            return page("Pages not connected", f"<p>{html.escape(str(exc))}</p>", 400)
        except Unavailable as exc:
            log.error("onboarding failed: %s", exc)
            return page("Please try again", "<p>Parley could not finish just now.</p>", 503)
        return page("Pages connected", _connected(pages))

    async def data_deletion(self, request: Request) -> Response:
        """Meta's data-deletion callback: verify the signed request, start deletion, answer
        `{url, confirmation_code}`."""
        body = await request.body()
        if len(body) > _MAX_FORM_BYTES:
            return JSONResponse({"error": "body too large"}, 413)
        form = parse_qs(body.decode("utf-8", "replace"))
        try:
            deletion = parse_signed_request(form.get("signed_request", [""])[0], self._app_secret)
        except InvalidSignedRequest as exc:
            log.warning("data-deletion callback refused: %s", exc)
            return JSONResponse({"error": "invalid signed_request"}, 403)
        try:
            receipt = await self._tenants.delete_user_data(deletion.user_id)
        except (Refused, Unavailable) as exc:
            log.error("data deletion could not start: %s", exc)
            return JSONResponse({"error": "deletion could not start, retry"}, 503)
        return JSONResponse(
            {"url": receipt.status_url, "confirmation_code": receipt.confirmation_code}
        )

    async def deletion_status(self, request: Request) -> Response:
        """Where a deletion request stands, by its confirmation code."""
        code = request.path_params["code"]
        try:
            view = await self._tenants.deletion_status(code)
        except Refused:
            return page("Unknown request", "<p>No deletion request has this code.</p>", 404)
        except Unavailable:
            return page("Please try again", "<p>The status is not available now.</p>", 503)
        state = "completed" if view.completed else "in progress"
        steps = "".join(f"<li>{html.escape(step)}</li>" for step in view.progress)
        text = (
            f"<p>Request <code>{html.escape(view.confirmation_code)}</code> is "
            f"<strong>{state}</strong>.</p><ul>{steps}</ul>"
        )
        return page("Data deletion", text)


def _connected(pages: list[ConnectedPage]) -> str:
    if not pages:
        return "<p>Facebook gave Parley no Page to manage. Choose at least one Page.</p>"
    items = "".join(
        f"<li>{html.escape(p.name)} <small>({html.escape(p.page_id)})</small></li>" for p in pages
    )
    return (
        f"<p>Parley now answers buyers on these Pages:</p><ul>{items}</ul>"
        "<p>You can close this window.</p>"
    )
