"""Webhook bodies and signatures: Meta's escaping, HMAC over the exact bytes."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from parley_emulator.signing import (
    appsecret_proof,
    encode_body,
    signature_256,
    verify_signature,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def test_non_ascii_and_slashes_are_escaped_like_meta() -> None:
    body = encode_body({"text": "Zoë 👍", "url": "https://x/y"})
    assert body == b'{"text":"Zo\\u00eb \\ud83d\\udc4d","url":"https:\\/\\/x\\/y"}'


@given(json_values)
def test_any_payload_round_trips_and_stays_ascii(payload: Any) -> None:
    body = encode_body(payload)
    assert body.isascii()
    assert json.loads(body) == payload


@given(json_values, st.text(min_size=1, max_size=40))
def test_signature_is_hmac_sha256_of_the_exact_bytes(payload: Any, secret: str) -> None:
    body = encode_body(payload)
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert signature_256(body, secret) == f"sha256={expected}"
    assert verify_signature(body, f"sha256={expected}", secret)
    assert not verify_signature(body + b" ", f"sha256={expected}", secret)


def test_reserialised_json_does_not_verify() -> None:
    body = encode_body({"text": "Zoë"})
    resent = json.dumps(json.loads(body), ensure_ascii=False).encode()
    assert not verify_signature(resent, signature_256(body, "s"), "s")


def test_appsecret_proof_is_hmac_of_the_token_keyed_with_the_secret() -> None:
    expected = hmac.new(b"secret", b"token", hashlib.sha256).hexdigest()
    assert appsecret_proof("token", "secret") == expected
