"""Webhook signatures are checked over the raw bytes, in constant time, sha256 only."""

from __future__ import annotations

import hashlib
import hmac

from parley_gateway.domain.signature import SignatureCheck, check_signature, sign

SECRET = b"app-secret-for-tests"


def test_valid_signature_is_accepted() -> None:
    body = b'{"object":"page","entry":[]}'
    assert check_signature(SECRET, body, sign(SECRET, body)) is SignatureCheck.VALID


def test_uppercase_hex_is_accepted() -> None:
    body = b"{}"
    header = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest().upper()
    assert check_signature(SECRET, body, header) is SignatureCheck.VALID


def test_signature_made_with_another_secret_is_refused() -> None:
    body = b'{"object":"page"}'
    assert check_signature(SECRET, body, sign(b"other", body)) is SignatureCheck.MISMATCH


def test_changed_body_is_refused() -> None:
    header = sign(SECRET, b'{"a":1}')
    assert check_signature(SECRET, b'{"a":2}', header) is SignatureCheck.MISMATCH


def test_missing_signature_is_refused() -> None:
    assert check_signature(SECRET, b"{}", None) is SignatureCheck.MISSING
    assert check_signature(SECRET, b"{}", "") is SignatureCheck.MISSING


def test_legacy_sha1_header_is_refused() -> None:
    digest = hmac.new(SECRET, b"{}", hashlib.sha1).hexdigest()
    assert check_signature(SECRET, b"{}", f"sha1={digest}") is SignatureCheck.MALFORMED


def test_sha256_digest_under_another_algorithm_name_is_refused() -> None:
    digest = hmac.new(SECRET, b"{}", hashlib.sha256).hexdigest()
    assert check_signature(SECRET, b"{}", f"sha512={digest}") is SignatureCheck.MALFORMED


def test_truncated_digest_is_refused() -> None:
    assert check_signature(SECRET, b"{}", sign(SECRET, b"{}")[:-2]) is SignatureCheck.MALFORMED


def test_non_ascii_body_is_signed_over_the_escaped_bytes_meta_sent() -> None:
    escaped = b'{"text":"\\u0e25\\u0e14\\u0e44\\u0e14\\u0e49\\u0e44\\u0e2b\\u0e21"}'
    raw_utf8 = '{"text":"ลดได้ไหม"}'.encode()
    header = sign(SECRET, escaped)
    assert check_signature(SECRET, escaped, header) is SignatureCheck.VALID
    # The same JSON re-serialised as UTF-8 must not verify: only the bytes received count.
    assert check_signature(SECRET, raw_utf8, header) is SignatureCheck.MISMATCH
