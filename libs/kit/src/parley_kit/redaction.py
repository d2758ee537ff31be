"""Removes secrets from text: registered secret values and well-known token patterns."""

from __future__ import annotations

import re

MASK = "[REDACTED]"
_MIN_LENGTH = 6  # shorter values would mask ordinary words
_known: set[str] = set()
_pattern: re.Pattern[str] | None = None

# Query or JSON fields that always carry secrets, and Facebook/OpenAI token shapes.
_FIELDS = re.compile(
    r"(?i)(access_token|appsecret_proof|client_secret|fb_exchange_token|input_token|"
    r"password|api_key|authorization|verify_token|hub\.verify_token)"
    r"([\"']?\s*[=:]\s*[\"']?)(?:Bearer\s+)?[^\s&\"',;}]+"
)
_TOKENS = re.compile(r"\b(EAA[A-Za-z0-9]{16,}|sk-[A-Za-z0-9_-]{16,})")
# A bearer credential outside an Authorization field (RFC 6750 b64token); 8+ characters, so
# prose such as "Bearer tokens" is left alone.
_BEARER = re.compile(r"(?i)\b(Bearer\s+)[A-Za-z0-9._~+/-]{8,}=*")


def register(value: str) -> None:
    """Mask this value wherever it appears from now on."""
    global _pattern
    if len(value) >= _MIN_LENGTH and value not in _known:
        _known.add(value)
        alternatives = sorted(_known, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(v) for v in alternatives))


def redact(text: str) -> str:
    """The text with every registered secret and known secret pattern masked."""
    if _pattern is not None:
        text = _pattern.sub(MASK, text)
    text = _FIELDS.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{MASK}", text)
    return _TOKENS.sub(MASK, text)
