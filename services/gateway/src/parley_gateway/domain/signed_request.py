"""Meta's `signed_request` (data-deletion callback): `<b64url signature>.<b64url JSON payload>`,
the signature being HMAC-SHA256 of the still-encoded payload keyed with the app secret."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass

_MAX_LENGTH = 8192


class InvalidSignedRequest(ValueError):
    """The signed request is malformed, forged, or not HMAC-SHA256."""


@dataclass(frozen=True, slots=True)
class DeletionRequest:
    """What a verified data-deletion callback asks for."""

    user_id: str
    issued_at: int


def _b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidSignedRequest("not base64url") from exc


def parse_signed_request(signed_request: str, app_secret: bytes) -> DeletionRequest:
    """Verify and decode; raise InvalidSignedRequest on anything but a genuine request."""
    if not signed_request or len(signed_request) > _MAX_LENGTH or signed_request.count(".") != 1:
        raise InvalidSignedRequest("expected <signature>.<payload>")
    encoded_signature, encoded_payload = signed_request.split(".")
    signature = _b64url_decode(encoded_signature)
    expected = hmac.digest(app_secret, encoded_payload.encode("ascii", "replace"), "sha256")
    if not hmac.compare_digest(signature, expected):
        raise InvalidSignedRequest("signature does not match")
    try:
        payload = json.loads(_b64url_decode(encoded_payload))
    except (ValueError, RecursionError) as exc:
        raise InvalidSignedRequest("payload is not JSON") from exc
    return _deletion_request(payload)


def _deletion_request(payload: object) -> DeletionRequest:
    if not isinstance(payload, dict):
        raise InvalidSignedRequest("payload is not an object")
    if str(payload.get("algorithm", "")).upper() != "HMAC-SHA256":
        raise InvalidSignedRequest("algorithm must be HMAC-SHA256")
    user_id = payload.get("user_id")
    issued_at = payload.get("issued_at")
    if not isinstance(user_id, str | int) or isinstance(user_id, bool) or not str(user_id):
        raise InvalidSignedRequest("user_id missing")
    if not (str(user_id).isascii() and str(user_id).isdigit()):  # "-1", "²", "\ud800", "a"
        raise InvalidSignedRequest("user_id is not a Facebook user id (digits)")
    if not isinstance(issued_at, int) or isinstance(issued_at, bool):
        raise InvalidSignedRequest("issued_at missing")
    return DeletionRequest(user_id=str(user_id), issued_at=issued_at)


def make_signed_request(payload: dict[str, object], app_secret: bytes) -> str:
    """A signed request as Meta builds it (for the emulator and tests)."""
    encoded = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    signature = hmac.digest(app_secret, encoded.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(signature).rstrip(b"=").decode() + "." + encoded
