"""A pooled async client for Meta's Graph API: appsecret_proof, typed errors, tokens kept secret.

Tokens travel in the `Authorization: Bearer` header, never in the URL, so no access log, span or
exception text can carry them; spans and errors name the path only, never the query string.
"""

from __future__ import annotations

import hashlib
import hmac
import json as _json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

import httpx
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from parley_kit.redaction import redact
from parley_kit.secrets import Secret
from parley_kit.settings import Env

_log = logging.getLogger(__name__)
_tracer = trace.get_tracer("parley_kit.graph")

DEFAULT_VERSION = "v21.0"
_URL_CACHE = 4096  # parsed URLs kept (a few per connected Page)
Params = Mapping[str, str | int | float | bool]
Token = str | Secret


# Webhook fields a connected Page is subscribed to: MESSENGER.md's list, plus reactions and edits
# (a reaction reopens the messaging window) and `feed` (Page comments, for private replies);
# Meta delivers only subscribed fields.
WEBHOOK_FIELDS = (
    "messages",
    "message_echoes",
    "messaging_postbacks",
    "messaging_referrals",
    "message_deliveries",
    "message_reads",
    "message_reactions",
    "message_edits",
    "messaging_handovers",
    "standby",
    "messaging_policy_enforcement",
    "feed",
)


class ErrorKind(StrEnum):
    """What a caller should do about a Graph error (MESSENGER.md, Send API errors)."""

    RETRY = "retry"  # temporary: retry with backoff and jitter
    RATE_LIMITED = "rate_limited"  # back off, then retry
    POLICY_WINDOW = "policy_window"  # outside the messaging window: never retry
    TOKEN_INVALID = "token_invalid"  # the Page needs re-connection: never retry
    HANDED_OVER = "handed_over"  # another app owns the thread: never retry
    PERMANENT = "permanent"  # bad parameter, permission, person unavailable: never retry

    @property
    def retryable(self) -> bool:
        """Whether the same call may succeed later."""
        return self in (ErrorKind.RETRY, ErrorKind.RATE_LIMITED)


_WINDOW_SUBCODES = frozenset({2018278, 2534022})
_HANDOVER_SUBCODES = frozenset({2018300, 2534037})
_RATE_CODES = frozenset({4, 17, 32, 613})
_TRANSIENT_CODES = frozenset({1, 2, 1200})


def classify(
    code: int | None, subcode: int | None, http_status: int, transient: bool = False
) -> ErrorKind:
    """The kind of a Graph error from its code, subcode and HTTP status."""
    if code == 190:
        return ErrorKind.TOKEN_INVALID
    if subcode in _HANDOVER_SUBCODES or code == 2018300:
        return ErrorKind.HANDED_OVER
    if code == 10 and subcode in _WINDOW_SUBCODES:
        return ErrorKind.POLICY_WINDOW
    if code in _RATE_CODES:
        return ErrorKind.RATE_LIMITED
    if code in _TRANSIENT_CODES or transient or http_status >= 500:
        return ErrorKind.RETRY
    return ErrorKind.PERMANENT


class GraphError(Exception):
    """A failed Graph call: Meta's error envelope, or a transport failure (kind RETRY)."""

    def __init__(
        self,
        message: str,
        *,
        path: str,
        http_status: int = 0,
        code: int | None = None,
        subcode: int | None = None,
        error_type: str = "",
        fbtrace_id: str = "",
        transient: bool = False,
        maybe_delivered: bool = False,
    ) -> None:
        self.message = redact(message)
        self.path = path
        self.http_status = http_status
        self.code = code
        self.subcode = subcode
        self.error_type = error_type
        self.fbtrace_id = fbtrace_id
        self.kind = classify(code, subcode, http_status, transient)
        # True when the request may have reached Meta and taken effect although no answer came
        # back (a read timeout, a dropped connection): retrying it could act twice.
        self.maybe_delivered = maybe_delivered
        super().__init__(self._describe())

    def _describe(self) -> str:
        codes = f"{self.code}/{self.subcode}" if self.subcode else f"{self.code}"
        return (
            f"Graph {self.path} failed ({self.kind}, HTTP {self.http_status}, code {codes}, "
            f"fbtrace_id {self.fbtrace_id or '-'}): {self.message}"
        )

    @property
    def retryable(self) -> bool:
        """Whether the same call may succeed later."""
        return self.kind.retryable


