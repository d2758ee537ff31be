"""The OAuth `state`: HMAC-signed, bound to a seller, expiring; single use is kept in the store."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from parley_kit.errors import FailedPrecondition, InvalidArgument

VERSION = "v1"
_PART = re.compile(r"[A-Za-z0-9_-]{1,128}")


@dataclass(frozen=True)
class OAuthState:
    """What a state binds: a one-time nonce, the seller, and when it stops being accepted."""

    nonce: str
    seller_id: str
    expires_at: datetime


def new_state(seller_id: str, now: datetime, ttl: timedelta) -> OAuthState:
    """A fresh state for a seller."""
    expires = (now + ttl).replace(microsecond=0)
    return OAuthState(secrets.token_urlsafe(18), seller_id, expires)


def _signature(key: bytes, body: str) -> str:
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def encode_state(state: OAuthState, key: bytes) -> str:
    """`v1.<nonce>.<seller>.<expires unix>.<signature>`."""
    body = f"{VERSION}.{state.nonce}.{state.seller_id}.{int(state.expires_at.timestamp())}"
    return f"{body}.{_signature(key, body)}"


def decode_state(text: str, key: bytes, now: datetime) -> OAuthState:
    """The state if its signature holds and it has not expired.

    InvalidArgument when malformed or forged; FailedPrecondition when expired.
    """
    parts = text.split(".")
    if len(parts) != 5 or parts[0] != VERSION or not all(_PART.fullmatch(p) for p in parts[1:]):
        raise InvalidArgument("state: malformed; start onboarding again")
    body, signature = text.rsplit(".", 1)
    if not hmac.compare_digest(signature, _signature(key, body)):
        raise InvalidArgument("state: signature does not match (forged or altered)")
    _, nonce, seller_id, expires = parts[:4]
    if not expires.isdigit():
        raise InvalidArgument("state: malformed expiry")
    expires_at = datetime.fromtimestamp(int(expires), UTC)
    if now >= expires_at:
        raise FailedPrecondition("state: expired; start onboarding again")
    return OAuthState(nonce, seller_id, expires_at)


def state_key(explicit: str, app_secret: str) -> bytes:
    """The signing key: PARLEY_STATE_SECRET, or one derived from the app secret."""
    if explicit:
        return explicit.encode()
    return hmac.new(app_secret.encode(), b"parley.oauth-state.v1", hashlib.sha256).digest()


# The link a seller follows to (re)connect their Pages: `c1.<seller>.<expires unix>.<signature>`.
# It only starts onboarding (a fresh single-use state is made when it is followed), so it may be
# used several times until it expires; its key is derived apart from the state's.
LINK_VERSION = "c1"


def _link_key(key: bytes) -> bytes:
    return hmac.new(key, b"parley.connect-link.v1", hashlib.sha256).digest()


def encode_connect_link(seller_id: str, expires_at: datetime, key: bytes) -> str:
    """A signed token naming the seller, valid until `expires_at`."""
    if not _PART.fullmatch(seller_id):
        raise InvalidArgument("seller_id: not usable in a link")
    body = f"{LINK_VERSION}.{seller_id}.{int(expires_at.timestamp())}"
    return f"{body}.{_signature(_link_key(key), body)}"


def decode_connect_link(text: str, key: bytes, now: datetime) -> str:
    """The seller id of a connect link whose signature holds and which has not expired.

    InvalidArgument when malformed or forged; FailedPrecondition when expired.
    """
    parts = text.split(".")
    if len(parts) != 4 or parts[0] != LINK_VERSION or not all(_PART.fullmatch(p) for p in parts):
        raise InvalidArgument("link: malformed; ask for a new connect link")
    body, signature = text.rsplit(".", 1)
    if not hmac.compare_digest(signature, _signature(_link_key(key), body)):
        raise InvalidArgument("link: signature does not match (forged or altered)")
    _, seller_id, expires = parts[:3]
    if not expires.isdigit():
        raise InvalidArgument("link: malformed expiry")
    if now >= datetime.fromtimestamp(int(expires), UTC):
        raise FailedPrecondition("link: expired; ask for a new connect link")
    return seller_id
