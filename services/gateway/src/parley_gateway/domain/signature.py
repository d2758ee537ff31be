"""Webhook signatures: `X-Hub-Signature-256` is HMAC-SHA256 of the raw body with the app secret."""

from __future__ import annotations

import hashlib
import hmac
from enum import Enum

_PREFIX = "sha256="
_HEX_LENGTH = 64


class SignatureCheck(Enum):
    """Outcome of checking a webhook signature."""

    VALID = "valid"
    MISSING = "missing"
    MALFORMED = "malformed"
    MISMATCH = "mismatch"


def sign(app_secret: bytes, body: bytes) -> str:
    """The header value Facebook sends for this body (MESSENGER.md: lowercase hex)."""
    return _PREFIX + hmac.new(app_secret, body, hashlib.sha256).hexdigest()


class SignatureChecker:
    """check_signature with the HMAC key schedule computed once (it is copied per request)."""

    def __init__(self, app_secret: bytes) -> None:
        self._keyed = hmac.new(app_secret, digestmod=hashlib.sha256)

    def __call__(self, body: bytes, header: str | None) -> SignatureCheck:
        """Check the header against the exact bytes received, in constant time."""
        return _check(self._keyed.copy(), body, header)


def check_signature(app_secret: bytes, body: bytes, header: str | None) -> SignatureCheck:
    """Check the header against the exact bytes received, in constant time.

    The digest is computed over the raw bytes, never re-serialised JSON: Meta escapes non-ASCII
    before signing. Only sha256 is accepted; the legacy sha1 header is refused.
    """
    return _check(hmac.new(app_secret, digestmod=hashlib.sha256), body, header)


def _check(keyed: hmac.HMAC, body: bytes, header: str | None) -> SignatureCheck:
    if not header:
        return SignatureCheck.MISSING
    if not header.startswith(_PREFIX) or len(header) != len(_PREFIX) + _HEX_LENGTH:
        return SignatureCheck.MALFORMED
    try:
        received = bytes.fromhex(header[len(_PREFIX) :])
    except ValueError:
        return SignatureCheck.MALFORMED
    keyed.update(body)
    if hmac.compare_digest(keyed.digest(), received):
        return SignatureCheck.VALID
    return SignatureCheck.MISMATCH