def appsecret_proof(token: str, app_secret: str) -> str:
    """Hex HMAC-SHA256 of the access token keyed with the app secret (Meta's appsecret_proof)."""
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class GraphConfig:
    """Where the Graph API is and who we are to it."""

    base_url: str
    app_id: str
    app_secret: Secret
    version: str = DEFAULT_VERSION
    timeout_s: float = 10.0
    connect_timeout_s: float = 3.0
    max_connections: int = 100

    @classmethod
    def from_env(cls, env: Env, *, default_url: str | None = None) -> GraphConfig:
        """FACEBOOK_GRAPH_URL, FACEBOOK_GRAPH_VERSION, FACEBOOK_APP_ID, FACEBOOK_APP_SECRET,
        FACEBOOK_GRAPH_TIMEOUT_S (call `env.check()` afterwards)."""
        schemes = ("http", "https")
        if default_url is None:
            base_url = env.url("FACEBOOK_GRAPH_URL", schemes=schemes)
        else:
            base_url = env.url("FACEBOOK_GRAPH_URL", default_url, schemes=schemes)
        return cls(
            base_url=base_url,
            app_id=env.text("FACEBOOK_APP_ID"),
            app_secret=env.secret("FACEBOOK_APP_SECRET"),
            version=env.text("FACEBOOK_GRAPH_VERSION", DEFAULT_VERSION),
            timeout_s=env.decimal("FACEBOOK_GRAPH_TIMEOUT_S", 10.0, low=0.1, high=120.0),
        )

    @property
    def app_token(self) -> Secret:
        """The app access token `APPID|SECRET` (for debug_token)."""
        return Secret(f"{self.app_id}|{self.app_secret.reveal()}")


