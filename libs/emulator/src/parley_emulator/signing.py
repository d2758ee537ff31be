"""Webhook bodies and signatures as Meta makes them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any


def encode_body(payload: Any) -> bytes:
    """Compact JSON with non-ASCII as \\uXXXX and `/` as `\\/`, as Meta's webhooks are."""
    text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
    # A JSON `/` can only occur inside a string, so escaping every one is safe.
    return text.replace("/", "\\/").encode("ascii")


def signature_256(body: bytes, secret: str) -> str:
    """The `X-Hub-Signature-256` header value: `sha256=` and the hex HMAC of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_sha1(body: bytes, secret: str) -> str:
    """The legacy `X-Hub-Signature` header value."""
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def appsecret_proof(token: str, secret: str) -> str:
    """The Graph API's `appsecret_proof`: hex HMAC-SHA256 of the token keyed with the secret."""
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def verify_signature(body: bytes, header: str | None, secret: str) -> bool:
    """Whether an `X-Hub-Signature-256` header matches the body (constant-time)."""
    if not header:
        return False
    return hmac.compare_digest(header, signature_256(body, secret))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def signed_request(payload: dict[str, Any], secret: str) -> str:
    """Meta's `signed_request`: b64url(HMAC-SHA256 of the encoded payload) `.` b64url(payload)."""
    encoded = _b64url(json.dumps(payload, separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), encoded.encode(), hashlib.sha256).digest()
    return f"{_b64url(signature)}.{encoded}"
