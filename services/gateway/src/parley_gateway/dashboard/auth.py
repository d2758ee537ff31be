"""Sign-in for the seller dashboard without server-side state: signed, expiring login links,
signed session cookies holding the seller and a CSRF secret, and CSRF tokens derived from them.

Every token is `v1.<base64url JSON>.<base64url HMAC-SHA256>`, keyed by a key derived from
PARLEY_DASHBOARD_SECRET for its purpose only, so a session can never pass for a login link.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

_VERSION = "v1"
_MAX_TOKEN = 2048
_MAX_ID = 128


class InvalidToken(Exception):
    """A link or cookie that must not be honoured; `reason` is forged, expired or used."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LoginClaim:
    """What a valid login link says: this seller may sign in until `expires_at`."""

    seller_id: str
    expires_at: int
    nonce: str


@dataclass(frozen=True)
class Session:
    """A signed-in seller, until `expires_at`; `csrf` is the secret its form tokens derive from."""

    seller_id: str
    seller_name: str
    expires_at: int
    csrf: str


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return hmac.new(secret, b"parley-dashboard/" + purpose, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, payload: dict[str, Any]) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    mac = hmac.new(key, f"{_VERSION}.{body}".encode(), hashlib.sha256).digest()
    return f"{_VERSION}.{body}.{_b64(mac)}"


def _open(key: bytes, token: str) -> dict[str, Any]:
    """The payload of a token signed with `key`, or InvalidToken("forged")."""
    parts = token.split(".")
    if len(token) > _MAX_TOKEN or len(parts) != 3 or parts[0] != _VERSION:
        raise InvalidToken("forged")
    expected = hmac.new(key, f"{_VERSION}.{parts[1]}".encode(), hashlib.sha256).digest()
    try:
        given = _unb64(parts[2])
        if not hmac.compare_digest(given, expected):
            raise InvalidToken("forged")
        payload = json.loads(_unb64(parts[1]))
    except (ValueError, binascii.Error):
        raise InvalidToken("forged") from None
    if not isinstance(payload, dict):
        raise InvalidToken("forged")
    return payload


def _text(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value or len(value) > _MAX_ID:
        raise InvalidToken("forged")
    return value


def _expiry(payload: dict[str, Any], now: float) -> int:
    value = payload.get("exp")
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidToken("forged")
    if value <= now:
        raise InvalidToken("expired")
    return value


class Signer:
    """Makes and checks login links, sessions, CSRF tokens and human-reply keys."""

    def __init__(self, secret: bytes) -> None:
        if not secret:
            raise ValueError("the dashboard needs a secret")
        self._login = _derive(secret, b"login-link")
        self._session = _derive(secret, b"session")
        self._csrf = _derive(secret, b"csrf")
        self._reply = _derive(secret, b"reply-key")

    def login_token(self, seller_id: str, ttl_s: int, now: float | None = None) -> str:
        """A login link's token for this seller, valid `ttl_s` seconds."""
        if not seller_id or len(seller_id) > _MAX_ID:
            raise ValueError("seller_id must be 1 to 128 characters")
        expires = int(time.time() if now is None else now) + ttl_s
        payload = {"sid": seller_id, "exp": expires, "n": secrets.token_urlsafe(12)}
        return _sign(self._login, payload)

    def read_login_token(self, token: str, now: float | None = None) -> LoginClaim:
        """The claim of a genuine, unexpired login link, or InvalidToken."""
        payload = _open(self._login, token)
        moment = time.time() if now is None else now
        seller_id, nonce = _text(payload, "sid"), _text(payload, "n")
        return LoginClaim(seller_id, _expiry(payload, moment), nonce)

    def session_token(
        self, seller_id: str, seller_name: str, ttl_s: int, now: float | None = None
    ) -> str:
        """A session cookie: this seller, until `ttl_s` from now, with a fresh CSRF secret."""
        expires = int(time.time() if now is None else now) + ttl_s
        payload = {
            "sid": seller_id,
            "name": seller_name[:_MAX_ID],
            "exp": expires,
            "c": secrets.token_urlsafe(16),
        }
        return _sign(self._session, payload)

    def read_session(self, token: str, now: float | None = None) -> Session:
        """The session of a genuine, unexpired cookie, or InvalidToken."""
        payload = _open(self._session, token)
        moment = time.time() if now is None else now
        name = payload.get("name")
        if not isinstance(name, str):
            raise InvalidToken("forged")
        return Session(_text(payload, "sid"), name, _expiry(payload, moment), _text(payload, "c"))

    def csrf_token(self, session: Session) -> str:
        """The token every form of this session carries."""
        message = f"{session.seller_id}\n{session.csrf}".encode()
        return _b64(hmac.new(self._csrf, message, hashlib.sha256).digest())

    def csrf_valid(self, session: Session, token: str) -> bool:
        """Whether a submitted form token belongs to this session (constant time)."""
        return hmac.compare_digest(token.encode(), self.csrf_token(session).encode())

    def reply_key(self, seller_id: str, conversation_id: str, form_key: str) -> str:
        """The idempotency key of a human reply: the form's key, bound to seller and conversation
        so that no form can reuse the key of another reply."""
        message = f"{seller_id}\n{conversation_id}\n{form_key}".encode()
        digest = hmac.new(self._reply, message, hashlib.sha256).digest()
        return "dashboard:" + _b64(digest)


class UsedLinks:
    """Login links already followed in this process, kept until they would have expired anyway.

    Single use per gateway process: with several replicas a link could be followed once on
    each within its (short) lifetime.
    """

    def __init__(self, limit: int = 100_000) -> None:
        self._expiry: dict[str, int] = {}
        self._limit = limit

    def used(self, nonce: str) -> bool:
        """Whether the link with this nonce was followed already."""
        return nonce in self._expiry

    def claim(self, claim: LoginClaim, now: float | None = None) -> bool:
        """Mark the link used; False when it was used already."""
        moment = time.time() if now is None else now
        if claim.nonce in self._expiry:
            return False
        for nonce in [n for n, expires in self._expiry.items() if expires <= moment]:
            del self._expiry[nonce]
        while len(self._expiry) >= self._limit:
            del self._expiry[next(iter(self._expiry))]
        self._expiry[claim.nonce] = claim.expires_at
        return True
