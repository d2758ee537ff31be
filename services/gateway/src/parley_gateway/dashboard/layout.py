"""The dashboard's page frame, its security headers, and the pages for errors."""

from __future__ import annotations

from starlette.responses import HTMLResponse, RedirectResponse, Response

from parley_gateway.dashboard.html import Html, fmt, join, link, post_form

# No scripts at all; inline styles only; forms post back to the gateway only.
_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
_CSS = (
    "body{font-family:system-ui,sans-serif;margin:0;color:#1b1f24;line-height:1.45}"
    "header{background:#1f3a5f;color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;"
    "align-items:center;flex-wrap:wrap}header a{color:#fff;text-decoration:none}"
    "header nav{display:flex;gap:1rem;flex:1}header form{margin:0}"
    "main{max-width:64rem;margin:1rem auto;padding:0 1rem}"
    "table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%}"
    "th,td{border-bottom:1px solid #d8dee4;padding:.35rem .5rem;text-align:left;"
    "vertical-align:top}table.pairs{width:auto}table.pairs th{font-weight:600;"
    "padding-right:1.5rem}.muted{color:#57606a}"
    ".notice{padding:.6rem .8rem;border-radius:4px;background:#eef4fb}"
    ".notice.ok{background:#e7f6ec}.notice.error{background:#fde8e8;border:1px solid #e5a0a0}"
    ".field{margin:.6rem 0;display:flex;flex-direction:column;max-width:32rem}"
    ".field input[type=checkbox]{align-self:flex-start}.field.invalid input,"
    ".field.invalid select,.field.invalid textarea{border:2px solid #c62828}"
    ".error{color:#c62828;font-weight:600}.hint{color:#57606a;font-size:.9em}"
    "button{padding:.35rem .9rem;cursor:pointer}form.inline{display:inline-block;"
    "margin-right:.5rem}.line{margin:.3rem 0;padding:.4rem .6rem;border-radius:6px;"
    "max-width:40rem}.line.buyer{background:#f1f3f5}.line.bot{background:#e8f0fe;"
    "margin-left:3rem}.line.human{background:#fff4d6;margin-left:3rem}"
    ".line small{display:block;color:#57606a}svg.bars rect{fill:#3a6ea5}"
    "svg.bars text{font-size:12px;fill:#1b1f24}.state{font-weight:600}"
)


def _document(title: str, header: Html, body: Html) -> str:
    return fmt(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{} - Parley</title><style>{}</style></head>"
        "<body>{}<main><h1>{}</h1>{}</main></body></html>",
        title,
        Html(_CSS),
        header,
        title,
        body,
    )


def respond(document: str, status: int = 200) -> HTMLResponse:
    """An HTML response with the dashboard's security headers."""
    return HTMLResponse(document, status_code=status, headers=_HEADERS)


def public_page(title: str, body: Html, status: int = 200) -> HTMLResponse:
    """A page for someone not signed in."""
    header = Html("<header><strong>Parley</strong></header>")
    return respond(_document(title, header, body), status)


def seller_page(
    title: str, body: Html, *, seller_name: str, csrf: str, status: int = 200
) -> HTMLResponse:
    """A page of the signed-in seller's dashboard, with its navigation."""
    nav = join(
        link(href, text)
        for href, text in (
            ("/dashboard", "Overview"),
            ("/dashboard/listings", "Listings"),
            ("/dashboard/settings", "Settings"),
            ("/dashboard/preview", "Preview"),
        )
    )
    sign_out = post_form("/dashboard/logout", csrf, Html(""), "Sign out")
    header = fmt(
        "<header><strong>Parley</strong><nav>{}</nav><span>{}</span>{}</header>",
        nav,
        seller_name,
        sign_out,
    )
    return respond(_document(title, header, body), status)


def see_other(location: str) -> RedirectResponse:
    """Post/redirect/get: the browser loads `location` with GET."""
    return RedirectResponse(location, status_code=303, headers=_HEADERS)


def sign_in_needed() -> Response:
    """Where a visitor without a valid session is sent."""
    return see_other("/dashboard/signin")


def forbidden() -> HTMLResponse:
    """A form without this session's CSRF token, or no session at all."""
    body = fmt(
        "<p>{}</p><p>{}</p>",
        "This form did not come from your open dashboard, or your session has ended.",
        Html('Go back, reload the page and try again, or <a href="/dashboard/signin">sign in</a>.'),
    )
    return public_page("Not allowed", body, 403)


def missing(seller_name: str, csrf: str) -> HTMLResponse:
    """Asked for something that does not exist or is not this seller's: the same answer."""
    body = fmt("<p>{}</p>{}", "There is nothing here for you.", link("/dashboard", "Overview"))
    return seller_page("Not found", body, seller_name=seller_name, csrf=csrf, status=404)


def unavailable(service: str) -> HTMLResponse:
    """A service Parley needs is down or too slow: try again soon."""
    body = fmt(
        "<p>Part of Parley ({}) is not answering just now, so this cannot be done or shown.</p>"
        "<p>Try again in a minute. Sending the same reply form again never sends the reply "
        "twice.</p>",
        service,
    )
    return public_page("Please try again", body, 503)