class GraphClient:
    """Graph API calls over one pooled HTTP/1.1 client; close it with `aclose()`."""

    def __init__(
        self, config: GraphConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        self._secret = config.app_secret.reveal()
        self._prefix = f"/{config.version.strip('/')}"
        self._base = config.base_url.rstrip("/")
        self._urls: dict[str, httpx.URL] = {}
        limits = httpx.Limits(
            max_connections=config.max_connections,
            max_keepalive_connections=config.max_connections,
        )
        timeout = httpx.Timeout(config.timeout_s, connect=config.connect_timeout_s)
        self._http = httpx.AsyncClient(
            base_url=config.base_url.rstrip("/"),
            limits=limits,
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._http.aclose()

    def _url(self, text: str) -> httpx.URL:
        """The parsed URL, cached: a Page's calls repeat the same path and proof, and parsing
        them again is most of httpx's cost per call."""
        url = self._urls.get(text)
        if url is None:
            if len(self._urls) >= _URL_CACHE:
                self._urls.clear()
            url = self._urls[text] = httpx.URL(text if "?" in text else f"{self._base}{text}")
        return url

    def proof(self, token: Token) -> str:
        """The appsecret_proof of a token."""
        return appsecret_proof(_reveal(token), self._secret)

    async def get(
        self, path: str, *, token: Token | None = None, params: Params | None = None
    ) -> dict[str, Any]:
        """GET `/<version><path>`; the decoded JSON object, or GraphError."""
        return await self.request("GET", path, token=token, params=params)

    async def post(
        self,
        path: str,
        *,
        token: Token | None = None,
        params: Params | None = None,
        json: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """POST `/<version><path>` with a JSON body; the decoded JSON object, or GraphError."""
        return await self.request("POST", path, token=token, params=params, json=json)

    async def delete(
        self, path: str, *, token: Token | None = None, params: Params | None = None
    ) -> dict[str, Any]:
        """DELETE `/<version><path>`; the decoded JSON object, or GraphError."""
        return await self.request("DELETE", path, token=token, params=params)

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: Token | None = None,
        params: Params | None = None,
        json: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One call: the token as a bearer header with its appsecret_proof; errors typed."""
        url_path = f"{self._prefix}/{path.lstrip('/')}"
        query = {key: _param(value) for key, value in (params or {}).items()}
        headers: dict[str, str] = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {_reveal(token)}"
            query["appsecret_proof"] = self.proof(token)
        with _tracer.start_as_current_span(
            f"graph {method} {_span_path(path)}",
            kind=SpanKind.CLIENT,
            attributes={"http.request.method": method, "url.path": url_path},
        ) as span:
            response = await self._send(method, url_path, query, headers, json, span)
            span.set_attribute("http.response.status_code", response.status_code)
            return _decode(response, url_path, span)

    async def _send(
        self,
        method: str,
        url_path: str,
        query: dict[str, str],
        headers: dict[str, str],
        json: Mapping[str, Any] | None,
        span: trace.Span,
    ) -> httpx.Response:
        # One absolute URL and a pre-encoded body: httpx then parses the URL once instead of
        # merging base URL and parameters (a third of a call's CPU time on a busy sender).
        url = self._url(f"{self._base}{url_path}?{urlencode(query)}" if query else url_path)
        content = None
        if json is not None:
            headers["Content-Type"] = "application/json"
            content = _json.dumps(
                json, ensure_ascii=False, separators=(",", ":"), allow_nan=False
            ).encode()
        try:
            return await self._http.request(method, url, headers=headers, content=content)
        except httpx.TimeoutException as exc:
            span.set_status(Status(StatusCode.ERROR, "timeout"))
            raise GraphError(
                f"timed out ({type(exc).__name__})",
                path=url_path,
                transient=True,
                maybe_delivered=maybe_delivered(exc),
            ) from None
        except httpx.HTTPError as exc:
            # The exception's text may hold the URL; only its type is kept.
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise GraphError(
                f"transport failure ({type(exc).__name__})",
                path=url_path,
                transient=True,
                maybe_delivered=maybe_delivered(exc),
            ) from None


# Failures that happen before a request is written: the call certainly did not reach Meta.
# httpx's own names, and aiohttp's (whose errors an aiohttp transport wraps, not always under the
# matching httpx class: a dropped connection can surface as httpx.ConnectTimeout).
_NOT_SENT = frozenset(
    {
        "ConnectError",
        "ConnectTimeout",
        "PoolTimeout",
        "ClientConnectorError",
        "ConnectionTimeoutError",
    }
)


def maybe_delivered(exc: BaseException) -> bool:
    """Whether a transport failure may have happened after the request reached the server."""
    cause = exc.__cause__
    if cause is not None and type(cause).__module__.split(".")[0] == "aiohttp":
        exc = cause
    return not any(cls.__name__ in _NOT_SENT for cls in type(exc).__mro__)


def _reveal(token: Token) -> str:
    return token.reveal() if isinstance(token, Secret) else token


def _param(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _span_path(path: str) -> str:
    """The path with numeric ids folded, so span names stay few (`/{id}/subscribed_apps`)."""
    parts = ["{id}" if part.isdigit() else part for part in path.strip("/").split("/")]
    return "/" + "/".join(parts)


def _decode(response: httpx.Response, url_path: str, span: trace.Span) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.is_success and isinstance(body, dict):
        return body
    error = _error_of(body, response, url_path)
    span.set_status(Status(StatusCode.ERROR, f"graph error {error.code}"))
    span.set_attribute("graph.error.code", error.code or 0)
    span.set_attribute("graph.error.subcode", error.subcode or 0)
    span.set_attribute("graph.error.kind", str(error.kind))
    if error.fbtrace_id:
        span.set_attribute("graph.fbtrace_id", error.fbtrace_id)
    _log.info("graph call %s failed: %s", url_path, error)
    raise error


def _error_of(body: object, response: httpx.Response, url_path: str) -> GraphError:
    envelope = body.get("error") if isinstance(body, dict) else None
    if not isinstance(envelope, dict):
        return GraphError(
            f"unexpected answer ({response.headers.get('content-type', 'no content type')})",
            path=url_path,
            http_status=response.status_code,
            transient=response.status_code >= 500,
            # A proxy's bad gateway or timeout, not Meta's answer: Meta may have acted on it.
            maybe_delivered=response.status_code in (502, 504),
        )
    return GraphError(
        str(envelope.get("message", "")),
        path=url_path,
        http_status=response.status_code,
        code=_int_or_none(envelope.get("code")),
        subcode=_int_or_none(envelope.get("error_subcode")),
        error_type=str(envelope.get("type", "")),
        fbtrace_id=str(envelope.get("fbtrace_id", "")),
        transient=bool(envelope.get("is_transient", False)),
    )


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
